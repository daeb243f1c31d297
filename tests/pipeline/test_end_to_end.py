"""The real pipeline, end to end, with the tiny model: real GRPO steps, every run-dir file, weights that moved."""

from __future__ import annotations

import json
import math

import torch
from safetensors.torch import load_file

from tests.conftest import TINY_TRAIN, run_pipeline

RUN_FILES = [
    "metrics.jsonl",
    "eval_before.json",
    "eval_after.json",
    "summary.json",
    ".hydra/config.yaml",
    "model/adapter_model.safetensors",
    "model/tokenizer.json",
]


def test_two_grpo_steps_train_and_write_the_run_dir(tmp_path) -> None:
    run_dir = tmp_path / "run"
    result = run_pipeline(*TINY_TRAIN, f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in RUN_FILES:
        assert (run_dir / name).exists(), f"missing {name}"

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train_rows] == [1, 2]
    assert all(math.isfinite(r["loss"]) and "reward" in r for r in train_rows)
    assert any(r["train/reward_std"] > 0 for r in train_rows), "no reward variance: GRPO had nothing to learn from"

    # LoRA B matrices start at zero; after real optimizer steps on a non-zero advantage they must not be.
    adapter = load_file(run_dir / "model" / "adapter_model.safetensors")
    lora_b = [t for k, t in adapter.items() if "lora_B" in k]
    assert lora_b and any(torch.count_nonzero(t) > 0 for t in lora_b)

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["global_step"] == 2
    # every accuracy comes with its budget, grader and truncation rates, and the budget check ran at 2x the budget
    assert summary["eval_max_new_tokens"] == 128 and summary["grader"] == "gsm8k"
    assert {"truncation_rate_before", "truncation_rate_after"} <= set(summary)
    assert summary["budget_check/larger_budget"] == 256 and "budget_check/warning" in summary
    assert "new tokens, graded by `gsm8k`" in (run_dir / "report.md").read_text()
    for name in ("eval_before.json", "eval_after.json"):
        metrics = json.loads((run_dir / name).read_text())
        assert {"accuracy", "mean_reward", "num_samples"} <= set(metrics) and metrics["num_samples"] == 8


def test_an_existing_run_dir_is_never_overwritten(tmp_path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text('{"kept": true}')
    result = run_pipeline(*TINY_TRAIN, f"hydra.run.dir={run_dir}")
    assert result.returncode != 0 and "already holds a run" in result.stderr
    assert (run_dir / "summary.json").read_text() == '{"kept": true}'


def test_the_tiny_model_runs_any_number_of_steps_without_switching_preflight_off(tmp_path) -> None:
    # the default reward gives random completions no signal and they never stop: exactly what preflight stops
    run_dir = tmp_path / "run"
    steps = [a for a in TINY_TRAIN if not a.startswith(("train.max_steps", "reward."))]
    result = run_pipeline(*steps, "train.max_steps=4", "eval.max_new_tokens=8", f"hydra.run.dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((run_dir / "summary.json").read_text())["global_step"] == 4
    assert "preflight's learnability checks are off for tiny_random" in (run_dir / "run_pipeline.log").read_text()
