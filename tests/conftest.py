"""Shared test fixtures: compose the real config, find the shared data, run the pipeline in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONF_DIR = REPO / "conf"
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the hub
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def compose(overrides: list[str] | None = None, config_name: str = "config"):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from components.runtime import bracket_indices_to_dots

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return hydra_compose(config_name, overrides=bracket_indices_to_dots(overrides or []))


def shared_data(relative: str) -> Path:
    """Path under ../shared/data; CI always has it, so there a missing file fails instead of skipping."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing in CI: {path}")
        pytest.skip(f"shared data not found at {path} (it lives beside the repo in ../shared/data)")
    return path


def run_pipeline(*args: str, timeout: int = 240, script: str = "run_pipeline.py") -> subprocess.CompletedProcess:
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, str(REPO / script), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# The tiny random model writes near-random tokens; a "starts with a digit" format check gives those
# completions different rewards, so GRPO has a non-zero advantage and the LoRA weights must move.
TINY_TRAIN = [
    "model_component=tiny_random",
    "reward.reward_functions[1].params.regex='^[0-9]'",
    "reward.reward_functions[1].weight=1.0",  # the default reward only monitors format (weight 0)
    "train.max_steps=2",
    "train.per_device_train_batch_size=4",
    "train.num_generations=4",
    "train.max_completion_length=16",
    "data.num_train=64",
    "data.num_eval=8",
]
