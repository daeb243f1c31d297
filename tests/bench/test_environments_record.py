"""The Environments table in BENCHMARKS.md is its record rendered (bench/environments.py --table), never typed."""

from __future__ import annotations

import json
import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import environments as bench  # noqa: E402

RECORD = REPO / "results" / "environments.json"


def test_the_benchmarks_table_is_the_record_rendered() -> None:
    table = bench.render_table(json.loads(RECORD.read_text(encoding="utf-8")))
    fix = f"python bench/environments.py --out x --table {RECORD.relative_to(REPO)}"
    assert table in (REPO / "BENCHMARKS.md").read_text(encoding="utf-8"), f"BENCHMARKS.md differs; paste {fix}"


def test_the_record_names_its_runs_commit_command_and_machine() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "date"} <= set(record["machine"]) and record["commit"]
    for name, run in record["environments"].items():
        assert run["run_commit"] and run["command"].startswith("python run_pipeline.py experiment=env_"), name
        test = run["mcnemar"]
        assert run["successes_after"] - run["successes_before"] == test["better"] - test["worse"], name
