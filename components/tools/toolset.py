"""ToolSet: the tools a run's policy may call, how many turns an episode may take, and the chat format.

Built from conf/tools_component/<name>.yaml. An empty set (`tools_component=none`, the default) changes nothing:
training, evaluation and serving stay single-turn. With tools, the same object feeds TRL's GRPOTrainer
(`tools=`, `max_tool_calling_iterations`), the evaluator's multi-turn loop and the server's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from components.bounds import Ge, checked
from components.tools import chat_format as formats

log = logging.getLogger(__name__)


class ToolSet:
    @checked("tools")
    def __init__(
        self,
        tools: Mapping[str, Any] | None = None,
        max_turns: Annotated[int, Ge(1)] = 3,
        chat_format: str = "auto",
        max_result_chars: Annotated[int, Ge(1)] = 1000,
    ) -> None:
        """tools: name -> a tool object (components/tools/base.py), each built from its own `_target_`.

        max_turns: assistant turns per episode, the answer included (2 = one round of tool calls, then answer).
        chat_format: auto | model | chatml | role_tags (components/tools/chat_format.py).
        max_result_chars: a tool result is cut to this many characters before the model sees it.
        """
        if chat_format not in chat_format_names():
            raise ValueError(f"tools.chat_format={chat_format!r}: choose one of {', '.join(chat_format_names())}")
        self.tools = dict(tools or {})
        for key, tool in self.tools.items():
            if not callable(getattr(tool, "function", None)):
                raise ValueError(
                    f"tools.tools.{key}: {type(tool).__name__} has no function(); see components/tools/base.py"
                )
        self.max_turns, self.chat_format, self.max_result_chars = max_turns, chat_format, max_result_chars
        self._functions = [self._capped(tool.function()) for tool in self.tools.values()]
        names = [f.__name__ for f in self._functions]
        if len(set(names)) != len(names):
            raise ValueError(f"tools.tools: two tools expose the same function name: {names}")

    @property
    def enabled(self) -> bool:
        return bool(self._functions)

    @property
    def max_tool_calling_iterations(self) -> int:
        """TRL's name for rounds of tool calls: every turn but the last may call tools."""
        return self.max_turns - 1

    def functions(self) -> list[Callable[..., str]]:
        return list(self._functions)

    def trainer_arguments(self) -> dict[str, Any]:
        """What GRPOTrainer takes from the tool set: its functions as TRL's `tools` (TRL runs the loop)."""
        return {"tools": self.functions()}

    def prepare(self, tokenizer: Any) -> Any:
        """Install the tool-capable chat template and parser on the tokenizer (idempotent); returns it."""
        if self.enabled:
            formats.install(tokenizer, self.chat_format)
        return tokenizer

    def call(self, name: str, arguments: Any) -> str:
        """One call, as TRL's tool loop makes it: any failure becomes the `{'error': ...}` result, never a raise."""
        return call_function(self._functions, name, arguments)

    def _capped(self, function: Callable[..., Any]) -> Callable[..., str]:
        limit = self.max_result_chars

        @functools.wraps(function)  # keeps the name, signature and docstring TRL renders into the prompt
        def capped(*args: Any, **kwargs: Any) -> str:
            return str(function(*args, **kwargs))[:limit]

        return capped


def chat_format_names() -> tuple[str, ...]:
    return formats.FORMATS


def call_function(functions: list[Callable[..., Any]], name: str, arguments: Any) -> str:
    """Call the function named `name` as TRL's loop does: any failure becomes the `{'error': ...}` result."""
    function = next((f for f in functions if f.__name__ == name), None)
    try:
        if function is None:
            raise ValueError(f"Tool {name} not found.")
        if not isinstance(arguments, Mapping):
            raise TypeError(f"arguments must be a JSON object, got {type(arguments).__name__}")
        return str(function(**arguments))
    except Exception as err:  # noqa: BLE001 (a tool failure is an observation for the model, not a crash)
        return str({"error": str(err)})
