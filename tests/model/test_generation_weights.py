"""Rollout weights (merged LoRA, transposed linears) compute the same function and leave the trained weights untouched."""

from __future__ import annotations

import pytest
import torch
from peft import get_peft_model

from components.model.generation import generate
from components.model.generation_weights import generation_weights, mkl_packing_available, transposed_weight
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
        with generation_weights(model) as done:
            merged = model(ids).logits
            assert all(model.get_parameter(n) is not base[n] for n in base)  # a merged copy is in use
    assert done.merged == len(base) > 0 and done.transposed == 0
    torch.testing.assert_close(merged, plain, rtol=1e-4, atol=1e-4)
    for name, param in model.named_parameters():
        if name in base:
            assert model.get_parameter(name) is base[name] and torch.equal(param, snapshot[name])
    with torch.no_grad(), model.disable_adapter():
        assert not torch.allclose(model(ids).logits, plain)  # the adapter changes the output: the test has teeth


def test_greedy_generation_is_the_same_text_merged_or_not(monkeypatch) -> None:
    from components.model import generation_weights as generation_weights_module

    model, tokenizer = adapted()
    merged = generate(model, tokenizer, PROMPTS, batch_size=3, max_new_tokens=8)  # merged and transposed
    monkeypatch.setattr(generation_weights_module, "_mergeable", lambda module, training: False)  # peft's own forward
    monkeypatch.setattr(generation_weights_module, "_transposable", lambda layer: False)  # nn.Linear's own layout
    plain = generate(model, tokenizer, PROMPTS, batch_size=3, max_new_tokens=8)
    assert merged.completions == plain.completions


def test_training_mode_with_dropout_is_left_unmerged() -> None:
    model, _ = adapted(dropout=0.1)
    model.train()
    with generation_weights(model) as done:
        assert done.merged == 0  # merged weights cannot drop out the adapter's input
    model.eval()
    with generation_weights(model) as done:
        assert done.merged > 0  # no dropout at eval time


def test_transposed_merged_and_plain_layers_give_the_same_logits_and_leave_nothing_behind() -> None:
    model, tokenizer = adapted()
    model.eval()
    ids = tokenizer("What is 3 + 4?", return_tensors="pt")["input_ids"]
    linears = [m for m in model.modules() if type(m) is torch.nn.Linear]
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    with torch.no_grad():
        plain = model(ids).logits
        with generation_weights(model, merge_lora=True, transpose=True) as done:
            both = model(ids).logits
            assert all("forward" in m.__dict__ for m in linears if m.weight.requires_grad is False)
        with generation_weights(model, merge_lora=False, transpose=True) as transposed_only:
            unmerged = model(ids).logits
    adapters = sum(1 for n, _ in model.named_modules() if n.endswith(".lora_A.default"))
    # every frozen linear (the adapted base layers and the output head) is transposed, no adapter's own A or B
    assert done.merged == adapters and done.transposed == transposed_only.transposed == len(linears) - 2 * adapters
    torch.testing.assert_close(both, plain, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(unmerged, plain, rtol=1e-4, atol=1e-4)
    assert not any("forward" in m.__dict__ for m in linears)  # nn.Linear.forward runs again
    for name, param in model.named_parameters():
        assert torch.equal(param, params[name]), name
    state = model.state_dict()
    assert not any("transposed" in key for key in state)  # the cache is never saved with the model


def test_the_cached_transpose_follows_an_in_place_update_of_the_weight() -> None:
    layer = torch.nn.Linear(4, 3, bias=False)
    assert transposed_weight(layer) is not transposed_weight(layer)  # trainable: made anew every time
    layer.weight.requires_grad_(False)
    first = transposed_weight(layer)
    assert transposed_weight(layer) is first  # frozen: transposed once
    with torch.no_grad():
        layer.weight.add_(1.0)  # an in-place change (bumps _version)
    assert torch.equal(transposed_weight(layer), layer.weight.t())
    layer.weight = torch.nn.Parameter(torch.zeros(3, 4), requires_grad=False)  # replaced (e.g. moved or re-loaded)
    assert torch.equal(transposed_weight(layer), torch.zeros(4, 3))


@pytest.mark.skipif(not mkl_packing_available(), reason="this torch build has no MKL (packing is then never used)")
def test_packed_frozen_layers_give_the_same_decode_logits_and_follow_the_row_count() -> None:
    model, tokenizer = adapted()
    model.eval()
    head = model.get_output_embeddings()
    ids = tokenizer(["What is 3 + 4?", "And 5 + 6?"], return_tensors="pt", padding=True)["input_ids"]
    with torch.no_grad():
        plain = [model(ids[:, : n + 1]).logits for n in range(3)]
        with generation_weights(model, merge_lora=True, transpose=True) as done:
            assert done.packable == 1  # under LoRA only the output head is frozen and not merged
            rows = [model(ids[:, : n + 1]).logits for n in range(3)]  # 2, 4, 6 rows: none repeats yet
            assert "_rlvr_packed_weight" not in head.__dict__
            again = model(ids[:, :1]).logits  # 2 rows again (a decode step): now packed for 2 rows
            assert head.__dict__["_rlvr_packed_weight"][2] == 2
    for got, want in zip([*rows, again], [*plain, plain[0]]):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        head.weight.mul_(2.0)  # a changed weight is packed again, not read from the stale copy
        want = model(ids[:, :1]).logits
        with generation_weights(model, merge_lora=True, transpose=True):
            model(ids[:, :1])
            torch.testing.assert_close(model(ids[:, :1]).logits, want, rtol=1e-4, atol=1e-4)


def test_packing_off_or_trainable_weights_stay_on_the_transposed_path() -> None:
    model, _ = adapted()
    with generation_weights(model, merge_lora=True, transpose=True, pack=False) as done:
        assert done.packable == 0
    model.get_output_embeddings().weight.requires_grad_(True)  # full fine-tuning: changes every step
    with generation_weights(model, merge_lora=True, transpose=True) as done:
        assert done.packable == 0


def test_a_trainable_weight_changed_by_a_fused_optimizer_is_not_served_stale() -> None:
    """torch's fused AdamW (transformers' default optimizer) updates in place without bumping `_version`: a cached
    W^T of a trainable weight would keep generating with the weights from before training (a full fine-tune)."""
    layer = torch.nn.Linear(4, 3)
    x = torch.randn(2, 4)
    with generation_weights(layer, transpose=True):
        before = layer(x)
    optimizer = torch.optim.AdamW(layer.parameters(), lr=0.5, fused=True)
    layer(x).sum().backward()
    version = layer.weight._version
    optimizer.step()
    assert layer.weight._version == version  # the premise: no version bump
    with generation_weights(layer, transpose=True):
        after = layer(x)
    torch.testing.assert_close(after, torch.nn.functional.linear(x, layer.weight, layer.bias))
    assert not torch.allclose(after, before)
