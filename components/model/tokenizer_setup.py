"""One place that makes any tokenizer ready for batched GRPO generation."""

from __future__ import annotations


def prepare_tokenizer(tokenizer):
    # Decoder-only models must be left-padded for batched generation, or new tokens follow pad tokens.
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
