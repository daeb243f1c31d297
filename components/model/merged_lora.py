"""Generate with LoRA adapters folded into the base weights, without touching the base weights.

Unmerged, every adapted linear layer runs three matmuls per token (W x, A x, B (A x)) plus an add; at rollout
batch sizes on CPU that is mostly per-op overhead, paid on every decode step. peft's own `merge_adapter()` adds
B A into W in place and `unmerge_adapter()` subtracts it again, which leaves W off by a rounding error after
every step; over a run the frozen base model would drift. Here each adapted layer's base weight is swapped for
a merged copy (W + scale * B A, one small matmul per layer) for the duration of the block, and the original
Parameter object is put back afterwards, so the base model is bit-for-bit what it was.

Only when it is the same function: LoRA dropout is 0 or the model is in eval mode (merged weights cannot
drop out the adapter's input), the base layer is a plain nn.Linear (not a 4-bit/8-bit bitsandbytes layer,
whose weights are quantised), and the adapter is not already merged or disabled.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


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


@contextmanager
def merged_lora(model: Any) -> Iterator[int]:
    """Inside the block, adapted layers compute with W + scale * B A in one matmul; yields how many were merged."""
    swapped = []
    try:
        with torch.no_grad():
            for module in model.modules():
                if not _mergeable(module, model.training):
                    continue
                base = module.get_base_layer()
                delta = sum(module.get_delta_weight(a) for a in module.active_adapters if a in module.lora_A)
                original = base.weight
                base.weight = torch.nn.Parameter((original + delta).to(original.dtype), requires_grad=False)
                module._disable_adapters = True  # peft's forward then calls the base layer alone
                swapped.append((module, base, original))
        yield len(swapped)
    finally:
        for module, base, original in swapped:
            base.weight = original
            module._disable_adapters = False
