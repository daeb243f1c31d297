"""The environments record names each run's command and commit, and its McNemar counts add up (the BENCHMARKS.md
table is rendered from it by bench/render_docs.py; tests/docs/test_rendered_results.py checks it)."""

from __future__ import annotations

import json
import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

RECORD = REPO / "results" / "environments.json"


def test_the_record_names_its_runs_commit_command_and_machine() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "date"} <= set(record["machine"]) and record["git_commit"]
    for name, run in record["environments"].items():
        assert run["run_commit"] and run["command"].startswith("python run_pipeline.py experiment=env_"), name
        test = run["mcnemar"]
        assert run["successes_after"] - run["successes_before"] == test["better"] - test["worse"], name
