"""The tool interface: an object whose `function()` is a plain Python function TRL can call.

TRL's `GRPOTrainer(tools=[...])` renders each function's name, type hints and Google-style docstring into the
prompt (transformers' `get_json_schema`) and calls it with the model's arguments. A tool signals failure by
raising `ToolError` (TRL records the message as `{'error': ...}` in the tool turn and counts a failure); a tool
that ran out of time raises `ToolTimeout`. Neither ever stops training.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


class ToolError(Exception):
    """The call was understood but failed (bad expression, program error, nothing found)."""


class ToolTimeout(ToolError):
    """The call ran past its time limit; the message starts with `timeout`."""


class Tool(Protocol):
    def function(self) -> Callable[..., str]:
        """A function with type hints and a docstring whose `Args:` section describes every parameter."""


@runtime_checkable
class ToolProvider(Protocol):
    """The tools group's interface (components/tools/toolset.py): what training, evaluation and serving use."""

    enabled: bool
    max_turns: int  # assistant turns per episode, the answer included
    max_tool_calling_iterations: int  # TRL's GRPOConfig field: rounds of tool calls (max_turns - 1)

    def functions(self) -> list[Callable[..., str]]: ...

    def trainer_arguments(self) -> dict[str, Any]:
        """GRPOTrainer's keyword arguments for these tools (`{"tools": [...]}`): components/training/multi_turn.py."""
        ...

    def prepare(self, tokenizer: Any) -> Any: ...

    def call(self, name: str, arguments: Any) -> str: ...
