"""Evaluation component interface: everything the orchestrator asks of an evaluator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from components.types import EvalResult

# EvalResult.metrics keys the orchestrator, eval mode and the report read (an evaluator may add more).
METRIC_KEYS = ("accuracy", "mean_reward", "truncation_rate", "max_new_tokens", "num_samples")
# EvalResult.samples: one record per problem, in dataset order, with these keys (completions_eval.jsonl,
# the paired before/after statistics and the server's drift reference read them).
SAMPLE_KEYS = ("index", "prompt", "question", "answer", "completion", "reward", "correct", "completion_tokens")


@runtime_checkable
class Probe(Protocol):
    """What `Evaluator.probe` returns: a `transformers.TrainerCallback` that evaluates during training."""

    # Called with (step, accuracy) after each in-training evaluation: the training loop's guard subscribes here.
    listeners: list[Callable[[int, float], None]]

    def summary(self) -> dict[str, Any]:
        """summary.json keys from the in-training evaluations (best step and accuracy, ...)."""
        ...


@runtime_checkable
class Evaluator(Protocol):
    """Constructed with the YAML's keys plus `tools=` (a ToolProvider, components/tools/base.py), which the
    orchestrator injects: accept it, even to ignore it (a single-turn evaluator with `tools_component=none`)."""

    def evaluate(self, model: Any, tokenizer: Any, dataset: Any, reward: Any) -> EvalResult:
        """Generate on `dataset` and score with `reward` (a RewardSet, so accuracy uses the reward's verifier).

        Metrics include METRIC_KEYS; each sample carries SAMPLE_KEYS (`correct`: True, False or None).
        """
        ...

    def probe(self, dataset: Any, reward: Any, tokenizer: Any, run_dir: Path, observer: Any) -> Probe:
        """A callback that evaluates during training; its `.summary()` joins summary.json."""
        ...

    def recording(self, reward: Any, run_dir: Path) -> Any:
        """The reward set training should call: `reward` itself, or a wrapper that also records completions."""
        ...

    def check_budget(
        self, model: Any, tokenizer: Any, dataset: Any, reward: Any, evaluated: EvalResult
    ) -> dict[str, Any]:
        """Summary keys saying whether accuracy holds with more generation room than the evaluated budget."""
        ...
