"""The GRPO component validates TRL's arithmetic at construction, with the fix in the message."""

from __future__ import annotations

import pytest

from components.training.grpo import GRPOTrainingLoop


def test_divisibility_error_names_the_fix(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"not divisible by train.num_generations=3; use 9"):
        GRPOTrainingLoop(output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=3)


def test_unknown_field_is_named(tmp_path) -> None:
    with pytest.raises(ValueError, match="train.not_a_field: not a trl.GRPOConfig field"):
        GRPOTrainingLoop(output_dir=str(tmp_path), not_a_field=1)


def test_bf16_auto_is_off_on_cpu(tmp_path) -> None:
    loop = GRPOTrainingLoop(output_dir=str(tmp_path), bf16=None, per_device_train_batch_size=8, num_generations=8)
    assert loop.args.bf16 is False
    assert loop.args.output_dir == str(tmp_path / "checkpoints")


def test_cpu_rollouts_take_the_static_cache_unless_told_otherwise(tmp_path) -> None:
    geometry = dict(output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=8, use_cpu=True)
    assert GRPOTrainingLoop(**geometry).args.cache_implementation == "static"
    assert GRPOTrainingLoop(**geometry, cache_implementation="dynamic").args.cache_implementation == "dynamic"
    assert GRPOTrainingLoop(**geometry, static_cache_for_generation=False).args.cache_implementation is None
