"""Zero-signal pruning is exact: after the same steps, the parameters equal those of TRL's unpruned GRPOTrainer."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from components.model.tiny_random import TinyRandomLM
from components.training.pruning import forward_dropout, pruning_blocker
from components.training.trainer_class import grpo_trainer_class

PROMPTS = [[{"role": "user", "content": f"What is {a} + {b}?"}] for a, b in ((1, 2), (30, 41), (5, 5), (12, 99))]


def constant_reward(completions, **_):  # every group identical: no completion carries a signal
    return [1.0] * len(completions)


def half_the_rows(completions, **_):
    # each group of 4 (TRL scores a prompt's completions consecutively) gets rewards 1, -1, 0, 0: the group's
    # mean is 0, so two rows carry a signal and two have an advantage of exactly 0
    return [(1.0, -1.0, 0.0, 0.0)[i % 4] for i in range(len(completions))]


def train_steps(trainer_class, reward, tmp_path, steps: int = 2, **overrides):
    from trl import GRPOConfig

    loaded = TinyRandomLM(seed=5, lora={"dropout": 0.0}).load()  # exact pruning needs a dropout-free forward
    args = GRPOConfig(
        output_dir=str(tmp_path),
        max_steps=steps,
        per_device_train_batch_size=4,
        num_generations=4,
        gradient_accumulation_steps=2,
        max_completion_length=8,
        learning_rate=1e-2,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        seed=7,
        weight_decay=0.1,
        dataloader_num_workers=0,
        **overrides,
    )
    trainer = trainer_class(
        model=loaded.model,
        reward_funcs=[reward],
        args=args,
        train_dataset=Dataset.from_list([{"prompt": p} for p in PROMPTS] * 4),
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
    )
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.train()
    after = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    return before, after, trainer.state.log_history


@pytest.mark.parametrize("reward", [constant_reward, half_the_rows], ids=["no-signal", "half-the-rows"])
def test_pruned_steps_leave_the_same_parameters_as_trl(reward, tmp_path) -> None:
    from trl import GRPOTrainer

    # One optimizer step of two micro-batches: a second step would sample from parameters that differ in the
    # last float bits, and sampling turns that into different completions.
    # SGD, not AdamW: the claim is "the same gradients", and AdamW's first step, lr * g / (|g| + eps), turns the
    # last-bit differences of an entry near eps into up to a whole step (4.6e-5 of lr 1e-2 seen with AVX2 kernels).
    start, plain, _ = train_steps(GRPOTrainer, reward, tmp_path / "plain", steps=1, optim="sgd")
    _, pruned, logs = train_steps(
        grpo_trainer_class(prune_zero_signal=True), reward, tmp_path / "pruned", steps=1, optim="sgd"
    )
    moved = [n for n in plain if not torch.equal(plain[n], start[n])]
    assert moved  # weight decay moves parameters even at zero gradient
    for name in plain:
        # dropping rows changes the micro-batch's shape, so the gradients differ in their last float bits (how much
        # depends on the CPU's GEMM kernels): lr (1e-2) x rounding, far below 1e-6
        torch.testing.assert_close(pruned[name], plain[name], rtol=0, atol=1e-6)
    steps = [row for row in logs if "prune/fraction_pruned" in row]
    assert len(steps) == 1
    if reward is constant_reward:
        assert all(row["prune/fraction_pruned"] == 1.0 and row["prune/optimisation_skipped"] == 1.0 for row in steps)
    else:
        assert all(row["prune/fraction_pruned"] == 0.5 and row["prune/optimisation_skipped"] == 0.0 for row in steps)


def test_no_signal_steps_are_bit_identical(tmp_path) -> None:
    from trl import GRPOTrainer

    _, plain, _ = train_steps(GRPOTrainer, constant_reward, tmp_path / "plain", steps=1)
    _, pruned, _ = train_steps(
        grpo_trainer_class(prune_zero_signal=True), constant_reward, tmp_path / "pruned", steps=1
    )
    assert all(torch.equal(pruned[n], plain[n]) for n in plain)


def test_pruning_turns_itself_off_where_it_would_not_be_exact() -> None:
    from trl import GRPOConfig

    assert pruning_blocker(GRPOConfig(output_dir="/tmp/x", beta=0.0, use_cpu=True, bf16=False), 1) is None
    assert "beta" in pruning_blocker(GRPOConfig(output_dir="/tmp/x", beta=0.04, use_cpu=True, bf16=False), 1)
    assert "WORLD_SIZE=2" in pruning_blocker(GRPOConfig(output_dir="/tmp/x", use_cpu=True, bf16=False), 2)


def test_dropout_in_the_forward_turns_pruning_off() -> None:
    from trl import GRPOConfig

    with_dropout = TinyRandomLM(seed=5).load()  # LoRA dropout 0.05 by default
    rate = forward_dropout(with_dropout.model, with_dropout.peft_config)
    assert rate == 0.05
    blocker = pruning_blocker(GRPOConfig(output_dir="/tmp/x", use_cpu=True, bf16=False), 1, rate)
    assert "model.lora.dropout" in blocker
    without = TinyRandomLM(seed=5, lora={"dropout": 0.0}).load()
    assert forward_dropout(without.model, without.peft_config) == 0.0
