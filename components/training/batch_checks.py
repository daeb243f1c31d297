"""TRL's batch arithmetic, checked at start-up with the fix spelled out (TRL's own message comes later)."""

from __future__ import annotations

from typing import Any


def check_batch_geometry(args: dict[str, Any], defaults: dict[str, Any], world_size: int = 1) -> None:
    def get(key: str) -> Any:
        return args.get(key, defaults[key])

    num_generations = get("num_generations")
    per_device = get("per_device_train_batch_size")
    # Their ranges (>= 2, >= 1) are declared once, on the fields (export_grpo_fields.TRL_BOUNDS), and checked first.
    for key, value in (("num_generations", num_generations), ("per_device_train_batch_size", per_device)):
        if value is None:
            raise ValueError(f"train.{key}=null: the batch arithmetic needs a number")
    generation_batch = get("generation_batch_size")
    if generation_batch is None:
        steps = get("steps_per_generation") or get("gradient_accumulation_steps")
        generation_batch = per_device * world_size * steps
        what = (
            f"train.per_device_train_batch_size={per_device} x world_size={world_size} x steps_per_generation={steps}"
        )
    else:
        what = f"train.generation_batch_size={generation_batch}"
    if generation_batch % num_generations:
        fix = (generation_batch // num_generations + 1) * num_generations
        raise ValueError(
            f"{what} = {generation_batch} completions per generation is not divisible by "
            f"train.num_generations={num_generations}; use {fix} (or change num_generations)"
        )
