"""Every experiment file composes with a header and a run command, and runs in smoke mode (tiny model, 1 step).

GPU presets run here too: the smoke overlay swaps in the tiny random model, so only their wiring is tested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CONF_DIR, SHARED_DATA, compose, run_pipeline

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
NEEDS_GSM8K = {"gsm8k_smollm2", "gsm8k_qwen2_5_0_5b", "gsm8k_gemma3_1b"}


def test_the_expected_experiments_exist() -> None:
    assert {"cpu_arithmetic", "gsm8k_smollm2", "gsm8k_qwen2_5_0_5b", "gsm8k_gemma3_1b", "smoke"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_header_is_global_package_with_run_command(name: str) -> None:
    head = (CONF_DIR / "experiment" / f"{name}.yaml").read_text().splitlines()[:4]
    assert head[0] == "# @package _global_"
    assert any(f"experiment={name}" in line and "run_pipeline.py" in line for line in head)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_smoke_overlay_shrinks_every_experiment(name: str) -> None:
    cfg = compose([f"experiment={name}", "+experiment@_global_=smoke"])
    assert cfg.model._target_.endswith("TinyRandomLM") and cfg.train.max_steps == 1
    assert cfg.data.max_eval_samples == 4


def test_gpu_presets_keep_their_model_without_the_overlay() -> None:
    assert compose(["experiment=gsm8k_qwen2_5_0_5b"]).model.load_in_4bit is True
    assert compose(["experiment=gsm8k_gemma3_1b"]).model.model_name_or_path == "unsloth/gemma-3-1b-it"


def test_every_experiment_runs_in_smoke_mode(tmp_path: Path) -> None:
    names = [n for n in EXPERIMENTS if n not in NEEDS_GSM8K or (SHARED_DATA / "gsm8k").exists()]
    # One multirun process for all of them: the heavy imports are paid once.
    proc = run_pipeline("-m", f"experiment={','.join(names)}", "+experiment@_global_=smoke",
                        f"hydra.sweep.dir={tmp_path}", timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for num, name in enumerate(names):
        summary = json.loads((tmp_path / str(num) / "summary.json").read_text())
        assert summary["global_step"] == 1, name
        assert f"experiment={name}" in (tmp_path / str(num) / ".hydra" / "overrides.yaml").read_text()
