"""What a run costs: tokens generated and trained, wall time per phase, accelerator-hours and dollars.

Phases: `generation` and `reward` (inside training steps), `optimisation` (the rest of each step: forward,
backward, optimizer), `evaluation` (every evaluator call) and `other` (loading, saving). The tracker times them
with transparent wrappers installed by `watch()` on the model's `generate`, the reward functions handed to TRL,
and the evaluator's `evaluate`; as a `TrainerCallback` it times each optimizer step and adds its running totals
to every trainer log (so observers get them per step). Generation by vLLM is not seen (it never calls
`model.generate`); it is then counted as optimisation.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any

from transformers import TrainerCallback

from components.bounds import Ge, checked
from components.cost.prices import USD_PER_HOUR, detect_accelerator

log = logging.getLogger(__name__)

PHASES = ("generation", "reward", "optimisation", "evaluation")


class CostTracker(TrainerCallback):
    @checked("cost")
    def __init__(
        self,
        accelerator: str = "auto",
        usd_per_hour: Annotated[float, Ge(0)] | None = None,
        num_accelerators: Annotated[int, Ge(1)] | None = None,
    ) -> None:
        if accelerator != "auto" and accelerator not in USD_PER_HOUR:
            raise ValueError(
                f"cost.accelerator={accelerator}: unknown; use auto, one of {sorted(USD_PER_HOUR)}, "
                "or set cost.usd_per_hour"
            )
        self.accelerator = detect_accelerator() if accelerator == "auto" else accelerator
        self.usd_per_hour = usd_per_hour if usd_per_hour is not None else USD_PER_HOUR.get(self.accelerator or "")
        if self.usd_per_hour is None:
            log.warning("cost: unknown accelerator; set cost.usd_per_hour to get dollar figures")
        # One process drives one accelerator; under torchrun/accelerate each of WORLD_SIZE processes does.
        self.num_accelerators = num_accelerators or int(os.environ.get("WORLD_SIZE", "1"))
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = defaultdict(float)
        self.tokens_generated = 0
        self.tokens_trained = 0
        self._active: str | None = None  # the phase being timed; nested calls count toward it
        self._step_started: float | None = None
        self._step_inner = 0.0  # generation + reward seconds inside the current step

    # ---- instrumentation -------------------------------------------------------------------------------
    def watch(self, model: Any, reward: Any, evaluator: Any) -> None:
        """Time `model.generate`, each of `reward.funcs` and `evaluator.evaluate` in place (results unchanged)."""
        model.generate = self._timed(model.generate, "generation", count_tokens=True)
        reward.funcs = [self._timed(fn, "reward") for fn in reward.funcs]
        evaluator.evaluate = self._timed(evaluator.evaluate, "evaluation")

    def _timed(self, fn: Callable, phase: str, count_tokens: bool = False) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            outer = self._active is None
            if outer:
                self._active = phase
            start = time.perf_counter()
            try:
                output = fn(*args, **kwargs)
            finally:
                if outer:
                    elapsed = time.perf_counter() - start
                    self.seconds[phase] += elapsed
                    if self._step_started is not None:
                        self._step_inner += elapsed
                    self._active = None
            if count_tokens:
                self.tokens_generated += _new_tokens(output, args, kwargs)
            return output

        return wrapper

    # ---- TrainerCallback -------------------------------------------------------------------------------
    def on_step_begin(self, args, state, control, **kwargs):
        self._step_started, self._step_inner = time.perf_counter(), 0.0

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_started is not None:
            self.seconds["optimisation"] += max(0.0, time.perf_counter() - self._step_started - self._step_inner)
            self._step_started = None
        self.tokens_trained = int(state.num_input_tokens_seen)

    def on_log(self, args, state, control, logs=None, **kwargs):
        # Later callbacks (the observer bridge) see these keys in the same dict.
        if logs is not None:
            logs.update({f"cost/{k}": v for k, v in self.totals().items()})

    # ---- results ---------------------------------------------------------------------------------------
    def totals(self) -> dict[str, float | int | None]:
        wall = time.perf_counter() - self.started
        hours = wall * self.num_accelerators / 3600
        phases = {f"{p}_s": self.seconds[p] for p in PHASES}
        return {
            "tokens_generated": self.tokens_generated,
            "tokens_trained": self.tokens_trained,
            **phases,
            "other_s": max(0.0, wall - sum(phases.values())),
            "wall_s": wall,
            "accelerator_hours": hours,
            "usd": None if self.usd_per_hour is None else hours * self.usd_per_hour,
        }

    def summary(self, accuracy_gain: float) -> dict[str, Any]:
        """Final figures for summary.json: `cost/...` keys, plus dollars per accuracy point gained."""
        totals = self.totals()
        points = accuracy_gain * 100
        per_point = totals["usd"] / points if totals["usd"] is not None and points > 0 else None
        return {
            **{f"cost/{k}": v for k, v in totals.items()},
            "cost/usd_per_accuracy_point": per_point,
            "cost/accelerator": self.accelerator,
            "cost/num_accelerators": self.num_accelerators,
            "cost/usd_per_hour": self.usd_per_hour,
        }


def _new_tokens(output: Any, args: tuple, kwargs: dict) -> int:
    """Non-pad tokens that `generate` appended (pad == eos in many tokenizers: each stop token is not counted)."""
    sequences = getattr(output, "sequences", output)
    inputs = kwargs.get("input_ids", args[0] if args else None)
    if not hasattr(sequences, "shape") or inputs is None or not hasattr(inputs, "shape"):
        return 0
    new = sequences[:, inputs.shape[1] :]
    config = kwargs.get("generation_config")
    pad = kwargs.get("pad_token_id", getattr(config, "pad_token_id", None))
    return int(new.numel() if pad is None else (new != pad).sum().item())
