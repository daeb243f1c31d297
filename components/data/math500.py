"""MATH-500 (the PRM800K test subset of Hendrycks' MATH): local ``test.jsonl`` or the hub's HuggingFaceH4/MATH-500.

MATH-500 ships one split, so it is cut into train and held-out rows by ``holdout_split`` on ``unique_id``
(seeded by ``split_seed``, not the run seed, so the held-out set never moves between runs). The cut is made
over all 500 problems *before* the ``levels``/``subjects`` filters, so a filtered subset's held-out rows
are still never trained on under any other filter. Gold answers (``answer``) are graded by math-verify
(reward_component=math).
"""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import EvalFraction, make_splits, read_records, require_field
from components.data.source import holdout_split, local_source
from components.types import DatasetSplits


class Math500Data:
    @checked("data")
    def __init__(
        self,
        local_path: str | None = "../shared/data/math500/test.jsonl",
        hub_path: str | None = "HuggingFaceH4/MATH-500",
        hub_split: str = "test",
        levels: list[int] | None = None,
        subjects: list[str] | None = None,
        eval_fraction: EvalFraction = 0.5,
        split_seed: int = 0,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        self.local_path, self.hub_path, self.hub_split = local_path, hub_path, hub_split
        self.levels = [int(level) for level in levels] if levels else None
        self.subjects = list(subjects) if subjects else None
        self.eval_fraction, self.split_seed = eval_fraction, split_seed
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def rows(self) -> list[dict]:
        local = local_source(self.local_path, self.hub_path)
        if local is not None:
            file = local / "test.jsonl" if local.is_dir() else local
            records, where = read_records(file), str(file)
        else:
            records = load_hub_split(self.hub_path, None, self.hub_split, key="data.hub_path")
            where = f"{self.hub_path}[{self.hub_split}]"
        return [
            {
                "question": require_field(r, "problem", where, i),
                "answer": str(require_field(r, "answer", where, i)),
                "solution": r.get("solution", ""),
                "level": int(r.get("level", 0)),
                "subject": str(r.get("subject", "")),
                "unique_id": str(r.get("unique_id") or f"row{i}"),
            }
            for i, r in enumerate(records)
        ]

    def _keep(self, row: dict) -> bool:
        return (self.levels is None or row["level"] in self.levels) and (
            self.subjects is None or row["subject"] in self.subjects
        )

    def split(self) -> tuple[list[dict], list[dict]]:
        train, held_out = holdout_split(self.rows(), "unique_id", self.eval_fraction, self.split_seed)
        train, held_out = [r for r in train if self._keep(r)], [r for r in held_out if self._keep(r)]
        if not train or not held_out:
            raise ValueError(f"data.levels={self.levels} data.subjects={self.subjects}: no MATH-500 rows left")
        return train, held_out

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train, held_out = self.split()
        return make_splits(train, held_out, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
