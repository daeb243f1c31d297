"""Any local JSONL / JSON / CSV file with configurable question and answer fields."""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge, checked
from components.data.prompts import PromptBuilder
from components.data.rows import EvalFraction, make_splits, read_records, require_field, split_rows
from components.types import DatasetSplits


class JsonlData:
    @checked("data")
    def __init__(
        self,
        train_file: str,
        eval_file: str | None = None,
        question_field: str = "question",
        answer_field: str = "answer",
        extra_fields: list[str] | None = None,
        eval_fraction: EvalFraction = 0.1,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        self.train_file, self.eval_file = train_file, eval_file
        self.question_field, self.answer_field = question_field, answer_field
        self.extra_fields = list(extra_fields or [])
        self.eval_fraction = eval_fraction
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _rows(self, file: str) -> list[dict]:
        rows = []
        for i, record in enumerate(read_records(file)):
            row = {
                "question": str(require_field(record, self.question_field, file, i)),
                "answer": str(require_field(record, self.answer_field, file, i)),
            }
            for field in self.extra_fields:
                row[field] = require_field(record, field, file, i)
            rows.append(row)
        return rows

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train = self._rows(self.train_file)
        if self.eval_file:
            evaluation = self._rows(self.eval_file)
        else:
            train, evaluation = split_rows(train, self.eval_fraction, self.seed)
        return make_splits(train, evaluation, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
