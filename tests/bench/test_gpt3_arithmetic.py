"""bench/gpt3_arithmetic.py end to end on a tiny model (base evaluation, warm start, GRPO from its weights, the
per-task table, plot and record), and the table's verdicts against GPT-3's published figures."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO, shared_data

sys.path.insert(0, str(REPO / "bench"))
from gpt3_arithmetic_table import GPT3_175B, render_markdown, verdict  # noqa: E402


def test_all_stages_run_and_the_table_reads_them_back(tmp_path) -> None:
    from components.model.tiny_random import TinyRandomLM

    shared_data("gpt3_synthetic")
    base = tmp_path / "tiny"
    loaded = TinyRandomLM(lora={"enabled": False}).load()
    loaded.model.save_pretrained(base)
    loaded.tokenizer.save_pretrained(base)
    out = tmp_path / "out"
    common = ["--out", str(out), "--base-model", str(base)]
    proc = subprocess.run(
        [
            sys.executable,
            "bench/gpt3_arithmetic.py",
            *common,
            "--overrides",
            "data.eval_rows=2",
            "data.num_train=16",
            "eval.max_new_tokens=8",
            "--sft-overrides",
            "train.max_steps=2",
            "train.max_length=256",
            "--grpo-overrides",
            "train.max_steps=1",
            "train.per_device_train_batch_size=2",
            "train.num_generations=2",
            "train.max_completion_length=8",
            "model.lora.r=4",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads((out / "results.json").read_text())
    assert [r["task"] for r in result["tasks"]] == list(GPT3_175B) and all(r["rows"] == 2 for r in result["tasks"])
    assert result["stages"]["sft"]["global_step"] == 2 and result["stages"]["grpo"]["global_step"] == 1
    assert "model.model_name_or_path=<out>/runs/sft/model" in result["commands"]["grpo"]
    assert result["machine"]["cpu"] and result["git_commit"]
    assert (out / "results.png").stat().st_size > 0 and "| 5D- | 2 |" in (out / "results.md").read_text()
    # a finished stage is not run again: --table-only and a plain rerun give the same rows
    again = subprocess.run(
        [sys.executable, "bench/gpt3_arithmetic.py", *common, "--table-only"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((out / "results.json").read_text())["tasks"] == result["tasks"]


def row(task: str, trained: float, low: float) -> dict:
    return {
        "task": task,
        "rows": 200,
        "base": 0.0,
        "warm_start": 0.1,
        "trained": trained,
        "trained_ci95": [low, 0.9],
        "mcnemar_p_base_vs_trained": 1e-9,
        "truncation_base": 0.03,
        "truncation_trained": 0.0,
        "trained_negative_answers": [30, 100],
        "trained_other_answers": [10, 100],
        "wrong_examples": [{"question": "What is 20 minus 5?", "answer": "15", "completion": "20-5-0=13\nAnswer: 13"}],
    }


def test_the_errors_block_lists_only_tasks_below_gpt3() -> None:
    from gpt3_arithmetic_table import render_errors

    text = render_errors({"tasks": [row("4D-", 0.2, 0.15), row("5D+", 0.8, 0.7)]})
    assert "**4D-** (20.0% vs 25-26%): 30/100 right where the answer is negative, 10/100 elsewhere." in text
    assert '"What is 20 minus 5?" (gold 15): `20-5-0=13 / Answer: 13`' in text and "5D+" not in text


def test_a_task_is_above_gpt3_only_past_the_upper_end_of_its_figure() -> None:
    assert verdict(row("5D+", 0.12, 0.08)) == "above"  # 12% > 10% (the upper end of "9-10")
    assert verdict(row("5D+", 0.095, 0.07)) == "below"  # above 9% but not 10%
    assert verdict(row("2Dx", 0.40, 0.33)) == "**above** (CI)"  # the whole interval clears 29.2%
    assert verdict(row("2D+", 0.99, 0.97)) == "below"


def test_the_table_states_budget_rows_machine_and_counts() -> None:
    record = {
        "stages": {
            "sft": {"global_step": 200, "train_runtime_s": 1500.0},
            "grpo": {"global_step": 150, "train_runtime_s": 2400.0, "eval_max_new_tokens": 256},
        },
        "machine": {"cpu": "Some CPU", "cores": 2, "torch_threads": 2, "date": "2026-12-06"},
        "git_commit": "abcdef0123",
        "versions": {"trl": "1.16.0"},
        "tasks": [row("5D+", 0.5, 0.4), row("2D+", 0.5, 0.4)],
    }
    text = render_markdown(record)
    assert "| 5D+ | 200 | 0.0 | 10.0 | 50.0 | 40.0-90.0 |" in text
    assert "Above GPT-3 175B few-shot on 1 of 2 tasks, 1 with the whole Wilson 95% interval above it" in text
    assert "256 new tokens" in text and "warm start 200 steps in 25.0 min, GRPO 150 steps in 40.0 min" in text
    assert "Some CPU, 2 cores" in text and "commit abcdef0" in text
