"""Bad config input fails fast: non-zero exit, one line naming the key, no traceback, nothing loaded."""

from __future__ import annotations

import pytest

from tests.conftest import run_pipeline

CASES = [
    (["data_component=nope"], "data_component"),
    (["train.not_a_field=1"], "train.not_a_field"),
    (
        ["model_component=tiny_random", "train.num_generations=3", "train.per_device_train_batch_size=8"],
        "train.num_generations=3",
    ),
    (
        ["model_component=tiny_random", "train.num_generations=1", "train.per_device_train_batch_size=8"],
        "train.num_generations=1",
    ),
    (["reward.reward_functions[0].name=no_such_reward"], "no_such_reward"),
    (["data.operations=[^]"], "data.operations"),
    (["model.model_name_or_path=./no/such/dir"], "model.model_name_or_path"),
    (["data_component=jsonl", "data.train_file=/no/such/file.jsonl"], "/no/such/file.jsonl"),
    (["model.lora.r=0"], "model.lora.r"),
]


@pytest.mark.parametrize("overrides,needle", CASES, ids=[c[0][-1] for c in CASES])
def test_bad_input_is_one_clear_line(overrides: list[str], needle: str, tmp_path) -> None:
    result = run_pipeline(*overrides, f"hydra.run.dir={tmp_path}/run", timeout=120)
    assert result.returncode != 0
    assert needle in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert not (tmp_path / "run" / "metrics.jsonl").exists()
