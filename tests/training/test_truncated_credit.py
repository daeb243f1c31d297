"""A completion cut off at the cap earns truncated_reward_scale x its rewards; one that ended on its own keeps them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from components.training.grpo import GRPOTrainingLoop
from components.training.trainer_class import TruncatedCredit, grpo_trainer_class

EOS, PAD = 2, 0


class FakeTRL:  # the slice of GRPOTrainer that TruncatedCredit builds on
    eos_token_ids = (EOS,)
    _tokenizer = SimpleNamespace(pad_token_id=PAD)
    accelerator = SimpleNamespace(gather=lambda tensor: tensor)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        return torch.tensor([[1.0, 0.2], [1.0, 0.2], [0.0, 0.0], [float("nan"), 1.0]])


class Scaled(TruncatedCredit, FakeTRL):
    truncated_reward_scale = 0.5


def test_cut_off_rows_are_scaled_and_ended_rows_are_not() -> None:
    ids = [[5, 6, EOS], [5, 6, 7], [5, 6, 7], [5, PAD]]  # ended, cut (right), cut (wrong), ended on padding
    rewards = Scaled()._calculate_rewards(None, [None] * 4, [None] * 4, ids)
    assert rewards[0].tolist() == [1.0, pytest.approx(0.2)]
    assert rewards[1].tolist() == [0.5, pytest.approx(0.1)]  # a right answer that was cut off: half credit
    assert rewards[2].tolist() == [0.0, 0.0]  # a wrong answer earns nothing either way
    assert torch.isnan(rewards[3, 0]) and rewards[3, 1] == 1.0  # None (NaN) stays None


def test_off_at_one_and_bounds_checked(tmp_path) -> None:
    from trl import GRPOTrainer

    assert grpo_trainer_class(truncated_reward_scale=1.0) is GRPOTrainer
    assert grpo_trainer_class(truncated_reward_scale=0.5).truncated_reward_scale == 0.5
    with pytest.raises(ValueError, match="train.truncated_reward_scale=1.5"):
        GRPOTrainingLoop(output_dir=str(tmp_path), truncated_reward_scale=1.5, use_cpu=True, bf16=False)
