"""Shared by the launch tests: the tiny run's overrides, a free loopback port, a fake SLURM on PATH."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from tests.conftest import TINY_TRAIN

# Two steps, a checkpoint after each, the first-step kill of tests/reliability/kill_after_save.py, no probes.
RUN_ARGS = [
    *TINY_TRAIN,
    "train.save_strategy=steps",
    "train.save_steps=1",
    "eval.probe_every_steps=0",
]
KILL_SCRIPT = "tests/reliability/kill_after_save.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train_steps(run_dir: Path) -> list[int]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if "train/loss" in r]


def fake_slurm(bin_dir: Path, launch_log: Path) -> None:
    """`srun` starting its command once per node (SLURM_NODEID 0..N-1, all on this machine; with $SRUN_RECORD set
    it only appends its argv there), `scontrol` naming 127.0.0.1 as every node, and a `torchrun` that records
    the exact line it was given, then runs it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    scripts = {
        "srun": f"""#!{sys.executable}
import json, os, subprocess, sys
if os.environ.get("SRUN_RECORD"):  # render only: note the command line, start nothing
    with open(os.environ["SRUN_RECORD"], "a") as f:
        f.write(json.dumps(sys.argv[1:]) + "\\n")
    sys.exit(0)
args, nodes = sys.argv[1:], 1
while args and args[0].startswith("--"):
    option = args.pop(0)
    if option.startswith("--nodes="):
        nodes = int(option.split("=", 1)[1])
env = lambda i: dict(os.environ, SLURM_NODEID=str(i), SLURM_PROCID=str(i), SLURM_LOCALID="0")
procs = [subprocess.Popen(args, env=env(i)) for i in range(nodes)]
sys.exit(max(p.wait() for p in procs))
""",
        "scontrol": "#!/bin/bash\necho 127.0.0.1\necho 127.0.0.1\n",
        "curl": "#!/bin/bash\nexit 0\n",  # the vLLM example polls its server's /health
        "torchrun": f'#!/bin/bash\necho "$*" >> "{launch_log}"\nexec "{sys.executable}" -m torch.distributed.run "$@"\n',
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
