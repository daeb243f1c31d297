"""Merged-LoRA generation computes the same function and leaves the base weights bit-for-bit untouched."""

from __future__ import annotations

import torch
from peft import get_peft_model

from components.evaluation.generation import generate
from components.model.merged_lora import merged_lora
from components.model.tiny_random import TinyRandomLM

PROMPTS = [[{"role": "user", "content": f"What is {a} + {b}?"}] for a, b in ((1, 2), (30, 41), (5, 5))]


def adapted(dropout: float = 0.0):
    loaded = TinyRandomLM(seed=11, lora={"dropout": dropout}).load()
    model = get_peft_model(loaded.model, loaded.peft_config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:  # peft starts B at 0 (a no-op adapter); make it matter
                param.normal_(0, 0.5)
    return model, loaded.tokenizer


def test_same_logits_and_the_base_weights_restored_exactly() -> None:
    model, tokenizer = adapted()
    model.eval()
    ids = tokenizer("What is 3 + 4?", return_tensors="pt")["input_ids"]
    base = {n: p for n, p in model.named_parameters() if "base_layer.weight" in n}
    snapshot = {n: p.detach().clone() for n, p in base.items()}
    with torch.no_grad():
        plain = model(ids).logits
        with merged_lora(model) as merged_layers:
            merged = model(ids).logits
            assert all(model.get_parameter(n) is not base[n] for n in base)  # a merged copy is in use
    assert merged_layers == len(base) > 0
    torch.testing.assert_close(merged, plain, rtol=1e-4, atol=1e-4)
    for name, param in model.named_parameters():
        if name in base:
            assert model.get_parameter(name) is base[name] and torch.equal(param, snapshot[name])
    with torch.no_grad(), model.disable_adapter():
        assert not torch.allclose(model(ids).logits, plain)  # the adapter changes the output: the test has teeth


def test_greedy_generation_is_the_same_text_merged_or_not(monkeypatch) -> None:
    from components.model import merged_lora as merged_lora_module

    model, tokenizer = adapted()
    merged = generate(model, tokenizer, PROMPTS, batch_size=3, max_new_tokens=8)
    monkeypatch.setattr(merged_lora_module, "_mergeable", lambda module, training: False)  # peft's own forward
    plain = generate(model, tokenizer, PROMPTS, batch_size=3, max_new_tokens=8)
    assert merged.completions == plain.completions


def test_training_mode_with_dropout_is_left_unmerged() -> None:
    model, _ = adapted(dropout=0.1)
    model.train()
    with merged_lora(model) as merged_layers:
        assert merged_layers == 0  # merged weights cannot drop out the adapter's input
    model.eval()
    with merged_lora(model) as merged_layers:
        assert merged_layers > 0  # no dropout at eval time
