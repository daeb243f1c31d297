"""Guards while training: a non-finite loss stops the run before it is checkpointed, Ctrl-C stops it after a
checkpoint, and reward-hacking signals are logged (`guard/<signal>` in metrics.jsonl) and warned about.

Everything reads what TRL already logs each step (`loss`, `grad_norm`, `completions/mean_length`,
`completions/clipped_ratio`, `frac_reward_zero_std`, `reward`); nothing is recomputed.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from dataclasses import dataclass
from typing import Annotated, Any

from transformers import TrainerCallback

from components.bounds import Ge, Gt, Interval, check_fields

log = logging.getLogger(__name__)


class TrainingStopped(Exception):
    """Training ended early on purpose; the orchestrator writes summary.json with `status` and exits non-zero."""

    EXIT_CODES = {"interrupted": 130, "non_finite_loss": 3, "preflight_failed": 2, "power_check_failed": 2}

    def __init__(self, status: str, message: str, global_step: int, checkpoint: str | None) -> None:
        super().__init__(message)
        self.status, self.global_step, self.checkpoint = status, global_step, checkpoint

    @property
    def exit_code(self) -> int:
        return self.EXIT_CODES.get(self.status, 1)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": str(self),
            "global_step": self.global_step,
            "last_checkpoint": self.checkpoint,
        }


@dataclass(frozen=True)
class GuardSettings:
    """`train.guards.*`: when to stop and when to warn."""

    stop_on_non_finite: bool = True
    # warn when mean completion length exceeds this x its first-steps baseline
    length_blowup: Annotated[float, Gt(0)] = 3.0
    # warn when this fraction of groups has identical rewards (no learning signal)
    zero_std_frac: Annotated[float, Interval(ge=0, le=1)] = 0.9
    # warn when this fraction of completions hits max_completion_length
    clipped_ratio: Annotated[float, Interval(ge=0, le=1)] = 0.5
    patience: Annotated[int, Ge(1)] = 5  # ... for this many logged steps in a row
    # warn when eval accuracy falls by this much while train reward rises
    eval_drop: Annotated[float, Interval(ge=0, le=1)] = 0.05
    baseline_steps: Annotated[int, Ge(1)] = 3  # logged steps that define the completion-length baseline

    def __post_init__(self) -> None:
        check_fields(self, "train.guards")


def _finite(value: Any) -> bool:
    return not isinstance(value, (int, float)) or math.isfinite(value)


def parameters_finite(model: Any) -> bool:
    """Trainable parameters only: LoRA adapters are small, and frozen weights cannot turn NaN."""
    import torch

    return all(bool(torch.isfinite(p).all()) for p in model.parameters() if p.requires_grad)


class TrainingGuard(TrainerCallback):
    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings
        self.stop: tuple[str, str] | None = None  # (status, message)
        self.warnings: dict[str, int] = {}
        self._interrupt = threading.Event()
        self._previous_handler: Any = None
        self._lengths: list[float] = []
        self._streak = {"zero_std": 0, "clipped": 0}
        self._eval: tuple[float, float] | None = None  # (accuracy, mean train reward) at the previous eval
        self._rewards: list[float] = []
        self._pending: dict[str, float] = {}
        self._quiet = False

    # -- Ctrl-C: finish the step, save a checkpoint, stop; a second Ctrl-C aborts at once. --
    def on_train_begin(self, args, state, control, **kwargs):
        # A resumed run: rebuild baselines and streaks from the restored log history, so the signals logged
        # after resuming are the ones an uninterrupted run would have logged.
        self._quiet = True
        for logs in state.log_history:
            self._signals(dict(logs))
        self._quiet = False
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGINT, self._on_sigint)

    def on_train_end(self, args, state, control, **kwargs):
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._previous_handler = None

    def _on_sigint(self, signum, frame) -> None:
        if self._interrupt.is_set():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self._interrupt.set()
        log.warning("Ctrl-C: finishing this step, then saving a checkpoint and stopping (Ctrl-C again aborts now)")

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self._interrupt.is_set() and self.stop is None:
            control.should_save, control.should_training_stop = True, True
            self.stop = (
                "interrupted",
                f"interrupted by Ctrl-C at step {state.global_step}; resume with "
                "train.resume_from_checkpoint=auto and the same hydra.run.dir",
            )
        elif (
            control.should_save
            and model is not None
            and self.settings.stop_on_non_finite
            and not parameters_finite(model)
        ):
            self._stop_non_finite(control, state.global_step, "trainable parameters")
        return control

    # -- What TRL logged this step. --
    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs:
            return control
        step = state.global_step
        bad = [k for k in ("loss", "grad_norm") if k in logs and not _finite(logs[k])]
        if bad and self.settings.stop_on_non_finite:
            self._stop_non_finite(control, step, f"{bad[0]}={logs[bad[0]]}")
            return control
        for name, value in self._signals(logs).items():
            logs[f"guard/{name}"] = value
        return control

    def _stop_non_finite(self, control, step: int, what: str) -> None:
        control.should_save, control.should_training_stop = False, True  # never checkpoint the broken weights
        self.stop = (
            "non_finite_loss",
            f"non-finite {what} at step {step}: stopped without saving it; lower "
            "train.learning_rate or set train.max_grad_norm, then resume from the last good checkpoint",
        )

    def _signals(self, logs: dict[str, Any]) -> dict[str, float]:
        s, out = self.settings, {}
        length = logs.get("completions/mean_length")
        if isinstance(length, (int, float)):
            if len(self._lengths) < s.baseline_steps:
                self._lengths.append(length)
            else:
                ratio = length / max(sum(self._lengths) / len(self._lengths), 1.0)
                out["length_ratio"] = ratio
                if ratio > s.length_blowup:
                    self._warn(
                        "length_blowup",
                        f"mean completion length {length:.0f} is {ratio:.1f}x its first-steps "
                        "baseline: the policy may be padding answers to game a reward",
                    )
        for key, name, limit, why in (
            (
                "frac_reward_zero_std",
                "zero_std",
                s.zero_std_frac,
                "of groups have identical rewards, so GRPO gets no learning signal (task too easy or too hard?)",
            ),
            (
                "completions/clipped_ratio",
                "clipped",
                s.clipped_ratio,
                "of completions hit train.max_completion_length (raise it, or reward shorter answers)",
            ),
        ):
            value = logs.get(key)
            if isinstance(value, (int, float)):
                self._streak[name] = self._streak[name] + 1 if value >= limit else 0
                if self._streak[name] >= s.patience:
                    self._warn(name, f"{value:.0%} {why} for {self._streak[name]} logged steps")
                    out[name] = 1.0
        if isinstance(logs.get("reward"), (int, float)):
            self._rewards.append(logs["reward"])
        accuracy = logs.get("eval/accuracy", logs.get("eval_accuracy"))
        if isinstance(accuracy, (int, float)) and self._reward_up_eval_down(accuracy):
            out["reward_up_eval_down"] = 1.0
        if self._pending:  # an in-training evaluation's signal (observe_eval) lands on the next logged step
            out.update(self._pending)
            self._pending.clear()
        return out

    def observe_eval(self, step: int, accuracy: float) -> None:
        """An in-training evaluation's accuracy. ProbeCallback calls this: its `eval/` metrics go straight to
        the observers, not through TRL's logs, so this guard would not see them in on_log."""
        if self._reward_up_eval_down(accuracy):
            self._pending["reward_up_eval_down"] = 1.0

    def _reward_up_eval_down(self, accuracy: float) -> bool:
        s = self.settings
        if not self._rewards:
            return False
        reward = sum(self._rewards[-s.patience :]) / len(self._rewards[-s.patience :])
        fired = bool(self._eval and accuracy < self._eval[0] - s.eval_drop and reward > self._eval[1])
        if fired:
            self._warn(
                "reward_up_eval_down",
                f"train reward rose {self._eval[1]:.3f} -> {reward:.3f} while eval "
                f"accuracy fell {self._eval[0]:.3f} -> {accuracy:.3f}: likely reward hacking",
            )
        self._eval = (accuracy, reward)
        return fired

    def _warn(self, name: str, message: str) -> None:
        count = self.warnings[name] = self.warnings.get(name, 0) + 1
        if not self._quiet and (
            count == 1 or count % 10 == 0
        ):  # the first time, then every 10th, so the log stays readable
            log.warning("guard %s: %s", name, message)
