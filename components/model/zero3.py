"""Whole weights for generation when DeepSpeed ZeRO-3 has partitioned them across ranks.

Under ZeRO-3 each rank holds 1/N of every weight; DeepSpeed's forward hooks all-gather a layer's weights before it
runs and free them after, which costs one collective per layer per generated token. TRL gathers the whole model
once around its own rollouts (`unwrap_model_for_generation`); evaluation and the in-training probes generate
outside TRL, so they gather here, the same way (`deepspeed.zero.GatheredParameters`, every rank at once).
After training, `keep_whole` gathers for good and takes DeepSpeed's hooks off (TRL's `remove_hooks`), so the
final evaluation, the budget check (rank 0 alone: no collective may run there) and the rest of the run see a
plain model. Without ZeRO-3 (no `ds_id` on the parameters) every function here is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any


def zero3_params(model: Any) -> list[Any]:
    """The parameters DeepSpeed ZeRO-3 manages (they carry `ds_id`); empty for any other model."""
    return [p for p in model.parameters() if hasattr(p, "ds_id")]


def partitioned(model: Any) -> list[Any]:
    from deepspeed.runtime.zero.partition_parameters import ZeroParamStatus

    return [p for p in zero3_params(model) if p.ds_status == ZeroParamStatus.NOT_AVAILABLE]


@contextmanager
def whole_weights(model: Any) -> Iterator[bool]:
    """Inside the block every ZeRO-3 weight is whole on this rank (a collective: all ranks must enter).
    Yields whether the model is ZeRO-3 managed, in which case LoRA must not be merged into a swapped-in copy
    (DeepSpeed tracks each Parameter object; a new one has none of its bookkeeping)."""
    if not zero3_params(model):
        yield False
        return
    missing = partitioned(model)
    if missing:
        import deepspeed

        context = deepspeed.zero.GatheredParameters(missing)
    else:
        context = nullcontext()  # already whole (after keep_whole): no collective, so rank 0 may generate alone
    with context:
        yield True


def keep_whole(trainer: Any) -> None:
    """After a ZeRO-3 run: every rank gathers the full weights in place for the rest of the run and DeepSpeed's
    forward hooks come off (they would free the weights again after each layer). Collective: call on all ranks."""
    engine = trainer.model_wrapped
    missing = partitioned(engine.module)
    if missing:
        missing[0].all_gather(param_list=missing)  # what GatheredParameters does on entry; never re-partitioned
    from trl.models.utils import remove_hooks

    remove_hooks(engine)
