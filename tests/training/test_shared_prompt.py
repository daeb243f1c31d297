"""The shared-prompt forward computes TRL's log-probs, entropies and gradients, with each prompt run once."""

from __future__ import annotations

import torch
from datasets import Dataset

from components.model.tiny_random import TinyRandomLM
from components.training.trainer_class import grpo_trainer_class
from tests.training.test_zero_signal_pruning import PROMPTS, half_the_rows, train_steps


def make_trainer(tmp_path, **overrides):
    from trl import GRPOConfig

    loaded = TinyRandomLM(seed=5, lora={"dropout": 0.0}).load()
    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=6,
        num_generations=3,
        max_completion_length=8,
        report_to="none",
        use_cpu=True,
        bf16=False,
        **overrides,
    )
    trainer_class = grpo_trainer_class(shared_prompt_forward=True)
    return trainer_class(
        model=loaded.model,
        reward_funcs=[half_the_rows],
        args=args,
        train_dataset=Dataset.from_list([{"prompt": p} for p in PROMPTS]),
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
    )


def grpo_batch(vocab: int):
    """Two prompts of different lengths (left-padded) x 3 completions of different lengths (right-padded)."""
    gen = torch.Generator().manual_seed(0)
    prompts = [torch.randint(3, vocab, (n,), generator=gen) for n in (7, 4)]
    prompt_ids = torch.zeros(6, 7, dtype=torch.long)
    prompt_mask = torch.zeros(6, 7, dtype=torch.long)
    for row in range(6):
        p = prompts[row // 3]
        prompt_ids[row, -len(p) :], prompt_mask[row, -len(p) :] = p, 1
    completion_ids = torch.randint(3, vocab, (6, 5), generator=gen)
    completion_mask = torch.ones(6, 5, dtype=torch.long)
    for row, length in enumerate((5, 2, 4, 1, 5, 3)):
        completion_mask[row, length:] = 0
    order = torch.tensor([0, 3, 1, 4, 2, 5])  # a prompt's rows need not be adjacent
    ids = torch.cat([prompt_ids, completion_ids], 1)[order]
    mask = torch.cat([prompt_mask, completion_mask], 1)[order]
    return ids, mask, completion_mask[order]


def logps_and_grads(trainer, method, ids, mask, completion_mask):
    model = trainer.model
    model.zero_grad()
    logps, entropies, _ = method(trainer, model, ids, mask, completion_mask.size(1), compute_entropy=True)
    weights = torch.linspace(-1, 1, logps.numel()).reshape(logps.shape)  # any loss that touches every row
    (logps * completion_mask * weights).sum().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return logps * completion_mask, entropies * completion_mask, grads


def test_log_probs_entropies_and_gradients_match_trls_pass(tmp_path) -> None:
    from trl import GRPOTrainer

    trainer = make_trainer(tmp_path)
    ids, mask, completion_mask = grpo_batch(trainer.model.config.vocab_size)
    calls = []
    inner = trainer.model.forward

    def counting(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape)
        return inner(*args, **kwargs)

    trainer.model.forward = counting
    shared = logps_and_grads(trainer, type(trainer)._get_per_token_logps_and_entropies, ids, mask, completion_mask)
    assert calls == [torch.Size([2, 6]), torch.Size([6, 6])]  # each prompt once (minus its last token), then the rows
    calls.clear()
    plain = logps_and_grads(trainer, GRPOTrainer._get_per_token_logps_and_entropies, ids, mask, completion_mask)
    assert calls == [torch.Size([6, 12])]
    torch.testing.assert_close(shared[0], plain[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(shared[1], plain[1], rtol=0, atol=1e-5)
    assert plain[2] and any(g.abs().sum() > 0 for g in plain[2].values())
    for name, grad in plain[2].items():
        torch.testing.assert_close(shared[2][name], grad, rtol=1e-4, atol=1e-6)


def test_a_chunk_of_distinct_prompts_and_gradient_checkpointing_run_trls_pass(tmp_path) -> None:
    from trl import GRPOTrainer

    trainer = make_trainer(tmp_path)
    ids, mask, completion_mask = grpo_batch(trainer.model.config.vocab_size)
    ours = type(trainer)._get_per_token_logps_and_entropies
    # batch_size 1: every chunk holds one row, so nothing is shared and TRL's pass runs. Bit-identical to TRL's pass
    # over the same 1-row chunks (the same computation on the same shapes); against TRL's pass over the whole batch
    # only to float rounding, since a GEMM over 6 rows is blocked differently than over 1 by the CPU's kernels (not
    # bit-identical on AMD Zen 4 avx512, for one). 1e-5 is the bound the shared-prompt comparison above uses.
    chunked = ours(trainer, trainer.model, ids, mask, 5, batch_size=1)[0]
    trls = GRPOTrainer._get_per_token_logps_and_entropies
    assert torch.equal(chunked, trls(trainer, trainer.model, ids, mask, 5, batch_size=1)[0])
    torch.testing.assert_close(chunked, trls(trainer, trainer.model, ids, mask, 5)[0], rtol=0, atol=1e-5)
    trainer.model.gradient_checkpointing_enable()
    trainer.model.train()
    checkpointed = ours(trainer, trainer.model, ids, mask, 5)[0]
    assert torch.equal(checkpointed, trls(trainer, trainer.model, ids, mask, 5)[0])  # same pass, same shapes


def test_a_training_step_leaves_the_parameters_of_trls_step(tmp_path) -> None:
    from trl import GRPOTrainer

    # SGD: the claim is "the same gradients"; AdamW's first step, lr * g / (|g| + eps), would turn the last-bit
    # differences of an entry near eps into a sizeable part of a step (tests/training/test_zero_signal_pruning.py)
    start, plain, _ = train_steps(GRPOTrainer, half_the_rows, tmp_path / "plain", steps=1, optim="sgd")
    _, shared, _ = train_steps(
        grpo_trainer_class(shared_prompt_forward=True), half_the_rows, tmp_path / "shared", steps=1, optim="sgd"
    )
    assert any(not torch.equal(plain[n], start[n]) for n in plain)
    for name in plain:
        torch.testing.assert_close(shared[name], plain[name], rtol=0, atol=1e-6)


def test_one_process_only(tmp_path, monkeypatch) -> None:
    from components.training import grpo as grpo_module
    from components.training.shared_prompt import SharedPromptForward

    loop = grpo_module.GRPOTrainingLoop(
        output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=8, use_cpu=True
    )
    loaded = TinyRandomLM(seed=5, lora={"dropout": 0.0}).load()
    assert issubclass(loop.trainer_class(loaded), SharedPromptForward)
    monkeypatch.setattr(grpo_module, "world_size", lambda: 2)  # as under torchrun / accelerate launch
    assert not issubclass(loop.trainer_class(loaded), SharedPromptForward)
