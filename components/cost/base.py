"""Cost interface: what the orchestrator calls on `cfg.cost` (components/cost/tracker.py implements it)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class CostWatcher(Protocol):
    """Also a `transformers.TrainerCallback`: the orchestrator hands it to the training loop with the others."""

    def watch(self, model: Any, reward: Any, evaluator: Any) -> None:
        """Instrument the loaded model, the reward set and the evaluator in place; their results stay unchanged."""
        ...

    def summary(self, accuracy_gain: float) -> dict[str, Any]:
        """summary.json's `cost/...` keys, given the run's accuracy gain."""
        ...
