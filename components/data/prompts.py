"""Turn a question into the model's prompt: system prompt, template and optional few-shot turns."""

from __future__ import annotations

from typing import Any


class PromptBuilder:
    def __init__(
        self,
        template: str = "{question}",
        system_prompt: str | None = None,
        few_shot: list[dict[str, str]] | None = None,
        chat: bool = True,
    ) -> None:
        if "{question}" not in template:
            raise ValueError(f"prompts.template must contain '{{question}}', got {template!r}")
        self.template = template
        self.system_prompt = system_prompt
        self.few_shot = [dict(shot) for shot in (few_shot or [])]
        for i, shot in enumerate(self.few_shot):
            if set(shot) != {"question", "answer"}:
                raise ValueError(
                    f"prompts.few_shot[{i}] needs exactly the keys question and answer, got {sorted(shot)}"
                )
        self.chat = chat

    def build(self, question: str) -> list[dict[str, str]] | str:
        """Chat messages (TRL applies the model's chat template) or, with chat=false, one plain string."""
        turns: list[tuple[str, str]] = []
        for shot in self.few_shot:
            turns += [("user", self.template.format(question=shot["question"])), ("assistant", shot["answer"])]
        turns.append(("user", self.template.format(question=question)))
        if not self.chat:
            head = f"{self.system_prompt}\n\n" if self.system_prompt else ""
            return head + "\n\n".join(text for _, text in turns)
        messages: list[dict[str, Any]] = (
            [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        )
        return messages + [{"role": role, "content": text} for role, text in turns]
