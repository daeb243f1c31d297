"""Evaluation component interface."""

from __future__ import annotations

from typing import Any, Protocol

from components.types import EvalResult


class Evaluator(Protocol):
    def evaluate(self, model: Any, tokenizer: Any, dataset: Any, reward: Any) -> EvalResult:
        """Generate on `dataset` and score with `reward` (a RewardSet, so accuracy uses the reward's verifier)."""
        ...
