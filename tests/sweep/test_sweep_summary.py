"""The sweep summary ranks jobs by the main metric, lists failed jobs last, and writes csv/md/png."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from components.sweep.summary import SweepSummaryCallback, summarize


def _job(sweep: Path, num: int, overrides: list[str], summary: dict | None) -> None:
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if summary is not None:
        (job / "summary.json").write_text(json.dumps(summary))


def test_ranks_by_metric_and_puts_failed_jobs_last(tmp_path: Path) -> None:
    _job(tmp_path, 0, ["train.learning_rate=1e-05"], {"accuracy_after": 0.25, "cost/usd": 0.5})
    _job(tmp_path, 1, ["train.learning_rate=3e-05"], None)  # crashed: no summary.json
    _job(tmp_path, 2, ["train.learning_rate=1e-04"], {"accuracy_after": 0.75, "cost/usd": 0.4})
    rows = summarize(tmp_path, "accuracy_after", "max", ["cost/usd"])
    assert [r["job"] for r in rows] == ["2", "0", "1"]
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    with open(tmp_path / "sweep_summary.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert table[0]["overrides"] == "train.learning_rate=1e-04" and table[0]["cost/usd"] == "0.4"
    assert "| 1 | 2 | ok | 0.75 | 0.4 | train.learning_rate=1e-04 |" in (tmp_path / "sweep_summary.md").read_text()
    assert (tmp_path / "sweep_summary.png").stat().st_size > 1000


def test_min_mode_ranks_lowest_first(tmp_path: Path) -> None:
    _job(tmp_path, 0, ["a=1"], {"cost/usd": 2.0})
    _job(tmp_path, 1, ["a=2"], {"cost/usd": 1.0})
    assert [r["job"] for r in summarize(tmp_path, "cost/usd", "min")] == ["1", "0"]


def test_bad_mode_names_the_key() -> None:
    with pytest.raises(ValueError, match="hydra.callbacks.sweep_summary.mode=best"):
        SweepSummaryCallback(mode="best")
