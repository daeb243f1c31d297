"""Turn a question into the model's prompt: system prompt, template and optional few-shot turns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import OmegaConf

DEMO_ROLES = ("assistant", "tool")  # what a multi-turn demonstration holds after its question


def check_shot(i: int, shot: dict[str, Any]) -> None:
    """A shot is a question with either one answer or the turns of a whole episode (tool calls and replies)."""
    where = f"prompts.few_shot[{i}]"
    if set(shot) not in ({"question", "answer"}, {"question", "turns"}):
        raise ValueError(f"{where} needs the keys question and answer (or question and turns), got {sorted(shot)}")
    turns = shot.get("turns")
    if turns is None:
        return
    if isinstance(turns, str) or not isinstance(turns, Sequence) or not turns:
        raise ValueError(f"{where}.turns must be a non-empty list of chat messages")
    for j, message in enumerate(turns):
        if not isinstance(message, Mapping) or message.get("role") not in DEMO_ROLES:
            raise ValueError(f"{where}.turns[{j}] must be a message with role assistant or tool, got {message!r}")
    if turns[0]["role"] != "assistant" or turns[-1]["role"] != "assistant":
        raise ValueError(f"{where}.turns must start and end with an assistant message")


class PromptBuilder:
    def __init__(
        self,
        template: str = "{question}",
        system_prompt: str | None = None,
        few_shot: list[dict[str, Any]] | None = None,
        chat: bool = True,
    ) -> None:
        if "{question}" not in template:
            raise ValueError(f"prompts.template must contain '{{question}}', got {template!r}")
        self.template = template
        self.system_prompt = system_prompt
        if OmegaConf.is_config(few_shot):  # Hydra hands nested YAML over as ListConfig: plain lists and dicts for
            few_shot = OmegaConf.to_container(few_shot)  # the dataset (Arrow) and the chat template
        self.few_shot = [dict(shot) for shot in (few_shot or [])]
        for i, shot in enumerate(self.few_shot):
            check_shot(i, shot)
            if "turns" in shot and not chat:
                raise ValueError(f"prompts.few_shot[{i}].turns (a multi-turn demonstration) needs prompts.chat=true")
        self.chat = chat

    def build(self, question: str) -> list[dict[str, Any]] | str:
        """Chat messages (TRL applies the model's chat template) or, with chat=false, one plain string.

        A shot with `turns` is a whole demonstrated episode (assistant tool calls, tool replies, the closing answer),
        passed to the chat template as written: how a tool- or environment-trained run shows one game in context."""
        turns: list[dict[str, Any]] = []
        for shot in self.few_shot:
            turns.append({"role": "user", "content": self.template.format(question=shot["question"])})
            turns += (
                [dict(m) for m in shot["turns"]]
                if "turns" in shot
                else [{"role": "assistant", "content": shot["answer"]}]
            )
        turns.append({"role": "user", "content": self.template.format(question=question)})
        if not self.chat:
            head = f"{self.system_prompt}\n\n" if self.system_prompt else ""
            return head + "\n\n".join(m["content"] for m in turns)
        system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return system + turns
