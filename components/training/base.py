"""Training-loop component interface."""

from __future__ import annotations

from typing import Any, Protocol

from components.types import LoadedModel, TrainResult


class TrainingLoop(Protocol):
    def fit(self, loaded: LoadedModel, train_dataset: Any, reward: Any, callbacks: list[Any]) -> TrainResult:
        """Train `loaded.model` on `train_dataset` against `reward` (a RewardSet); save into the run dir."""
        ...
