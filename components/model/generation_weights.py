"""The weights rollouts compute with: LoRA folded into W, and (on CPU) W laid out transposed.

Two savings, each the same function as the model's own forward (up to float rounding), neither touching the
weights that training updates:

merge_lora: unmerged, every adapted linear layer runs three matmuls per token (W x, A x, B (A x)) plus an add;
at rollout batch sizes on CPU that is mostly per-op overhead, paid on every decode step. peft's own
`merge_adapter()` adds B A into W in place and `unmerge_adapter()` subtracts it again, which leaves W off by a
rounding error after every step; over a run the frozen base model would drift. Here each adapted layer computes
with a merged copy (W + scale * B A, one small matmul per layer) for the duration of the block, and the original
Parameter object is put back afterwards, so the base model is bit-for-bit what it was. Only when it is the same
function: LoRA dropout is 0 or the model is in eval mode (merged weights cannot drop out the adapter's input),
the base layer is a plain nn.Linear (not a 4-bit/8-bit bitsandbytes layer, whose weights are quantised), and
the adapter is not already merged or disabled.

transpose (CPU only): nn.Linear stores W as [out, in] and computes x W^T. At rollout batch sizes (a few rows per
decode step) the CPU GEMM on that layout was slower than x @ W^T with W^T stored contiguous on this project's
machines (bench/rollout_generation_options.py, arm `transposed`; BENCHMARKS.md "Rollouts"). So inside the
block every plain nn.Linear on the CPU multiplies by a contiguous W^T. The transposed copy of a frozen weight
(the base model under LoRA, the embeddings tied to the output head) is kept on its module and made again only
when the weight is replaced or changed in place (its version counter moves, as an optimizer step does), so a
LoRA run pays the transpose once; merged layers add the adapter's (B A)^T to the cached base, the same cost as
the merge alone. The price is memory: one more copy of the linear weights while the cache lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

_CACHE = "_rlvr_transposed_weight"  # a plain module attribute: not a buffer, so never saved in a checkpoint


@dataclass
class GenerationWeights:
    merged: int = 0  # LoRA layers computing with W + scale * B A
    transposed: int = 0  # linear layers multiplying by a contiguous W^T


def _mergeable(module: Any, training: bool) -> bool:
    from peft.tuners.lora import LoraLayer

    if not isinstance(module, LoraLayer) or module.merged or module.disable_adapters:
        return False
    if type(module.get_base_layer()) is not torch.nn.Linear:
        return False
    adapters = [a for a in module.active_adapters if a in module.lora_A]
    dropouts = [module.lora_dropout[a] for a in adapters]
    no_dropout = all(isinstance(d, torch.nn.Identity) or getattr(d, "p", 0.0) == 0.0 for d in dropouts)
    return bool(adapters) and (no_dropout or not training)


def _delta(module: Any) -> torch.Tensor:
    return sum(module.get_delta_weight(a) for a in module.active_adapters if a in module.lora_A)


def _transposable(layer: Any) -> bool:
    weight = getattr(layer, "weight", None)
    return type(layer) is torch.nn.Linear and type(weight.data) is torch.Tensor and weight.device.type == "cpu"


def transposed_weight(layer: torch.nn.Linear) -> torch.Tensor:
    """W^T of the layer, contiguous; cached on the layer until its weight is replaced or changed in place."""
    weight = layer.weight
    cached = layer.__dict__.get(_CACHE)
    if cached is not None and cached[0] is weight and cached[1] == weight._version:
        return cached[2]
    with torch.no_grad():
        weight_t = weight.detach().t().contiguous()
    layer.__dict__[_CACHE] = (weight, weight._version, weight_t)
    return weight_t


def _times_transposed(x: torch.Tensor, weight_t: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    out = torch.matmul(x, weight_t)
    return out if bias is None else out + bias


@contextmanager
def generation_weights(model: Any, merge_lora: bool = True, transpose: bool = False) -> Iterator[GenerationWeights]:
    """Inside the block the model generates with merged LoRA and/or transposed weights; yields what was done."""
    from peft.tuners.lora import LoraLayer

    disabled: list[Any] = []  # LoRA layers whose adapters are folded into the base layer's weight
    swapped: list[tuple[Any, Any]] = []  # (base layer, its original weight Parameter)
    patched: dict[int, Any] = {}  # layers whose forward multiplies by W^T, by id
    try:
        with torch.no_grad():
            adapted = [m for m in model.modules() if isinstance(m, LoraLayer)]
            inside_adapters = {id(lin) for m in adapted for d in (m.lora_A, m.lora_B) for lin in d.values()}
            for module in adapted:
                if not (merge_lora and _mergeable(module, model.training)):
                    continue
                base = module.get_base_layer()
                if transpose and _transposable(base):
                    # (W + delta)^T = W^T + delta^T: the cached base transpose plus the adapter, one add
                    merged_t = transposed_weight(base) + _delta(module).t().to(base.weight.dtype)
                    base.forward = partial(_times_transposed, weight_t=merged_t, bias=base.bias)
                    patched[id(base)] = base
                else:
                    original = base.weight
                    merged = (original + _delta(module)).to(original.dtype)
                    base.weight = torch.nn.Parameter(merged, requires_grad=False)
                    swapped.append((base, original))
                module._disable_adapters = True  # peft's forward then calls the base layer alone
                disabled.append(module)
            if transpose:
                for layer in model.modules():
                    if id(layer) in patched or id(layer) in inside_adapters or not _transposable(layer):
                        continue
                    layer.forward = partial(_times_transposed, weight_t=transposed_weight(layer), bias=layer.bias)
                    patched[id(layer)] = layer
        yield GenerationWeights(merged=len(disabled), transposed=len(patched))
    finally:
        for layer in patched.values():
            del layer.forward  # the instance attribute: nn.Linear.forward is what runs again
        for base, original in swapped:
            base.weight = original
        for module in disabled:
            module._disable_adapters = False
