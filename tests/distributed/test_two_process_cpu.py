"""A real 2-process GRPO run on CPU (gloo): both ranks train, rank 0 alone writes, one run dir.

The working command (documented in docs/SCALING.md):
    torchrun --standalone --nproc_per_node 2 run_pipeline.py model_component=tiny_random train.max_steps=2
(`accelerate launch --cpu --num_processes 2` exits 0 but runs ONE process; see docs/SCALING.md.)
No hydra.run.dir is passed on purpose: the ranks must agree on Hydra's timestamped default themselves.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from tests.conftest import REPO, TINY_TRAIN


def test_two_cpu_processes_train_together_into_one_run_dir(tmp_path) -> None:
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env.pop("RLVR_RUN_DIR", None)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        str(REPO / "run_pipeline.py"),
        *TINY_TRAIN,
    ]
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]  # torchrun: 0 only if both ranks exit 0

    run_dirs = [p.parent for p in tmp_path.glob("outputs/*/*/run_pipeline.log")]
    assert len(run_dirs) == 1, f"ranks wrote {len(list(tmp_path.glob('outputs/*/*')))} run dirs"
    run_dir = run_dirs[0]
    assert (run_dir / "run_pipeline_rank1.log").exists(), "rank 1 did not log into the shared run dir"
    assert "Building components.training.grpo" in (run_dir / "run_pipeline_rank1.log").read_text()

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["world_size"] == 2, "the trainer saw one process: the launch did not really distribute"
    assert summary["global_step"] == 2

    # One writer: each logged step appears once (two writers would duplicate or interleave rows).
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if "loss" in r]
    assert [r["step"] for r in train_rows] == [1, 2]
    assert all(math.isfinite(r["loss"]) for r in train_rows)
    for name in ("eval_before.json", "eval_after.json"):
        assert json.loads((run_dir / name).read_text())["num_samples"] == 8
    assert (run_dir / "model" / "adapter_model.safetensors").exists()
