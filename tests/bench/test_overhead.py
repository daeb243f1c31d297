"""bench/overhead.py runs end to end on the tiny model: its bare-TRL arm gets the pipeline's GRPOConfig from the
pipeline's own training loop, and the field-by-field check still names any field that differs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


def test_both_arms_train_with_one_grpo_config(tmp_path) -> None:
    out = tmp_path / "overhead.json"
    done = subprocess.run(
        # 2 rounds: pipeline, bare, then bare, pipeline, so a bare arm is checked against the pipeline's config
        [sys.executable, str(REPO / "bench" / "overhead.py"), "--rounds", "2", "--steps", "2", "--out", str(out)],
        cwd=REPO,
        env=dict(os.environ, WANDB_MODE="offline"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    for kind in ("trl", "wall"):  # the first step of each fit is dropped: 1 timed step x 2 fits per arm
        assert result[kind]["n"] == 2 and result[kind]["pipeline_median_s"] > 0 and result[kind]["bare_median_s"] > 0


def test_a_differing_field_is_named() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from overhead import check_identical
    finally:
        sys.path.remove(str(REPO / "bench"))
    from trl import GRPOConfig

    common = {"use_cpu": True, "bf16": False, "report_to": "none"}
    pipeline = GRPOConfig(output_dir="a", cache_implementation="static", **common)
    check_identical(GRPOConfig(output_dir="b", cache_implementation="static", **common), pipeline)  # paths aside
    with pytest.raises(ValueError, match="GRPOConfig differs at cache_implementation: bare=None pipeline='static'"):
        check_identical(GRPOConfig(output_dir="b", **common), pipeline)
