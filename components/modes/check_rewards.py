"""mode=check_rewards: score a dataset's own gold solutions; anything below 100% is a reward bug.

Run: python run_pipeline.py mode=check_rewards reward_component=gsm8k check_rewards.dataset=gsm8k
     python run_pipeline.py mode=check_rewards reward_component=code check_rewards.dataset=humaneval
GSM8K: completion = the solution text, answer = the number after ``####``.
HumanEval: completion = canonical_solution, code_prompt = prompt (+ test, entry_point).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from omegaconf import DictConfig

from components.bounds import Ge, check_fields
from components.jsonio import read_jsonl
from components.modes.score import print_summary, score_rows
from components.runtime import build

log = logging.getLogger(__name__)
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DEFAULT_PATHS = {"gsm8k": "gsm8k/test.jsonl", "humaneval": "humaneval/HumanEval.jsonl.gz"}


@dataclass(frozen=True)
class CheckRewardsSettings:
    """The `check_rewards:` section of conf/config.yaml; config validation checks its keys against these types."""

    dataset: Literal["gsm8k", "humaneval"] = "gsm8k"
    path: str | None = None  # null = ../shared/data/<dataset>/... beside the repo
    max_samples: Annotated[int, Ge(1)] | None = None  # the first N rows; null = all

    def __post_init__(self) -> None:
        check_fields(self, "check_rewards")

    def source(self) -> Path:
        return Path(self.path) if self.path else SHARED_DATA / DEFAULT_PATHS[self.dataset]


def gold_rows(dataset: str, rows: list[dict], source: str) -> list[dict]:
    """Dataset rows as score-mode rows whose ``completion`` is the gold solution."""
    out = []
    for n, row in enumerate(rows, 1):
        if dataset == "gsm8k":
            need = ("question", "answer")
        else:
            need = ("prompt", "canonical_solution", "test", "entry_point")
        for field in need:
            if field not in row:
                raise ValueError(f"{source}: row {n}: missing field {field!r}")
        if dataset == "gsm8k":
            solution = row["answer"]
            if "####" not in solution:
                raise ValueError(f"{source}: row {n}: field 'answer' has no '#### N' final line")
            gold = solution.rsplit("####", 1)[1].strip()
            out.append({"question": row["question"], "answer": gold, "completion": solution})
        else:
            out.append(
                {
                    "task_id": row.get("task_id"),
                    "code_prompt": row["prompt"],
                    "test": row["test"],
                    "entry_point": row["entry_point"],
                    "completion": row["canonical_solution"],
                }
            )
    return out


def run(cfg: DictConfig) -> dict[str, Any]:

    section = CheckRewardsSettings(**cfg.check_rewards)
    dataset = section.dataset
    if dataset not in DEFAULT_PATHS:
        raise ValueError(f"check_rewards.dataset={dataset!r} is not one of {sorted(DEFAULT_PATHS)}")
    path = section.source()
    rows = read_jsonl(path)
    if section.max_samples:
        rows = rows[: section.max_samples]
    reward_set = build(cfg.reward)
    log.info("checking %s gold solutions in %s with %s", dataset, path, ", ".join(reward_set.names))
    scored, summary = score_rows(reward_set, gold_rows(dataset, rows, str(path)), str(path))
    not_full = [r for r in scored if r["reward"] < reward_set.max_total - 1e-9]
    for row in not_full[:5]:  # the first few failures, so a reward bug is visible at once
        print(f"  not full marks: {row.get('task_id') or row.get('question', '')[:60]!r} -> {row['rewards']}")
    print_summary(f"check_rewards {dataset} ({path})", summary)
    return {f"check_rewards/{k}": v for k, v in summary.items()}
