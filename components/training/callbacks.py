"""Bridge from the HF/TRL trainer's log events to our observers (namespaced keys, main process only)."""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

# TRL 1.x logs `rewards/<name>/mean`; everything else trainer-side goes under `train/`.
REWARD_PREFIX, REWARD_SUFFIX = "rewards/", "/mean"


def namespaced(logs: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in logs.items():
        if not isinstance(value, (int, float)):
            continue
        if key.startswith(REWARD_PREFIX) and key.endswith(REWARD_SUFFIX):
            out["reward/" + key[len(REWARD_PREFIX) : -len(REWARD_SUFFIX)]] = value
        elif key.startswith(("train/", "eval/", "reward/", "cost/")):
            out[key] = value
        else:
            out["train/" + key] = value
    return out


class ObserverCallback(TrainerCallback):
    def __init__(self, observer: Any) -> None:
        self.observer = observer

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and state.is_world_process_zero:
            self.observer.log_metrics(namespaced(logs), step=state.global_step)
