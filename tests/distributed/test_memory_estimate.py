"""Memory preflight: exact parameter counts from the config alone, terms that move the right way, a clear stop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from components.runtime import build
from components.training.memory_estimate import GIB, check_memory, count_params, estimate, hf_config_of
from tests.conftest import compose


def _components(*overrides: str):
    cfg = compose(["model_component=tiny_random", *overrides])
    return build(cfg.model), build(cfg.train, output_dir="/tmp/unused")


def test_meta_device_counts_match_the_loaded_model() -> None:
    model_component, _ = _components("model.hidden_size=32", "model.num_layers=3")
    config = hf_config_of(model_component)
    counts = count_params(config, lora_r=8)
    model = model_component.load().model
    # The loaded tokenizer adds special tokens on top of model.vocab_size; compare on the same vocab.
    config.vocab_size = model.config.vocab_size
    assert count_params(config).total == sum(p.numel() for p in model.parameters())
    from peft import get_peft_model

    peft_model = get_peft_model(model, model_component.lora.to_peft_config())
    assert counts.lora == sum(p.numel() for p in peft_model.parameters() if p.requires_grad)


def _est(config, **kw):
    args = SimpleNamespace(
        optim="adamw_torch",
        beta=0.0,
        max_completion_length=256,
        per_device_train_batch_size=8,
        use_vllm=False,
        vllm_mode="colocate",
        vllm_gpu_memory_utilization=0.3,
        steps_per_generation=None,
        gradient_accumulation_steps=1,
    )
    base = dict(
        dtype_bytes=2,
        load_in_4bit=False,
        lora_r=0,
        lora_targets="all-linear",
        gradient_checkpointing=False,
        train_args=args,
        device_total=80 * GIB,
        environ={},
    )
    for key in list(kw):
        if hasattr(args, key):
            setattr(args, key, kw.pop(key))
    return estimate(config, **{**base, **kw})


def test_lora_4bit_checkpointing_and_vllm_move_the_estimate_the_right_way() -> None:
    model_component, _ = _components("model.hidden_size=256", "model.num_layers=4", "model.intermediate_size=512")
    config = hf_config_of(model_component)
    full = _est(config)
    lora = _est(config, lora_r=16)
    qlora = _est(config, lora_r=16, load_in_4bit=True)
    assert lora.optimizer < full.optimizer / 2 and lora.gradients < full.gradients / 2  # tiny model: r=16 is large
    assert qlora.weights < lora.weights
    assert _est(config, gradient_checkpointing=True).activations < full.activations / 5
    colocate = _est(config, use_vllm=True)
    assert colocate.vllm == pytest.approx(0.3 * 80 * GIB) and colocate.kv_cache == 0
    assert _est(config, use_vllm=True, vllm_mode="server").vllm == 0
    assert _est(config, beta=0.04).reference == full.weights  # no LoRA: a frozen reference copy
    zero3 = _est(
        config, environ={"WORLD_SIZE": "4", "ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3"}
    )
    assert zero3.weights == pytest.approx(full.weights / 4) and zero3.activations == full.activations


def test_run_that_cannot_fit_stops_with_advice(monkeypatch) -> None:
    import components.training.memory_estimate as me

    model_component, train_loop = _components()
    monkeypatch.setattr(me, "available_memory", lambda: (1024.0, 2048.0, "cpu"))  # 1 KiB free
    with pytest.raises(ValueError, match=r"memory preflight: .* GiB free\. Try: .*per_device_train_batch_size"):
        check_memory(model_component, train_loop.args)
    assert check_memory(model_component, train_loop.args, enforce=False).total > 1024


def test_default_cpu_run_fits_here() -> None:
    model_component, train_loop = _components()
    est = check_memory(model_component, train_loop.args)
    assert 0 < est.total < 1 * GIB and est.weights == pytest.approx(est.weights)
    assert not torch.cuda.is_available() or est.kv_cache > 0
