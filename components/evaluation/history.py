"""Completions history: JSONL files in the run dir that only ever grow (append, never rewrite).

completions_eval.jsonl   one row per evaluated completion (tag = before / probe / after / eval); an environment's
                         rows also hold the episode (reset fields, `trajectory`, live `outcome`) for mode=score
completions_train.jsonl  the GRPO completions of every K-th training step, with each reward function's score

Under a multi-process launch only rank 0 appends (the ranks share one run dir); completions_train.jsonl then
holds rank 0's share of each recorded step's batch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.distributed import is_main_process
from components.evaluation.by_group import GROUP_COLUMN
from components.jsonio import append_jsonl, read_jsonl

EVAL_HISTORY = "completions_eval.jsonl"
TRAIN_HISTORY = "completions_train.jsonl"
_TRL_ONLY = ("prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric")


def append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    if is_main_process():  # the rank-0 rule for run-dir files, as in components/runtime.write_json
        append_jsonl(path, rows)


def eval_rows(samples: list[dict[str, Any]], tag: str, step: int) -> list[dict[str, Any]]:
    """EvalResult.samples flattened: the greedy completion (sample=null) then each sampled one (sample=j)."""
    rows = []
    for record in samples:
        head = {
            "tag": tag,
            "step": step,
            "index": record["index"],
            "prompt": record["prompt"],
            "question": record.get("question"),
            "answer": record.get("answer"),
            **({GROUP_COLUMN: record[GROUP_COLUMN]} if GROUP_COLUMN in record else {}),
            **({"environment": record["environment"]} if "environment" in record else {}),  # a mix: whose episode
            # an environment's episode: its reset fields, messages and live outcome, so mode=score can replay it
            **record.get("episode", {}),
            **{key: record[key] for key in ("trajectory", "outcome") if key in record and "episode" in record},
        }
        keep = ("completion", "extracted", "reward", "correct", "completion_tokens", "truncated")
        rows.append({**head, "sample": None, **{k: record.get(k) for k in keep}})
        for j, sampled in enumerate(record.get("samples", [])):
            rows.append({**head, "sample": j, **sampled})
    return rows


def append_eval(run_dir: Path, samples: list[dict[str, Any]], tag: str, step: int) -> None:
    append_rows(Path(run_dir) / EVAL_HISTORY, eval_rows(samples, tag, step))


def read_history(path: Path) -> list[dict[str, Any]]:
    return read_jsonl(path) if Path(path).is_file() else []


class TrainingCompletionRecorder:
    """Quacks like the RewardSet handed to training (funcs / weights / names); every function still scores
    as before, and once the last one has scored a batch of a recorded step the batch is appended to the file.

    TRL calls the reward functions one after another on the same batch, so the last call sees them all.
    """

    def __init__(self, reward: Any, path: Path, every_steps: int) -> None:
        self.reward, self.path, self.every_steps = reward, Path(path), every_steps
        self.names, self.weights = list(reward.names), list(reward.weights)
        self._scores: dict[str, list] = {}
        self._last_step: int | None = None
        self.funcs = [self._wrap(fn, i) for i, fn in enumerate(reward.funcs)]

    def __getattr__(self, name: str) -> Any:  # score / is_correct / ... go to the real reward set
        return getattr(self.reward, name)

    def _wrap(self, fn: Callable, i: int) -> Callable:
        def recorded(completions, **kwargs):
            scores = fn(completions, **kwargs)
            self._scores[self.names[i]] = scores
            if i == len(self.names) - 1:
                self._maybe_record(completions, kwargs)
            return scores

        recorded.__name__ = recorded.__qualname__ = fn.__name__
        return recorded

    def _maybe_record(self, completions: list, kwargs: dict[str, Any]) -> None:
        state = kwargs.get("trainer_state")
        step = int(getattr(state, "global_step", 0))
        if self._last_step is not None and step - self._last_step < self.every_steps:
            return
        self._last_step = step
        prompts = kwargs.get("prompts")
        columns = {k: v for k, v in kwargs.items() if k not in _TRL_ONLY}
        extracted = self.reward.extract_answers(completions, prompts=prompts, **columns)
        rows = []
        for j, completion in enumerate(completions):
            rewards = {name: self._scores[name][j] for name in self.names}
            total = sum(w * (rewards[n] or 0.0) for n, w in zip(self.names, self.weights))
            text = completion if isinstance(completion, str) else completion[-1].get("content", "")
            rows.append(
                {
                    "step": step,
                    "prompt": prompts[j] if prompts else None,
                    "answer": _at(columns.get("answer"), j),
                    "completion": text,
                    "extracted": extracted[j],
                    "rewards": rewards,
                    "reward": total,
                }
            )
        append_rows(self.path, rows)


def _at(values: Any, j: int) -> Any:
    return values[j] if isinstance(values, (list, tuple)) else values
