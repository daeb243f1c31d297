"""The SLURM examples render the launch lines docs/SCALING.md promises: each sbatch script runs under a fake SLURM
(srun records its argv and starts nothing) and the exact command it would execute is checked. The multi-node torchrun
example is also executed for real, on two loopback nodes (test_multinode_loopback.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.distributed.launch_helpers import fake_slurm

SLURM = REPO / "examples" / "slurm"


def render(tmp_path: Path, name: str, *args: str, **env: str) -> list[list[str]]:
    fake_slurm(tmp_path / "bin", tmp_path / "launch.log")
    record = tmp_path / "srun.jsonl"
    full = dict(
        os.environ,
        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        SRUN_RECORD=str(record),
        SLURM_JOB_ID="77",
        SLURM_JOB_NODELIST="node[0-2]",
        SLURM_NNODES="2",
        **env,
    )
    full.pop("RLVR_RUN_DIR", None)
    out = subprocess.run(
        ["bash", str(SLURM / name), *args], cwd=REPO, env=full, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in record.read_text().splitlines()]


def test_multinode_sbatch_renders_one_torchrun_per_node_with_c10d_rendezvous(tmp_path) -> None:
    (srun,) = render(tmp_path, "grpo_multinode.sbatch", "train.max_steps=5")
    assert srun[:3] == ["--nodes=2", "--ntasks-per-node=1", "bash"]
    body, argv = srun[4], srun[5:]
    assert " ".join(body.split()) == (
        'exec "$0" --nnodes "$SLURM_NNODES" --nproc-per-node "$1" --node-rank "$SLURM_NODEID" '
        '\\ --rdzv-backend c10d --rdzv-endpoint "$2" --rdzv-id "$SLURM_JOB_ID" "${@:3}"'
    )
    assert argv == [
        ".venv/bin/torchrun",
        "8",
        "127.0.0.1:29500",
        "run_pipeline.py",
        "experiment=gsm8k_qwen2_5_0_5b",
        "train.max_steps=5",
    ]


def test_single_node_sbatch_renders_accelerate_with_the_chosen_config(tmp_path) -> None:
    (srun,) = render(
        tmp_path, "grpo_single_node.sbatch", "train.max_steps=5", ACCELERATE_CONFIG="conf/accelerate/zero3.yaml"
    )
    assert srun == [
        ".venv/bin/accelerate",
        "launch",
        "--config_file",
        "conf/accelerate/zero3.yaml",
        "--num_processes",
        "8",
        "run_pipeline.py",
        "experiment=gsm8k_qwen2_5_0_5b",
        "train.max_steps=5",
    ]


def test_vllm_sbatch_renders_a_server_node_and_accelerate_on_the_others(tmp_path) -> None:
    # the server's srun runs in the background, so the two records may land in either order
    server, train = sorted(render(tmp_path, "grpo_multinode_vllm.sbatch"), key=lambda argv: "vllm-serve" not in argv)
    assert server[:3] == ["--nodes=1", "--ntasks=1", "--nodelist=127.0.0.1"]
    assert server[3:] == [
        ".venv-vllm/bin/trl",
        "vllm-serve",
        "--model",
        "Qwen/Qwen2.5-0.5B-Instruct",
        "--data_parallel_size",
        "8",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert train[:4] == ["--nodes=1", "--ntasks=1", "--nodelist=127.0.0.1", "bash"]
    assert " ".join(train[5].split()) == (
        ".venv-vllm/bin/accelerate launch --config_file conf/accelerate/zero3.yaml --num_machines 1 --machine_rank "
        "$SLURM_PROCID --num_processes 8 --main_process_ip 127.0.0.1 --main_process_port 29500 run_pipeline.py "
        "experiment=gsm8k_qwen2_5_0_5b train.use_vllm=true train.vllm_mode=server train.vllm_server_host=127.0.0.1 "
        "train.vllm_server_port=8000"
    )
