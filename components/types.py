"""Records that cross component boundaries.

Each component returns one of these instead of a bare tuple or dict, so the orchestrator reads like a
recipe and a new implementation knows exactly what it must hand over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoadedModel:
    """What a model component hands to training, evaluation and serving."""

    model: Any  # transformers.PreTrainedModel (or a peft.PeftModel once trained)
    tokenizer: Any  # transformers.PreTrainedTokenizerBase, left-padded for generation
    peft_config: Any | None = None  # peft.LoraConfig handed to TRL, which wraps the model itself
    source: str = ""  # where the weights came from, for logs and summaries
    random_weights: bool = False  # a wiring-check model (tiny_random): it learns nothing a step could measure


@dataclass(frozen=True)
class DatasetSplits:
    """Train and held-out evaluation rows. Both have a `prompt` column plus the answer columns rewards need."""

    train: Any  # datasets.Dataset
    eval: Any  # datasets.Dataset


@dataclass(frozen=True)
class EvalResult:
    """Metrics of one evaluation pass plus the per-example records behind them."""

    metrics: dict[str, float]
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class TrainResult:
    """What a training loop reports once it has finished."""

    model: Any  # the trained model (PeftModel when LoRA is on)
    global_step: int
    metrics: dict[str, float]
    saved_to: str
