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

pack (CPU with MKL, part of transpose): a frozen linear layer that is not merged (under LoRA: the output head,
the largest matmul of a decode step) runs MKL's packed GEMM (torch.ops.mkl._mkl_linear, what inductor's
freezing pass uses) once the same row count comes back (decode steps repeat the batch's row count; a prefill's
is seen once). The packed copy is made for that row count and kept until the weight changes; other row counts
take the transposed path. At 8 rows MKL's packed GEMM beat x @ W^T most on the widest matrix, SmolLM2's
[576 x 49152] output head (bench/rollout_generation_options.py, arm `transposed_packed_head`; BENCHMARKS.md).
Weights that change every step (merged LoRA, full fine-tuning) are not packed: packing all of SmolLM2's layers
costs about as much as the decode steps of a short rollout would save. MKL's packed buffer for the head is about
twice the weight's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

_CACHE = "_rlvr_transposed_weight"  # a plain module attribute: not a buffer, so never saved in a checkpoint
_PACKED = "_rlvr_packed_weight"  # (weight, version, rows, MKL-packed weight); plain attribute too


@dataclass
class GenerationWeights:
    merged: int = 0  # LoRA layers computing with W + scale * B A
    transposed: int = 0  # linear layers multiplying by a contiguous W^T
    packable: int = 0  # of those, frozen layers that use MKL's packed GEMM at a repeated row count


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
    """W^T of the layer, contiguous; a frozen weight's is cached on the layer until the weight is replaced or changed
    in place. A trainable weight's is made anew on every call (once per generation block): fused optimizers (torch's
    fused AdamW, transformers' default `adamw_torch_fused`) update parameters in place without bumping `_version`,
    so a cached copy would keep generating with the weights from before training."""
    weight = layer.weight
    cached = layer.__dict__.get(_CACHE)
    if cached is not None and cached[0] is weight and cached[1] == weight._version and not weight.requires_grad:
        return cached[2]
    with torch.no_grad():
        weight_t = weight.detach().t().contiguous()
    if not weight.requires_grad:
        layer.__dict__[_CACHE] = (weight, weight._version, weight_t)
    return weight_t


def _times_transposed(x: torch.Tensor, weight_t: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    out = torch.matmul(x, weight_t)
    return out if bias is None else out + bias


def mkl_packing_available() -> bool:
    return torch.backends.mkl.is_available() and hasattr(torch.ops.mkl, "_mkl_linear")


def packed_weight(layer: torch.nn.Linear, rows: int) -> torch.Tensor:
    """The layer's weight packed by MKL for `rows` input rows; cached until the weight or the row count changes."""
    weight = layer.weight
    cached = layer.__dict__.get(_PACKED)
    fresh = cached is not None and cached[0] is weight and cached[1] == weight._version and not weight.requires_grad
    if fresh and cached[2] == rows:
        return cached[3]
    layer.__dict__.pop(_PACKED, None)  # free the old packing before making the new one
    with torch.no_grad():
        packed = torch.ops.mkl._mkl_reorder_linear_weight(weight.detach(), rows)
    layer.__dict__[_PACKED] = (weight, weight._version, rows, packed)
    return packed


class _FrozenLinearForward:
    """x W^T for a frozen layer: MKL's packed GEMM for a row count seen before, the cached W^T otherwise."""

    def __init__(self, layer: torch.nn.Linear) -> None:
        self.layer, self.weight_t, self.seen_rows = layer, transposed_weight(layer), set()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        layer, rows = self.layer, x.numel() // x.shape[-1]
        if rows not in self.seen_rows:  # a prefill (or the first decode step): not worth packing for
            self.seen_rows.add(rows)
            return _times_transposed(x, self.weight_t, layer.bias)
        return torch.ops.mkl._mkl_linear(x, packed_weight(layer, rows), layer.weight, layer.bias, rows)


@contextmanager
def generation_weights(
    model: Any, merge_lora: bool = True, transpose: bool = False, pack: bool = True
) -> Iterator[GenerationWeights]:
    """Inside the block the model generates with merged LoRA and/or transposed weights; yields what was done.

    pack: with transpose, frozen unmerged layers use MKL's packed GEMM at repeated row counts (where MKL is)."""
    from peft.tuners.lora import LoraLayer

    disabled: list[Any] = []  # LoRA layers whose adapters are folded into the base layer's weight
    swapped: list[tuple[Any, Any]] = []  # (base layer, its original weight Parameter)
    patched: dict[int, Any] = {}  # layers whose forward multiplies by W^T, by id
    packable = 0
    pack = pack and mkl_packing_available()
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
                    if pack and not layer.weight.requires_grad:
                        layer.forward = _FrozenLinearForward(layer)
                        packable += 1
                    else:
                        layer.forward = partial(_times_transposed, weight_t=transposed_weight(layer), bias=layer.bias)
                    patched[id(layer)] = layer
        yield GenerationWeights(merged=len(disabled), transposed=len(patched), packable=packable)
    finally:
        for layer in patched.values():
            del layer.forward  # the instance attribute: nn.Linear.forward is what runs again
        for base, original in swapped:
            base.weight = original
        for module in disabled:
            module._disable_adapters = False
