"""The seed README's commands: each composes verbatim; each runs (shrunk to the tiny model) or fails clearly."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TINY_TRAIN, compose, run_pipeline

SEED_COMMANDS = [
    ["model.model_name_or_path=unsloth/gemma-3-1b-it", "train.max_steps=500", "train.learning_rate=1e-5"],
    ["data_component=finqa"],
    ["reward.reward_functions[0].params.correct_reward=5.0"],
    ["model.load_in_4bit=true", "train.per_device_train_batch_size=8"],
]


@pytest.mark.parametrize("overrides", SEED_COMMANDS, ids=lambda o: " ".join(o))
def test_seed_command_composes_verbatim(overrides: list[str]) -> None:
    cfg = compose(overrides)
    assert cfg.mode == "train"


def test_seed_values_land_where_users_expect() -> None:
    cfg = compose(SEED_COMMANDS[0])
    assert cfg.model.model_name_or_path == "unsloth/gemma-3-1b-it"
    assert cfg.train.max_steps == 500 and cfg.train.learning_rate == 1e-5
    assert compose(SEED_COMMANDS[2]).reward.reward_functions[0].params.correct_reward == 5.0
    cfg = compose(SEED_COMMANDS[3])
    assert cfg.model.load_in_4bit is True and cfg.train.per_device_train_batch_size == 8


def test_hub_only_commands_fail_with_one_line_offline(tmp_path) -> None:
    result = run_pipeline(*SEED_COMMANDS[0], f"hydra.run.dir={tmp_path}/a", timeout=180)
    assert result.returncode != 0 and "model.model_name_or_path=unsloth/gemma-3-1b-it: cannot load" in result.stderr
    # data_component=finqa trains from ../shared/data/finqa; without that copy it goes to the hub
    result = run_pipeline(
        *SEED_COMMANDS[1], f"data.local_path={tmp_path}/absent", f"hydra.run.dir={tmp_path}/b", timeout=180
    )
    assert result.returncode != 0 and "data.hub_path=ibm-research/finqa: cannot load split" in result.stderr
    assert "Traceback" not in result.stderr


def test_correct_reward_override_and_4bit_run_with_tiny_model(tmp_path) -> None:
    run_dir = tmp_path / "run"
    result = run_pipeline(
        "model_component=tiny_random",
        "model.load_in_4bit=true",
        "train.per_device_train_batch_size=8",
        "train.max_steps=1",
        "train.max_completion_length=8",
        "reward.reward_functions[0].params.correct_reward=5.0",
        "data.num_eval=4",
        f"hydra.run.dir={run_dir}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = (run_dir / ".hydra" / "config.yaml").read_text()
    assert "correct_reward: 5.0" in config and "load_in_4bit: true" in config
    assert json.loads((run_dir / "summary.json").read_text())["global_step"] == 1


def test_multirun_learning_rate_sweep(tmp_path) -> None:
    sweep = tmp_path / "sweep"
    result = run_pipeline(
        "-m", *TINY_TRAIN, "train.max_steps=1", "train.learning_rate=1e-5,3e-5", f"hydra.sweep.dir={sweep}", timeout=400
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rates = sorted(
        json.loads((sweep / str(i) / "summary.json").read_text()) and compose_lr(sweep / str(i)) for i in range(2)
    )
    assert rates == [1e-5, 3e-5]


def compose_lr(job_dir) -> float:
    from omegaconf import OmegaConf

    return OmegaConf.load(job_dir / ".hydra" / "config.yaml").train.learning_rate
