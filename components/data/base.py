"""Data component interface: produce train and eval datasets with a `prompt` column."""

from __future__ import annotations

from typing import Protocol

from components.data.prompts import PromptBuilder
from components.types import DatasetSplits


class DataComponent(Protocol):
    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        """Rows carry `prompt` (built by `prompts`), `question`, `answer` and any columns rewards need."""
        ...
