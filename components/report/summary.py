"""summary.json's keys for a training run, from the evaluations before and after and the training result.

The probe's and the cost tracker's keys join afterwards (run_pipeline.train); the report reads the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.environments.metrics import environment_summary
from components.evaluation.stats import compare
from components.tools.trajectory import tool_summary
from components.types import EvalResult, LoadedModel, TrainResult


def train_summary(
    before: EvalResult, after: EvalResult, result: TrainResult, loaded: LoadedModel, reward: Any, run_dir: Path
) -> dict[str, Any]:
    """summary.json's keys from the two evaluations and the training result (probe and cost keys join later)."""
    summary = {
        "accuracy_before": before.metrics["accuracy"],
        "accuracy_after": after.metrics["accuracy"],
        "accuracy_gain": after.metrics["accuracy"] - before.metrics["accuracy"],
        "eval_max_new_tokens": after.metrics["max_new_tokens"],  # the budget every accuracy here is measured at
        "truncation_rate_before": before.metrics["truncation_rate"],
        "truncation_rate_after": after.metrics["truncation_rate"],
        "grader": reward.grader,
        "mean_reward_before": before.metrics["mean_reward"],
        "mean_reward_after": after.metrics["mean_reward"],
        "global_step": result.global_step,
        "world_size": result.metrics.get("world_size", 1),
        "train_runtime_s": result.metrics.get("train_runtime"),
        "model_source": loaded.source,
        "saved_model": result.saved_to,
        "run_dir": str(run_dir),
    }
    summary.update(compare(before.samples, after.samples))  # paired bootstrap CI + McNemar p-value
    summary.update(tool_summary(before.metrics, after.metrics))  # tools/* before -> after; {} without tools
    summary.update(environment_summary(before.metrics, after.metrics))  # env/* before -> after; {} without
    summary.update({k: v for k, v in result.metrics.items() if k.startswith("power_check/")})  # pre-training
    return summary
