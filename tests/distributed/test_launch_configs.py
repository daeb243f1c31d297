"""Every accelerate launch config parses with accelerate's own loader and launch validation, and the Hydra
overrides in its header's run command compose against conf/ (so the documented command is a real one)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from tests.conftest import CONF_DIR, compose

CONFIGS = sorted((CONF_DIR / "accelerate").glob("*.yaml"))
EXPECTED = {  # file -> (use_deepspeed, use_fsdp, multi_gpu, zero_stage, offload_param_device)
    "cpu_2proc": (False, False, True, None, None),
    "ddp": (False, False, True, None, None),
    "fsdp": (False, True, False, None, None),
    "zero2": (True, False, False, 2, "none"),
    "zero3": (True, False, False, 3, "none"),
    "zero3_offload": (True, False, False, 3, "cpu"),
}


def _validated(path: Path):
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser

    args = launch_command_parser().parse_args(["--config_file", str(path), "run_pipeline.py"])
    return _validate_launch_command(args)[0]


def _run_command(path: Path) -> list[str]:
    line = next(line for line in path.read_text().splitlines() if line.startswith("# Run: "))
    argv = shlex.split(line[len("# Run: ") :])
    assert argv[:3] == ["accelerate", "launch", "--config_file"] and argv[3] == f"conf/accelerate/{path.name}"
    return argv[argv.index("run_pipeline.py") + 1 :]


def test_every_strategy_has_a_config() -> None:
    assert {p.stem for p in CONFIGS} == set(EXPECTED)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_launch_config_validates(path: Path) -> None:
    from accelerate.commands.config.config_args import load_config_from_file

    load_config_from_file(str(path))  # raises on unknown keys
    args = _validated(path)
    deepspeed, fsdp, multi_gpu, stage, offload = EXPECTED[path.stem]
    assert (args.use_deepspeed, args.use_fsdp, args.multi_gpu) == (deepspeed, fsdp, multi_gpu)
    assert args.num_processes == yaml.safe_load(path.read_text())["num_processes"] >= 2
    if deepspeed:
        assert (args.zero_stage, args.offload_param_device) == (stage, offload)
    assert path.read_text().startswith("# "), "header comment first"


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_header_command_composes(path: Path) -> None:
    cfg = compose(_run_command(path))
    assert cfg.train._target_ == "components.training.grpo.GRPOTrainingLoop"


def test_cpu_config_really_uses_cpu() -> None:
    assert yaml.safe_load((CONF_DIR / "accelerate" / "cpu_2proc.yaml").read_text())["use_cpu"] is True
