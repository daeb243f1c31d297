"""Preflight: catch a run that cannot learn before it burns its budget (`train.preflight=false` skips it).

Two stages. (1) Once the model and data are loaded, before the trainer starts: the longest tokenized prompt
plus `max_completion_length` must fit the model's context (TRL 1.x never truncates prompts). (2) During the
first `preflight_steps` real training steps: if >= `max_truncated` of the completions hit the length limit,
or every group had identical rewards at every step, the run stops with advice. The dry-run is the first
steps themselves, read from what TRL logs (`completions/clipped_ratio`, `frac_reward_zero_std`), rather than
a separate pre-generation: it costs no extra generation, uses exactly the trainer's sampling settings, and
nothing is wasted when the check passes.
"""

from __future__ import annotations

import logging
from typing import Any

from transformers import TrainerCallback

log = logging.getLogger(__name__)


def max_positions(model: Any) -> int | None:
    config = getattr(model, "config", None)
    for key in ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def prompt_tokens(tokenizer: Any, prompt: Any) -> int:
    if isinstance(prompt, list):  # conversational: the chat template adds role markers
        ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)
        return len(ids["input_ids"] if hasattr(ids, "keys") else ids)  # transformers 5 returns a BatchEncoding
    return len(tokenizer(prompt)["input_ids"])


def check_context(model: Any, tokenizer: Any, dataset: Any, max_completion_length: int, sample: int = 512) -> None:
    """Raise a one-line ValueError when the longest prompt (of the first `sample`) plus completions overflows."""
    limit = max_positions(model)
    if limit is None or "prompt" not in getattr(dataset, "column_names", []):
        return
    prompts = dataset.select(range(min(sample, len(dataset))))["prompt"]
    longest = max((prompt_tokens(tokenizer, p) for p in prompts), default=0)
    if longest + max_completion_length > limit:
        raise ValueError(
            f"train.max_completion_length={max_completion_length} + the longest prompt ({longest} tokens) exceeds the "
            f"model's context of {limit} positions; use train.max_completion_length<={max(limit - longest, 0)} "
            "or shorter prompts"
        )


class PreflightCallback(TrainerCallback):
    """Watches the first `steps` logged steps and stops the run when they show it cannot learn."""

    def __init__(self, steps: int = 3, max_truncated: float = 0.9, max_completion_length: int | None = None) -> None:
        self.steps, self.max_truncated, self.max_completion_length = steps, max_truncated, max_completion_length
        self.clipped: list[float] = []
        self.zero_std: list[float] = []
        self.done = False
        self.failure: str | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        if state.global_step > 0:  # a resumed run passed preflight the first time
            self.done = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.done or not logs:
            return control
        if "completions/clipped_ratio" in logs:
            self.clipped.append(float(logs["completions/clipped_ratio"]))
        if "frac_reward_zero_std" in logs:
            self.zero_std.append(float(logs["frac_reward_zero_std"]))
        if state.global_step >= self.steps:
            self.done = True
            self.failure = self.verdict()
            if self.failure:
                control.should_training_stop, control.should_save = True, False
            else:
                log.info("preflight passed after %d steps", state.global_step)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if not self.done and (self.clipped or self.zero_std):
            problem = self.verdict()  # too few steps to stop anything; still say what was seen
            if problem:
                log.warning("preflight (only %d of %d steps ran): %s", state.global_step, self.steps, problem)

    def verdict(self) -> str | None:
        if self.clipped and sum(self.clipped) / len(self.clipped) >= self.max_truncated:
            share = sum(self.clipped) / len(self.clipped)
            limit = f"={self.max_completion_length}" if self.max_completion_length else ""
            return (
                f"preflight: {share:.0%} of completions in the first {len(self.clipped)} steps hit "
                f"train.max_completion_length{limit}; raise it, ask for shorter answers in the prompt, or "
                "set train.preflight=false to train anyway"
            )
        if self.zero_std and min(self.zero_std) >= 1.0:
            return (
                f"preflight: in the first {len(self.zero_std)} steps every group of completions got identical "
                "rewards, so GRPO has nothing to learn from; check the reward on gold answers "
                "(mode=check_rewards), raise train.temperature or train.num_generations, pick an easier task, "
                "or set train.preflight=false to train anyway"
            )
        return None
