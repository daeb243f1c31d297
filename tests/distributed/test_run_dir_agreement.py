"""Rank helpers and run-dir agreement, without launching processes (the 2-process test covers the real launch)."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest

from components.distributed import (
    RUN_DIR_ENV,
    agree_on_run_dir,
    default_run_dir,
    is_main_process,
    world_size,
)
from components.observer.base import Observer, main_process_only
from tests.conftest import REPO

ARGV = ["run_pipeline.py", "model_component=tiny_random"]


def test_single_process_argv_is_untouched() -> None:
    assert agree_on_run_dir(ARGV, {}) == ARGV
    assert world_size({}) == 1 and is_main_process({})


def test_explicit_run_dir_wins_and_rank1_keeps_out_of_hydra_files() -> None:
    env = {"WORLD_SIZE": "2", "RANK": "1"}
    out = agree_on_run_dir([*ARGV, "hydra.run.dir=/runs/a"], env)
    assert [a for a in out if a.startswith("hydra.run.dir=")] == ["hydra.run.dir=/runs/a"]
    assert "hydra.output_subdir=null" in out and "hydra.job.name=run_pipeline_rank1" in out


def test_env_var_pins_the_run_dir_on_every_rank() -> None:
    for rank in ("0", "1"):
        out = agree_on_run_dir(ARGV, {"WORLD_SIZE": "2", "RANK": rank, RUN_DIR_ENV: "/shared/run7"})
        assert "hydra.run.dir=/shared/run7" in out
    assert "hydra.output_subdir=null" not in agree_on_run_dir(ARGV, {"WORLD_SIZE": "2", "RANK": "0", RUN_DIR_ENV: "x"})


def test_launcher_without_store_or_dir_stops_with_the_fix() -> None:
    with pytest.raises(SystemExit, match=f"hydra.run.dir=<dir> or set {RUN_DIR_ENV}"):
        agree_on_run_dir(ARGV, {"WORLD_SIZE": "2", "RANK": "0"})


def test_default_run_dir_matches_hydra_layout() -> None:
    assert default_run_dir(datetime.datetime(2025, 1, 2, 3, 4, 5)) == "outputs/2025-01-02/03-04-05"


def test_observers_are_silenced_off_rank_zero(monkeypatch) -> None:
    real = Observer()
    monkeypatch.setenv("RANK", "1")
    assert type(main_process_only(real)) is Observer and main_process_only(real) is not real
    monkeypatch.setenv("RANK", "0")
    assert main_process_only(real) is real


def test_write_json_writes_on_rank_zero_only(tmp_path, monkeypatch) -> None:
    from components.run_files import write_json

    monkeypatch.setenv("RANK", "1")
    write_json(tmp_path / "a.json", {"x": 1})
    assert not (tmp_path / "a.json").exists()
    monkeypatch.setenv("RANK", "0")
    write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}


def test_store_broadcast_gives_every_rank_rank_zeros_dir(tmp_path) -> None:
    """Two real processes against one TCP store (what torchrun provides): both print the same dir."""
    from torch.distributed import TCPStore

    store = TCPStore("127.0.0.1", 0, is_master=True, wait_for_workers=False)
    code = (
        "import sys; from components.distributed import agree_on_run_dir; "
        "print([a for a in agree_on_run_dir(['x']) if a.startswith('hydra.run.dir=')][0])"
    )
    procs = []
    for rank in ("1", "0"):  # rank 1 asks first and must wait for rank 0's answer
        env = {
            "WORLD_SIZE": "2",
            "RANK": rank,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(store.port),
            "TORCHELASTIC_USE_AGENT_STORE": "True",
            "TORCHELASTIC_RUN_ID": "t1",
            "PATH": "/usr/bin:/bin",
        }
        procs.append(
            subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, cwd=REPO)
        )
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs[0] == outs[1] and outs[0].startswith("hydra.run.dir=outputs/")
