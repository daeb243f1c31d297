"""Preflight: will this model + precision + LoRA/4-bit + batch + vLLM share fit? Answered before any weights load.

Parameters are counted on the meta device from the model's config (AutoConfig: no weights), so a 70B model is
estimated in a second. The estimate is deliberately rough (about +-30%): it catches "needs 60 GiB, you have 24",
not the last gigabyte. Terms per device:
  weights      params x bytes/param (4-bit QLoRA: linear layers at ~0.56 byte, embeddings in the compute dtype)
  gradients    trainable params only (LoRA: the adapters, kept in fp32 by peft)
  optimizer    AdamW: 2 states per trainable param (8-bit optimizers: 2 bytes in all)
  reference    a second frozen copy when beta > 0 without LoRA (with LoRA the base model is the reference)
  activations  micro-batch x seq x hidden x layers x 34 bytes (16-bit; Korthikanti et al. 2022, SDPA: no S^2
               term), ~2 bytes with gradient checkpointing, plus fp32 logits (batch x seq x vocab x 4)
  kv_cache     HF generation: 2 x layers x kv_heads x head_dim x seq x generation batch x bytes
  vllm         colocate: train.vllm_gpu_memory_utilization x device memory (vLLM's weights + KV cache live in it)
ZeRO / FSDP launches (accelerate's ACCELERATE_* env) divide the sharded terms by WORLD_SIZE.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, fields
from typing import Any

from components.distributed import local_rank, world_size
from components.model.base import ModelComponent

log = logging.getLogger(__name__)

GIB = 1024**3
PROMPT_TOKENS = 256  # TRL 1.x has no max_prompt_length; a chat-templated GSM8K prompt is ~150-250 tokens
BYTES_4BIT = 0.5625  # nf4 (0.5) + double-quantised absmax constants (~0.0625)
ACTIVATION_BYTES_16BIT = 34  # per token x hidden per layer, full recomputation off


@dataclass(frozen=True)
class MemoryEstimate:
    weights: float
    gradients: float
    optimizer: float
    reference: float
    activations: float
    kv_cache: float
    vllm: float

    @property
    def total(self) -> float:
        return sum(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        parts = ", ".join(f"{f.name} {getattr(self, f.name) / GIB:.2f}" for f in fields(self) if getattr(self, f.name))
        return f"{self.total / GIB:.2f} GiB ({parts})"


@dataclass(frozen=True)
class ParamCounts:
    total: int
    linear: int  # nn.Linear weights outside the output head: what bitsandbytes quantises
    lora: int  # adapter params for the given LoRA settings (0 without LoRA)


@contextlib.contextmanager
def _without_zero3_init():
    """While a ZeRO-3 launch's TrainingArguments live, transformers builds every `from_config` model through
    deepspeed.zero.Init and then initialises its weights, which fails on meta tensors ("Cannot copy out of meta
    tensor"). A count needs neither, so the ZeRO-3 hook is off for this one build (transformers exposes only
    set/unset for it, hence the read of its module-level reference)."""
    from transformers.integrations import deepspeed as hf_deepspeed

    ref = hf_deepspeed._hf_deepspeed_config_weak_ref
    hf_deepspeed.unset_hf_deepspeed_config()
    try:
        yield
    finally:
        hf_deepspeed._hf_deepspeed_config_weak_ref = ref


def count_params(config: Any, lora_r: int = 0, lora_targets: str | list[str] = "all-linear") -> ParamCounts:
    """Exact counts from a transformers config, built on the meta device (no memory, no weights)."""
    import torch  # here, not at the top: run_pipeline.py imports this module before validating the config
    from transformers import AutoModelForCausalLM

    with torch.device("meta"), _without_zero3_init():
        model = AutoModelForCausalLM.from_config(config)
    head = model.get_output_embeddings()
    linear = lora = 0
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear) or module is head:
            continue
        linear += module.weight.numel()
        targeted = lora_targets == "all-linear" or any(name == t or name.endswith("." + t) for t in lora_targets)
        if lora_r and targeted:
            lora += lora_r * (module.in_features + module.out_features)
    return ParamCounts(sum(p.numel() for p in model.parameters()), linear, lora)


def sharding(environ=os.environ) -> tuple[set[str], int]:
    """Which terms an accelerate ZeRO / FSDP launch shards across ranks, and the divisor."""
    n = world_size(environ)
    if environ.get("ACCELERATE_USE_FSDP", "").lower() == "true":
        return {"weights", "gradients", "optimizer"}, n
    if environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true":
        stage = int(environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE", "0"))
        sharded = {"optimizer"} | ({"gradients"} if stage >= 2 else set()) | ({"weights"} if stage >= 3 else set())
        return sharded, n
    return set(), 1


def estimate(
    config: Any,
    *,
    dtype_bytes: int,
    load_in_4bit: bool,
    lora_r: int,
    lora_targets: Any,
    gradient_checkpointing: bool,
    train_args: Any,
    device_total: float,
    prompt_tokens: int = PROMPT_TOKENS,
    environ=os.environ,
) -> MemoryEstimate:
    counts = count_params(config, lora_r, lora_targets)
    if load_in_4bit:
        weights = counts.linear * BYTES_4BIT + (counts.total - counts.linear) * dtype_bytes
    else:
        weights = counts.total * dtype_bytes
    trainable, state_bytes = (counts.lora, 4) if lora_r else (counts.total, dtype_bytes)
    optimizer = trainable * (2 if "8bit" in str(train_args.optim) else 2 * state_bytes)
    # GRPO's args name the completion budget, the reference model and vLLM; SFT's (trl.SFTConfig) only max_length.
    reference = weights if getattr(train_args, "beta", 0.0) > 0 and not lora_r else 0.0

    hidden, layers = config.hidden_size, config.num_hidden_layers
    completion = getattr(train_args, "max_completion_length", None)
    seq = prompt_tokens + completion if completion is not None else train_args.max_length
    micro = train_args.per_device_train_batch_size
    per_token_layer = 2 if gradient_checkpointing else ACTIVATION_BYTES_16BIT
    activations = (
        micro * seq * hidden * layers * per_token_layer * dtype_bytes / 2 + micro * seq * config.vocab_size * 4
    )

    vllm = kv_cache = 0.0
    if getattr(train_args, "use_vllm", False):
        vllm = train_args.vllm_gpu_memory_utilization * device_total if train_args.vllm_mode == "colocate" else 0.0
    else:
        heads = config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or hidden // heads
        gen_batch = micro * (
            getattr(train_args, "steps_per_generation", None) or train_args.gradient_accumulation_steps
        )
        kv_cache = 2 * layers * kv_heads * head_dim * seq * gen_batch * dtype_bytes

    terms = dict(
        weights=weights,
        gradients=trainable * state_bytes,
        optimizer=optimizer,
        reference=reference,
        activations=activations,
        kv_cache=kv_cache,
        vllm=vllm,
    )
    sharded, n = sharding(environ)
    return MemoryEstimate(**{k: (v / n if k in sharded else v) for k, v in terms.items()})


def available_memory() -> tuple[float, float, str]:
    """(free, total, where): this rank's GPU from torch.cuda.mem_get_info, else the host's available RAM."""
    import torch

    if torch.cuda.is_available():
        device = local_rank() % torch.cuda.device_count()
        free, total = torch.cuda.mem_get_info(device)
        return float(free), float(total), f"cuda:{device}"
    import psutil

    memory = psutil.virtual_memory()
    # Several CPU ranks share one host's RAM.
    return float(memory.available) / max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1"))), float(memory.total), "cpu"


def hf_config_of(model_component: ModelComponent) -> Any:
    """The transformers config a model component will build, without its weights (its interface says how)."""
    return model_component.hf_config()


def advice(est: MemoryEstimate, model_component: ModelComponent, train_args: Any) -> str:
    import torch

    tips = []
    if est.vllm:
        tips.append(
            f"lower train.vllm_gpu_memory_utilization (now {train_args.vllm_gpu_memory_utilization}) or use "
            "train.vllm_mode=server on another GPU"
        )
    if not model_component.lora.enabled:
        tips.append("set model.lora.enabled=true")
    elif not model_component.load_in_4bit and torch.cuda.is_available():
        tips.append("set model.load_in_4bit=true (QLoRA)")
    if not model_component.gradient_checkpointing:
        tips.append("set model.gradient_checkpointing=true")
    tips.append(
        f"lower train.per_device_train_batch_size (now {train_args.per_device_train_batch_size}) and raise "
        "train.gradient_accumulation_steps"
    )
    tips.append("shard across GPUs with accelerate launch --config_file conf/accelerate/zero3.yaml (docs/SCALING.md)")
    return "; ".join(tips)


def check_memory(model_component: ModelComponent, train_args: Any, enforce: bool = True) -> MemoryEstimate | None:
    """Log the estimate; with `enforce`, stop with advice when it exceeds this device's free memory."""
    try:
        config = hf_config_of(model_component)
    except (OSError, ValueError) as err:  # e.g. hub unreachable: model.load() will report it properly
        log.warning("memory preflight skipped: no model config (%s)", str(err).splitlines()[0] if str(err) else err)
        return None
    free, total, where = available_memory()
    dtype = model_component.dtype
    est = estimate(
        config,
        dtype_bytes=dtype.itemsize,
        load_in_4bit=model_component.load_in_4bit,
        lora_r=model_component.lora.r if model_component.lora.enabled else 0,
        lora_targets=model_component.lora.target_modules,
        gradient_checkpointing=model_component.gradient_checkpointing,
        train_args=train_args,
        device_total=total,
    )
    log.info("Memory preflight: needs ~%s; %.2f GiB free on %s", est.describe(), free / GIB, where)
    if enforce and est.total > free:
        raise ValueError(
            f"memory preflight: this run needs ~{est.total / GIB:.1f} GiB but {where} has "
            f"{free / GIB:.1f} GiB free. Try: {advice(est, model_component, train_args)} "
            "(or memory_check=false to run anyway)"
        )
    return est
