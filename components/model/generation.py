"""Batched generation for evaluation: chat template, left padding, KV cache, one `generate` call per batch."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import torch

from components.model.generation_weights import generation_weights
from components.model.zero3 import whole_weights

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 30.0  # a progress line at most this often: evaluation of hundreds of prompts takes minutes


@dataclass(frozen=True)
class Generations:
    completions: list[str]
    completion_tokens: list[int]
    truncated: list[bool]
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return sum(self.completion_tokens) / self.seconds if self.seconds > 0 else 0.0


def render_prompt(tokenizer: Any, prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


def _generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[Any],
    max_new_tokens: int,
    temperature: float,
    top_p: float,
    num_return_sequences: int,
    zero3: bool,
) -> list[list[int]]:
    """The new tokens of one `model.generate` call: one row per returned sequence, padding included."""
    sampling = temperature > 0
    rendered = [render_prompt(tokenizer, p) for p in prompts]
    # Chat templates already contain the BOS token; adding special tokens again would double it.
    batch = tokenizer(rendered, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    output = model.generate(
        **batch,
        max_new_tokens=max_new_tokens,
        do_sample=sampling,
        temperature=temperature if sampling else None,
        top_p=top_p if sampling else None,
        top_k=None,
        num_return_sequences=num_return_sequences,
        pad_token_id=tokenizer.pad_token_id,
        use_cache=True,  # KV cache: one forward per new token (training may have turned it off)
        # whole ZeRO-3 weights need no collective per step, so no rank waits on the others (rank 0's
        # budget check generates alone); transformers would otherwise sync every rank under ZeRO-3
        **({"synced_gpus": False} if zero3 else {}),
    )
    return output[:, batch["input_ids"].shape[1] :].tolist()


@torch.inference_mode()
def generate(
    model: Any,
    tokenizer: Any,
    prompts: list[Any],
    batch_size: int,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    num_return_sequences: int = 1,
) -> Generations:
    """Completions for every prompt (num_return_sequences each, grouped per prompt, in order).

    `batch_size` counts sequences, so sampling n per prompt puts batch_size // n prompts in each call and
    memory stays what the user configured.
    """
    prompts_per_batch = max(1, batch_size // num_return_sequences)
    was_training = model.training
    model.eval()
    texts, lengths, truncated = [], [], []
    eos_ids = {tokenizer.eos_token_id, tokenizer.pad_token_id}
    start = last_progress = time.perf_counter()
    try:
        # ZeRO-3: whole weights gathered once (model/zero3.py); else LoRA folded into a copy of W, one matmul
        # per layer, and on CPU each linear layer multiplies by a contiguous W^T (model/generation_weights.py)
        with (
            whole_weights(model) as zero3,
            contextlib.nullcontext() if zero3 else generation_weights(model, merge_lora=True, transpose=True),
        ):
            for i in range(0, len(prompts), prompts_per_batch):
                batch = prompts[i : i + prompts_per_batch]
                rows = _generate_batch(
                    model, tokenizer, batch, max_new_tokens, temperature, top_p, num_return_sequences, zero3
                )
                for row in rows:
                    length = next((j for j, t in enumerate(row) if t in eos_ids), len(row))
                    lengths.append(length)
                    truncated.append(length >= max_new_tokens)
                    texts.append(tokenizer.decode(row[:length], skip_special_tokens=True))
                now = time.perf_counter()
                if now - last_progress >= PROGRESS_EVERY_S and len(texts) < len(prompts) * num_return_sequences:
                    last_progress = now
                    log.info(
                        "generation: %d/%d prompts, %.1f tokens/s",
                        min(i + prompts_per_batch, len(prompts)),
                        len(prompts),
                        sum(lengths) / (now - start),
                    )
    finally:
        model.train(was_training)
    return Generations(texts, lengths, truncated, time.perf_counter() - start)
