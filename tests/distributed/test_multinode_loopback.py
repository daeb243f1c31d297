"""Two "nodes" on one machine: examples/slurm/grpo_multinode.sbatch itself, run under a fake SLURM (srun starts one
torchrun per node with SLURM_NODEID 0/1, all on 127.0.0.1). The script's launch line is checked word for word, then
its c10d rendezvous trains into one run dir (rank 0 alone writes), is killed after step 1 and resumed across both
"nodes" with train.resume_from_checkpoint=auto.

Same as, by hand (two shells, same RLVR_RUN_DIR):
    torchrun --nnodes 2 --nproc-per-node 1 --node-rank 0 --rdzv-backend c10d --rdzv-endpoint 127.0.0.1:29500 \
        --rdzv-id 1 run_pipeline.py model_component=tiny_random train.max_steps=2      (and --node-rank 1)
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

from tests.conftest import REPO
from tests.distributed.launch_helpers import KILL_SCRIPT, RUN_ARGS, fake_slurm, free_port, train_steps

SBATCH = REPO / "examples" / "slurm" / "grpo_multinode.sbatch"


def sbatch(tmp_path, port: int, *args: str, script: str = "run_pipeline.py", kill_step: int | None = None):
    env = dict(
        os.environ,
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        SLURM_JOB_ID="4242",
        SLURM_JOB_NODELIST="node[0-1]",
        SLURM_NNODES="2",
        GPUS_PER_NODE="1",
        RDZV_PORT=str(port),
        EXPERIMENT="",
        TORCHRUN=str(tmp_path / "bin" / "torchrun"),
        SCRIPT=script,
        RLVR_RUN_DIR=str(tmp_path / "run"),
        OMP_NUM_THREADS="1",
        PYTHONWARNINGS="ignore",
        HYDRA_FULL_ERROR="0",
    )
    if kill_step is not None:
        env["RLVR_KILL_AFTER_STEP"] = str(kill_step)
    return subprocess.run(["bash", str(SBATCH), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def launch_lines(port: int, *command: str) -> list[str]:
    """What each node's torchrun must receive: the loopback twin of the module docstring's command."""
    return [
        f"--nnodes 2 --nproc-per-node 1 --node-rank {node} --rdzv-backend c10d --rdzv-endpoint 127.0.0.1:{port} "
        f"--rdzv-id 4242 {' '.join(command)}"
        for node in (0, 1)
    ]


@pytest.mark.slow
def test_sbatch_launch_lines_train_kill_and_resume_across_two_loopback_nodes(tmp_path) -> None:
    log = tmp_path / "launch.log"
    fake_slurm(tmp_path / "bin", log)
    run_dir = tmp_path / "run"

    port = free_port()
    out = sbatch(tmp_path, port, *RUN_ARGS, script=KILL_SCRIPT, kill_step=1)
    assert out.returncode != 0, "the kill after checkpoint-1 should have stopped both nodes"
    assert sorted(log.read_text().splitlines()) == launch_lines(port, KILL_SCRIPT, *RUN_ARGS)
    assert (run_dir / "checkpoints" / "checkpoint-1" / "trainer_state.json").is_file(), out.stderr[-3000:]
    assert not (run_dir / "summary.json").exists()

    log.unlink()
    port = free_port()
    out = sbatch(tmp_path, port, *RUN_ARGS, "train.resume_from_checkpoint=auto")
    assert out.returncode == 0, out.stderr[-4000:]
    resume = launch_lines(port, "run_pipeline.py", *RUN_ARGS, "train.resume_from_checkpoint=auto")
    assert sorted(log.read_text().splitlines()) == resume

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["global_step"] == 2
    assert "Resuming the run in" in (run_dir / "run_pipeline.log").read_text()
    assert (run_dir / "run_pipeline_rank1.log").is_file()  # the other "node" logged into the same dir
    assert train_steps(run_dir) == [1, 2]  # one writer, step 1 from before the kill, step 2 after the resume
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert all(math.isfinite(r["train/loss"]) for r in rows if "train/loss" in r)
    assert sum("eval_before/accuracy" in r for r in rows) == 1  # reused on resume, not evaluated twice
    assert json.loads((run_dir / "eval_after.json").read_text())["num_samples"] == 8
    assert (run_dir / "model" / "adapter_model.safetensors").is_file()
    assert sorted(p.name for p in run_dir.glob("run_pipeline*.log")) == ["run_pipeline.log", "run_pipeline_rank1.log"]
