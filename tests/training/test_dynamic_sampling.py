"""Dynamic sampling: refills a step with informative groups, keeps the batch shape, and trains with TRL."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from components.model.tiny_random import TinyRandomLM
from components.training.dynamic_sampling import merge_groups
from components.training.grpo import GRPOTrainingLoop
from components.training.trainer_class import grpo_trainer_class

# One prompt in eight carries a signal; a one-prompt step finds it only by drawing more prompts.
PROMPTS = [[{"role": "user", "content": f"What is {a} + 1?"}] for a in range(8)]


def only_prompt_zero(completions, prompts, **_):
    return [float(len(c[0]["content"]) % 2) if p == PROMPTS[0] else 0.0 for c, p in zip(completions, prompts)]


def test_merge_pads_left_prompts_and_right_completions() -> None:
    def output(prompt_width: int, completion_width: int, advantage: float) -> dict:
        return {
            "prompt_ids": torch.full((2, prompt_width), 7),
            "prompt_mask": torch.ones(2, prompt_width),
            "completion_ids": torch.full((2, completion_width), 9),
            "completion_mask": torch.ones(2, completion_width),
            "advantages": torch.tensor([advantage, -advantage]),
            "num_items_in_batch": torch.tensor(99),
        }

    merged = merge_groups([output(3, 2, 0.0), output(2, 4, 1.0)], [(1, 0), (0, 0)], group=2, pad_id=0)
    assert merged["advantages"].tolist() == [1.0, -1.0, 0.0, -0.0]  # the informative group first
    assert merged["prompt_ids"].tolist()[0] == [0, 7, 7] and merged["prompt_mask"].tolist()[0] == [0, 1, 1]  # left
    assert merged["completion_ids"].tolist()[2] == [9, 9, 0, 0] and merged["completion_mask"][2].tolist() == [
        1,
        1,
        0,
        0,
    ]
    assert merged["num_items_in_batch"].item() == 2 * 4 + 2 * 2  # recounted over the kept rows' loss mask


def test_one_prompt_steps_are_refilled_until_they_carry_a_signal(tmp_path) -> None:
    from trl import GRPOConfig

    loaded = TinyRandomLM(seed=2, lora={"dropout": 0.0}).load()
    args = GRPOConfig(
        output_dir=str(tmp_path),
        max_steps=3,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        learning_rate=1e-2,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        seed=3,
        dataloader_num_workers=0,
    )
    trainer_class = grpo_trainer_class(dynamic_sampling={"min_informative": 1.0, "max_rounds": 8})
    trainer = trainer_class(
        model=loaded.model,
        reward_funcs=[only_prompt_zero],
        args=args,
        train_dataset=Dataset.from_list([{"prompt": p} for p in PROMPTS]),
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
    )
    trainer.train()
    steps = [row for row in trainer.state.log_history if "dynamic/rounds" in row]
    assert len(steps) == 3 and any(row["dynamic/rounds"] > 1 for row in steps)
    for row in steps:  # either a signal was found, or every allowed round was spent looking for one
        assert row["dynamic/informative_groups"] == 1.0 or row["dynamic/rounds"] == 8


def test_settings_are_checked_when_built(tmp_path) -> None:
    common = {"output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "dynamic_sampling": True}
    with pytest.raises(ValueError, match="train.dynamic_sampling_min_informative=0"):
        GRPOTrainingLoop(dynamic_sampling_min_informative=0, **common)
    with pytest.raises(ValueError, match="train.dynamic_sampling_max_rounds=1"):
        GRPOTrainingLoop(dynamic_sampling_max_rounds=1, **common)
    with pytest.raises(ValueError, match="scale_rewards=batch"):
        GRPOTrainingLoop(scale_rewards="batch", **common)
