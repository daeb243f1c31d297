"""Data component interface: produce train and eval datasets with a `prompt` column."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from components.data.prompts import PromptBuilder
from components.types import DatasetSplits


@runtime_checkable
class DataComponent(Protocol):
    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        """Rows carry `prompt` (built by `prompts`), `question`, `answer` and any columns rewards need."""
        ...


@runtime_checkable
class Prompts(Protocol):
    """The `prompts` component (PromptBuilder): a dataset question -> the prompt the model sees."""

    def build(self, question: str) -> list[dict[str, str]] | str:
        """Chat messages (`chat=true`) or a plain string."""
        ...
