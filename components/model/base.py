"""Model component interface: build a causal LM and its tokenizer."""

from __future__ import annotations

from typing import Protocol

from components.types import LoadedModel


class ModelComponent(Protocol):
    def load(self) -> LoadedModel:
        """Load (or build) the model and tokenizer; the tokenizer pads on the left for batched generation."""
        ...
