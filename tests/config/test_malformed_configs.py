"""Malformed configs are rejected right after Hydra composes: one short line naming the key, well under 5 s.

Most cases run in-process (compose + components.validation.validate, what run_pipeline.train() does first);
a few run the real entry point to prove the exit code, the single stderr line and the absent traceback.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig

from components import validation
from components.model import four_bit
from components.runtime import bracket_indices_to_dots
from tests.conftest import CONF_DIR, REPO, run_pipeline

TINY = "model_component=tiny_random"
CASES = [  # (overrides, the key the one-line message must name)
    (["train.max_steps=abc"], "train.max_steps"),
    (["train.max_steps=0"], "train.max_steps"),
    (["train.max_steps=-5"], "train.max_steps"),
    (["train.learning_rate=-1e-4"], "train.learning_rate"),
    (["train.learning_rate=fast"], "train.learning_rate"),
    (["train.per_device_train_batch_size=0"], "train.per_device_train_batch_size"),
    (["train.num_generations=1", "train.per_device_train_batch_size=8"], "train.num_generations"),
    (["train.num_generations=3", "train.per_device_train_batch_size=8"], "train.num_generations=3"),
    (["train.max_completion_length=0"], "train.max_completion_length"),
    (["train.temperature=0"], "train.temperature"),
    (["train.beta=-0.1"], "train.beta"),
    (["train.logging_steps=0"], "train.logging_steps"),
    (["train.save_steps=0"], "train.save_steps"),
    (["train.save_total_limit=0"], "train.save_total_limit"),
    (["train.fp16=maybe"], "train.fp16"),
    (["+train.not_a_field=1"], "train.not_a_field"),
    (["train.preflight=perhaps"], "train.preflight"),
    (["train.preflight_steps=0"], "train.preflight_steps"),
    (["train.guards.patience=0"], "train.guards.patience"),
    (["+train.guards.bogus=1"], "train.guards.bogus"),
    (["train.resume_from_checkpoint=/no/such/checkpoint"], "train.resume_from_checkpoint"),
    (["model.lora.r=0"], "model.lora.r"),
    (["model.lora.dropout=1.5"], "model.lora.dropout"),
    (["model.lora.alpha=-1"], "model.lora.alpha"),
    (["+model.lora.rank=8"], "model.lora.rank"),
    (["model.model_name_or_path=./no/such/dir"], "model.model_name_or_path"),
    (["model.model_name_or_path=pkg://no_such_pkg/model.gguf"], "model.model_name_or_path"),
    (["model.load_in_4bit=true", "model.lora.enabled=false"], "model.load_in_4bit"),
    ([TINY, "model.hidden_size=0"], "model.hidden_size"),
    ([TINY, "train.max_completion_length=5000"], "train.max_completion_length"),
    (["data.num_train=0"], "data.num_train"),
    (["data.num_train=many"], "data.num_train"),
    (["data.max_train_samples=-3"], "data.max_train_samples"),
    (["data.operations=5"], "data.operations"),
    (["data_component=jsonl"], "data.train_file"),
    (["data_component=jsonl", "data.train_file=/no/such/file.jsonl"], "data.train_file"),
    (
        ["data_component=jsonl", f"data.train_file={REPO / 'pyproject.toml'}", "data.eval_fraction=1.5"],
        "data.eval_fraction",
    ),
    (["reward.reward_functions[0].name=no_such_reward"], "reward.reward_functions[0].name"),
    (["eval.batch_size=0"], "eval.batch_size"),
    (["eval.max_samples=0"], "eval.max_samples"),
    (["seed=-1"], "seed"),
    (["seed=abc"], "seed"),
    (["experiment=no_such_experiment"], "experiment=no_such_experiment"),  # an optional group: Hydra alone ignores it
    (["experiment=gsm8k_smolm2"], "closest: gsm8k_smollm2"),  # a typo: the options it was probably meant to be
]


def composed(overrides: list[str]):
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=bracket_indices_to_dots(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)  # what @hydra.main does: ${hydra:...} resolves, choices are known
    return cfg


@pytest.fixture(scope="module", autouse=True)
def imported_targets() -> None:
    # validate() imports each `_target_`'s module to read its signature (torch for the model and training
    # components: seconds, no weights); the per-case timing below measures the checks, not that one import.
    validation.validate(composed([]))


def rejected(overrides: list[str]) -> tuple[str, float]:
    start = time.perf_counter()
    with pytest.raises(ValueError) as err:
        validation.validate(composed(overrides))
    return str(err.value), time.perf_counter() - start


@pytest.mark.parametrize("overrides,key", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_malformed_config_is_one_line_naming_the_key(overrides: list[str], key: str) -> None:
    message, seconds = rejected(overrides)
    assert key in message, message
    assert "\n" not in message and len(message) < 400, message  # a long option list is cut to its closest names
    assert seconds < 5, f"{seconds:.1f}s"


def test_4bit_without_a_capable_backend(monkeypatch) -> None:
    monkeypatch.setattr(four_bit, "bnb_version", lambda: None)
    message, _ = rejected(["model_component=qwen2_5_0_5b"])
    assert "model.load_in_4bit" in message and "bitsandbytes" in message
    monkeypatch.setattr(four_bit, "bnb_version", lambda: "0.44.1")
    monkeypatch.setattr(four_bit, "has_cuda_device", lambda: False)
    assert "bitsandbytes>=0.45" in rejected(["model_component=qwen2_5_0_5b"])[0]


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        [TINY],
        ["experiment=smoke"],
        ["experiment=cpu_arithmetic"],
        ["model_component=gemma3_1b"],
        ["train.warmup_steps=0.1"],
        ["train.resume_from_checkpoint=auto"],
        ["evaluation_component=sampled"],  # extends greedy via its defaults list
        ["data_component=finqa"],
        ["data_component=gsm8k"],
    ],
)  # hub ids, not files
def test_valid_configs_pass(overrides: list[str]) -> None:
    validation.validate(composed(overrides))


def test_validation_imports_no_heavy_library() -> None:
    # run_pipeline itself too: its imports run before validate(), so a bad config must not wait for torch.
    code = (
        "import sys; import components.validation, components.config_schema, components.runtime, run_pipeline; "
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]


SUBPROCESS_CASES = [
    (["train.max_steps=abc"], "train.max_steps"),
    (["model.lora.r=0"], "model.lora.r"),
    (["data_component=jsonl", "data.train_file=/no/such/file.jsonl"], "data.train_file"),
    (["train.num_generations=3", "train.per_device_train_batch_size=8"], "train.num_generations=3"),
    (["mode=foo"], "mode=foo"),
]


@pytest.mark.parametrize("overrides,key", SUBPROCESS_CASES, ids=[c[0][-1] for c in SUBPROCESS_CASES])
def test_entry_point_exits_with_one_line(overrides: list[str], key: str, tmp_path) -> None:
    start = time.perf_counter()
    out = run_pipeline(*overrides, f"hydra.run.dir={tmp_path}/run", timeout=120)
    seconds = time.perf_counter() - start
    assert out.returncode == 2, out.stderr[-2000:]
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and key in errors[0], out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "run" / "provenance.json").exists()  # rejected before the run wrote anything
    print(f"{' '.join(overrides)}: {seconds:.1f}s end to end (interpreter start and imports included)")
