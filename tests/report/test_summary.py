"""summary.json's keys for a training run (components/report/summary.py), in-process: the pipeline runs that write
summary.json start a process, so this keeps the module in the fast loop."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from components.report.summary import train_summary
from components.types import EvalResult, LoadedModel, TrainResult


def metrics(accuracy: float, **extra: float) -> dict[str, float]:
    return {"accuracy": accuracy, "max_new_tokens": 64, "truncation_rate": 0.25, "mean_reward": accuracy, **extra}


def test_the_summary_pairs_both_evaluations_and_keeps_tool_env_and_power_check_keys(tmp_path: Path) -> None:
    before = EvalResult(
        metrics(0.25, **{"tools/call_rate": 0.0}), [{"correct": c} for c in (True, False, False, False)]
    )
    after = EvalResult(
        metrics(0.75, **{"tools/call_rate": 0.5, "env/guess_number/win_rate": 0.5}),
        [{"correct": c} for c in (True, True, True, False)],
    )
    result = TrainResult(None, 3, {"train_runtime": 1.5, "power_check/pass_at_k": 0.5, "loss": 0.1}, "out/model")
    loaded = LoadedModel(None, None, source="tiny_random")
    summary = train_summary(before, after, result, loaded, SimpleNamespace(grader="gsm8k"), tmp_path)
    assert summary["accuracy_before"] == 0.25 and summary["accuracy_after"] == 0.75
    assert summary["accuracy_gain"] == 0.5  # compare()'s paired figure, the same as the difference here
    assert summary["problems_improved"] == 2 and summary["problems_regressed"] == 0
    assert summary["global_step"] == 3 and summary["world_size"] == 1 and summary["train_runtime_s"] == 1.5
    assert summary["grader"] == "gsm8k" and summary["model_source"] == "tiny_random"
    assert summary["saved_model"] == "out/model" and summary["run_dir"] == str(tmp_path)
    assert summary["tools/call_rate_before"] == 0.0 and summary["tools/call_rate_after"] == 0.5
    assert summary["env/guess_number/win_rate_before"] is None and summary["env/guess_number/win_rate_after"] == 0.5
    assert summary["power_check/pass_at_k"] == 0.5 and "loss" not in summary
