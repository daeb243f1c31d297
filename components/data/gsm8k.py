"""GSM8K grade-school math: from the hub (`openai/gsm8k`, config `main`) or a local directory of JSONL files.

The gold answer is the number after `####` in the solution, commas stripped; the full solution is kept in
`solution` for gold sanity checks. ``max_solution_steps`` keeps only problems whose reference solution makes
at most that many calculations (its ``<<a*b=c>>`` annotations): an easier subset of both splits, for models
too small to get any GSM8K problem right (train: 2,674 rows at <= 2; test: 440).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records, require_field
from components.types import DatasetSplits


def final_answer(solution: str, where: str, index: int) -> str:
    if "####" not in solution:
        raise ValueError(f"{where}: row {index + 1} field 'answer' has no '#### <number>' final line")
    return solution.rsplit("####", 1)[1].strip().replace(",", "")


class GSM8KData:
    @checked("data")
    def __init__(
        self,
        path: str = "openai/gsm8k",
        config_name: str = "main",
        train_split: str = "train",
        eval_split: str = "test",
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        max_solution_steps: int | None = None,
        seed: int = 0,
    ) -> None:
        self.max_solution_steps = max_solution_steps
        self.path, self.config_name = path, config_name
        self.train_split, self.eval_split = train_split, eval_split
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _records(self, split: str) -> tuple[list[dict], str]:
        local = Path(self.path).expanduser()
        if local.is_dir():
            file = local / f"{split}.jsonl"
            return read_records(file), str(file)
        if self.path.startswith((".", "/", "~")):
            raise ValueError(f"data.path={self.path}: directory not found")
        return load_hub_split(self.path, self.config_name, split), f"{self.path}[{split}]"

    def _rows(self, split: str) -> list[dict]:
        records, where = self._records(split)
        rows = []
        for i, record in enumerate(records):
            question = require_field(record, "question", where, i)
            solution = require_field(record, "answer", where, i)
            if self.max_solution_steps is not None and solution.count("<<") > self.max_solution_steps:
                continue
            rows.append({"question": question, "answer": final_answer(solution, where, i), "solution": solution})
        return rows

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        return make_splits(
            self._rows(self.train_split),
            self._rows(self.eval_split),
            prompts,
            self.max_train_samples,
            self.max_eval_samples,
            self.seed,
        )
