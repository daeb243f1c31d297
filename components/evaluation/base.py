"""Evaluation component interface: everything the orchestrator asks of an evaluator."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from components.types import EvalResult


@runtime_checkable
class Evaluator(Protocol):
    def evaluate(self, model: Any, tokenizer: Any, dataset: Any, reward: Any) -> EvalResult:
        """Generate on `dataset` and score with `reward` (a RewardSet, so accuracy uses the reward's verifier)."""
        ...

    def probe(self, dataset: Any, reward: Any, tokenizer: Any, run_dir: Path, observer: Any) -> Any:
        """A `transformers.TrainerCallback` that evaluates during training; its `.summary()` joins summary.json."""
        ...

    def recording(self, reward: Any, run_dir: Path) -> Any:
        """The reward set training should call: `reward` itself, or a wrapper that also records completions."""
        ...

    def check_budget(self, model: Any, tokenizer: Any, dataset: Any, reward: Any, evaluated: EvalResult) -> dict[str, Any]:
        """Summary keys saying whether accuracy holds with more generation room than the evaluated budget."""
        ...
