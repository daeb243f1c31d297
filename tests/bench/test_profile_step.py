"""bench/profile_step.py: a tiny-model A/B (this pipeline's trainer vs TRL's) reports each phase's seconds,
generated tokens per second of step time and each phase's fraction of the measured roofline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO

SAVINGS_OFF = (
    "train.prune_zero_signal=false,train.merge_lora_for_generation=false,train.transpose_weights_for_generation=false,"
    "train.static_cache_for_generation=false,train.shared_prompt_forward=false"
)


def test_pipeline_and_trl_arms_report_phases_tokens_and_roofline_fractions(tmp_path) -> None:
    out = tmp_path / "profile.json"
    env = dict(os.environ, WANDB_MODE="offline")
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "profile_step.py"), "--model", "tiny", "--steps", "2", "--out", str(out),
         "--variant", "pipeline:", "--variant", f"trl:{SAVINGS_OFF}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["roofline"]["copy_bandwidth_GBs"] > 0 and result["roofline"]["matmul_GFLOPs"] > 0
    for name in ("pipeline", "trl"):
        variant = result["variants"][name]
        assert variant["n"] == 1 and variant["median_s"]["wall"] > 0
        assert variant["median_s"]["tokens_per_step_second"] > 0
        assert set(variant["roofline_fraction"]) == {"generation", "logprob_forward", "backward"}
        generation = variant["roofline_fraction"]["generation"]
        assert generation is None or generation > 0  # None only when the phase took under 0.05 s
    assert "fraction of roofline: generation" in done.stdout
