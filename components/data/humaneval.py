"""HumanEval (164 Python functions to complete) from the local HumanEval.jsonl.gz, scored by reward_component=code.

HumanEval is an evaluation benchmark with a single split: every problem goes to the eval split, and the
train split holds the same problems, so `mode=train` on it is a smoke test of the code path, not training.
"""

from __future__ import annotations

import logging
from typing import Annotated

from components.bounds import Ge, checked
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records, require_field
from components.types import DatasetSplits

log = logging.getLogger(__name__)

DEFAULT_INSTRUCTION = (
    "Complete the following Python function. Reply with the whole function in one ```python code block."
)


class HumanEvalData:
    @checked("data")
    def __init__(
        self,
        path: str = "../shared/data/humaneval/HumanEval.jsonl.gz",
        instruction: str = DEFAULT_INSTRUCTION,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        self.path, self.instruction = path, instruction
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def rows(self) -> list[dict]:
        rows = []
        for i, record in enumerate(read_records(self.path)):
            stub = require_field(record, "prompt", self.path, i)
            rows.append(
                {
                    "task_id": record.get("task_id", f"HumanEval/{i}"),
                    "question": f"{self.instruction}\n\n```python\n{stub}```",
                    "code_prompt": stub,  # the code reward runs stub + completion + test
                    "test": require_field(record, "test", self.path, i),
                    "entry_point": require_field(record, "entry_point", self.path, i),
                    "answer": require_field(record, "canonical_solution", self.path, i),
                }
            )
        return rows

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        rows = self.rows()
        log.info("HumanEval has no train split: the train split repeats the %d eval problems", len(rows))
        # Eval keeps file order when capped (first N problems), so subsets are comparable across runs.
        evaluation = rows[: self.max_eval_samples] if self.max_eval_samples else rows
        return make_splits(rows, evaluation, prompts, self.max_train_samples, None, self.seed)
