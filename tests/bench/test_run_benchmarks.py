"""bench/run_benchmarks.py: two tiny-model runs, a missing experiment and a dir without a run become one table
(Markdown + CSV + PNG) with the documented columns; --from-runs reads the same run dirs back into the same rows."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

from tests.conftest import REPO, TINY_TRAIN

COLUMNS = [
    "benchmark",
    "status",
    "model",
    "steps",
    "eval_max_new_tokens",
    "eval_problems",
    "grader",
    "accuracy_before",
    "accuracy_after",
    "gain",
    "gain_ci_low",
    "gain_ci_high",
    "mcnemar_p",
    "truncation_before",
    "truncation_after",
    "baseline_pass_at_k",
    "baseline_k",
    "expected_informative_share",
    "zero_signal_share",
    "wall_s",
    "cost_usd",
    "run_dir",
    "note",
]


def runner(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", WANDB_MODE="offline")
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / "run_benchmarks.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def read(out) -> tuple[list[str], list[dict]]:
    with (out / "results.csv").open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_runner_tabulates_tiny_runs_and_says_why_a_row_is_missing(tmp_path) -> None:
    out = tmp_path / "suite"
    result = runner(
        "--experiments",
        "default,no_such_benchmark,smoke",
        "--out",
        str(out),
        "--overrides",
        *TINY_TRAIN,
        "train.max_steps=1",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    header, rows = read(out)
    assert header == COLUMNS
    by_name = {row["benchmark"]: row for row in rows}
    assert [row["benchmark"] for row in rows] == ["default", "no_such_benchmark", "smoke"]
    for name in ("default", "smoke"):
        row = by_name[name]
        assert row["status"] == "finished" and row["model"] == "tiny_random" and row["steps"] == "1"
        assert row["baseline_k"] == "4"  # the runner turns the power check on: pass@k at baseline from 4 samples
        for key in (
            "accuracy_before",
            "accuracy_after",
            "gain_ci_low",
            "mcnemar_p",
            "truncation_before",
            "zero_signal_share",
            "wall_s",
            "cost_usd",
            "baseline_pass_at_k",
            "expected_informative_share",
        ):
            float(row[key])  # a number, not empty
    assert by_name["no_such_benchmark"]["status"] == "missing"
    assert "conf/experiment/no_such_benchmark.yaml does not exist" in by_name["no_such_benchmark"]["note"]
    md = (out / "results.md").read_text(encoding="utf-8")
    assert (
        "| benchmark | status | model | steps | eval budget / problems | grader | before | after | gain [95% CI] |"
        in md
    )
    assert md.count("\n| ") == 1 + 3  # header + one row per experiment
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = tmp_path / "collected"
    result = runner(
        "--from-runs", by_name["default"]["run_dir"], by_name["smoke"]["run_dir"], str(tmp_path), "--out", str(again)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    header, collected = read(again)
    assert header == COLUMNS and [row["benchmark"] for row in collected[:2]] == ["default", "smoke"]
    for before, after in zip(rows[::2], collected[:2]):  # the same files give the same row
        assert before == after
    assert collected[2]["status"] == "failed" and "no summary.json" in collected[2]["note"]
    assert (again / "results.md").is_file() and (again / "results.png").is_file()


def test_a_stopped_run_states_its_reason_once(tmp_path) -> None:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("run_benchmarks", REPO / "bench" / "run_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(REPO / "bench"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "bench"))
    reason = "preflight: in the first 3 steps every group of completions got identical rewards"
    (tmp_path / "summary.json").write_text(json.dumps({"status": "preflight_failed", "reason": reason}))
    last_line = f"exit 2: stopped (preflight_failed): {reason} (log: run.log)"
    assert module.row_from_run(tmp_path, "x", note=last_line)["note"] == last_line
    assert module.row_from_run(tmp_path, "x", note="killed")["note"] == f"killed; {reason}"
