"""A real `python -m serve` process with the tiny model on 127.0.0.1 (a free port), shared by the HTTP tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

STARTUP_S = 120  # the tiny tokenizer trains in-process; a shared 2-core machine can be slow


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, overrides: list[str], workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", HF_HUB_OFFLINE="1", WANDB_MODE="offline")
        args = [
            sys.executable,
            "-m",
            "serve",
            *overrides,
            f"serve.port={self.port}",
            f"hydra.run.dir={workdir / 'hydra'}",
        ]
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:  # bounded in time: at most STARTUP_S / 0.25 polls
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"server not ready after {STARTUP_S}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


# Drift reference the tiny random model cannot match: every reward 1.0, every completion 3 tokens long.
DRIFTED_REFERENCE = {"source": "test", "num_samples": 50, "reward": [1.0] * 50, "completion_length": [3] * 50}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("serve")
    reference = workdir / "reference_distribution.json"
    reference.write_text(json.dumps(DRIFTED_REFERENCE))
    srv = Server(
        [
            "model_component=tiny_random",
            "serve.limits.max_new_tokens=32",
            "serve.limits.default_max_new_tokens=16",
            "serve.limits.max_rollouts=4",
            "serve.limits.max_prompt_chars=500",
            f"serve.drift.reference={reference}",
            "serve.drift.min_samples=8",
        ],
        workdir,
    )
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
