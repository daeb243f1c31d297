"""Every experiment file composes with a header and a run command, and runs in smoke mode (tiny model, 1 step).

GPU presets run here too: the smoke overlay swaps in the tiny random model, so only their wiring is tested.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import CONF_DIR, SHARED_DATA, compose, run_pipeline

EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
NEEDS_GSM8K = {"gsm8k_smollm2", "gsm8k_qwen2_5_0_5b", "gsm8k_qwen2_5_1_5b", "gsm8k_gemma3_1b"}
BENCHMARKS = {"math500": "math500", "finqa": "finqa", "mbpp": "mbpp", "nq_open": "nq_open", "boolq": "boolq"}
# experiment -> the ../shared/data folder it reads
GPT3 = {"gpt3_arithmetic_sft_smollm2": "gpt3_synthetic", "gpt3_arithmetic_smollm2": "gpt3_synthetic"}
NEEDS_SHARED = {
    **{name: "gsm8k" for name in NEEDS_GSM8K},
    **{f"{b}_smollm2": d for b, d in BENCHMARKS.items()},
    **GPT3,
}
SMOKE_EXTRA = {
    # the tiny random model has 1,024 positions: FinQA's smoke run keeps only contexts that fit
    "finqa_smollm2": ["data.max_question_chars=1100"],
    # SFT has no rollouts: the overlay's GRPO batch keys are not SFTConfig fields
    "gpt3_arithmetic_sft_smollm2": ["~train.num_generations", "~train.max_completion_length"],
    # the GRPO stage names the warm start's weights (???); the overlay's tiny model replaces them (Hydra deletes
    # only a key that has a value, hence the two steps)
    "gpt3_arithmetic_smollm2": ["model.model_name_or_path=unused", "~model.model_name_or_path"],
}


def test_the_expected_experiments_exist() -> None:
    assert {"cpu_arithmetic", "gsm8k_smollm2", "gsm8k_qwen2_5_0_5b", "gsm8k_gemma3_1b", "smoke"} <= set(EXPERIMENTS)
    assert {f"{b}_smollm2" for b in ["gsm8k", *BENCHMARKS]} | {"gsm8k_qwen2_5_1_5b"} <= set(EXPERIMENTS)


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
    qwen = compose(["experiment=gsm8k_qwen2_5_0_5b"])  # verl's LoRA anchor: r=32 on a bf16 base, 1024-token replies
    assert qwen.model.load_in_4bit is False and qwen.model.lora.r == 32 and qwen.train.max_completion_length == 1024
    # 64 prompts x 5 completions per optimizer step, in both sizes
    for name in ("gsm8k_qwen2_5_0_5b", "gsm8k_qwen2_5_1_5b"):
        cfg = compose([f"experiment={name}"])
        assert (
            cfg.train.per_device_train_batch_size * cfg.train.gradient_accumulation_steps
            == 64 * cfg.train.num_generations
        )
    assert compose(["experiment=gsm8k_qwen2_5_1_5b"]).model.model_name_or_path == "Qwen/Qwen2.5-1.5B-Instruct"
    assert compose(["experiment=gsm8k_gemma3_1b"]).model.model_name_or_path == "unsloth/gemma-3-1b-it"


BENCHMARK_RUNS = sorted(f"{b}_smollm2" for b in BENCHMARKS)


@pytest.mark.parametrize("group", ["benchmarks", "others"])
def test_every_experiment_runs_in_smoke_mode(group: str, tmp_path: Path) -> None:
    # without ../shared/data those experiments are left out, except in CI, which must have it (they then fail)
    names = [
        n
        for n in EXPERIMENTS
        if n not in NEEDS_SHARED or (SHARED_DATA / NEEDS_SHARED[n]).exists() or os.environ.get("CI")
    ]
    names = [n for n in names if (n in BENCHMARK_RUNS) == (group == "benchmarks")]
    plain = [n for n in names if n not in SMOKE_EXTRA]
    # One multirun process per group: the heavy imports are paid once. The tiny model's eval replies are cut
    # to 16 tokens (the recipes' budgets, up to 1,024, only cost time here: the wiring is what is tested).
    proc = run_pipeline(
        "-m",
        f"experiment={','.join(plain)}",
        "+experiment@_global_=smoke",
        "eval.max_new_tokens=16",
        f"hydra.sweep.dir={tmp_path}",
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for num, name in enumerate(plain):
        summary = json.loads((tmp_path / str(num) / "summary.json").read_text())
        assert summary["global_step"] == 1, name
        assert f"experiment={name}" in (tmp_path / str(num) / ".hydra" / "overrides.yaml").read_text()
    for name in (n for n in names if n in SMOKE_EXTRA):
        run_dir = tmp_path / name
        proc = run_pipeline(
            f"experiment={name}",
            "+experiment@_global_=smoke",
            "eval.max_new_tokens=16",
            *SMOKE_EXTRA[name],
            f"hydra.run.dir={run_dir}",
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert json.loads((run_dir / "summary.json").read_text())["global_step"] == 1, name
