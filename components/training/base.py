"""Training-loop component interface."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from components.types import LoadedModel, TrainResult


@runtime_checkable
class TrainingLoop(Protocol):
    """Constructed with the YAML's keys plus two the orchestrator injects: `output_dir=` (the run dir, a str:
    checkpoints and the final model go there) and `tools=` (a ToolProvider, components/tools/base.py; one whose
    `enabled` is False means single-turn). Accept both, even to ignore them."""

    # The trainer arguments (a `transformers.TrainingArguments`, e.g. `trl.GRPOConfig`), built in the
    # constructor: the memory preflight reads batch geometry, optimizer, beta and vLLM settings from it.
    args: Any

    def fit(self, loaded: LoadedModel, train_dataset: Any, reward: Any, callbacks: list[Any]) -> TrainResult:
        """Train `loaded.model` on `train_dataset` against `reward` (a RewardSet); save into the run dir."""
        ...
