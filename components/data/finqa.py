"""FinQA: numerical reasoning over financial reports (text before/after a table, the table, a question).

Reads the original FinQA JSON (`qa.question`, `qa.exe_ans`) and the flattened hub layout
(`question`, `final_result` or `answer`), from the hub or from local train/eval files.
"""

from __future__ import annotations

from pathlib import Path

from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records
from components.types import DatasetSplits


def _text(value) -> str:
    return " ".join(value) if isinstance(value, list) else str(value or "")


def _table(rows) -> str:
    return "\n".join(" | ".join(str(cell) for cell in row) for row in rows or [])


def finqa_row(record: dict, where: str, index: int) -> dict:
    qa = record.get("qa") or {}
    question = qa.get("question", record.get("question"))
    answer = qa.get("exe_ans", record.get("final_result", record.get("answer")))
    for field, value in (("question", question), ("exe_ans/final_result/answer", answer)):
        if value is None or str(value).strip() == "":
            raise ValueError(f"{where}: row {index + 1} has no '{field}' field")
    context = "\n\n".join(part for part in (_text(record.get("pre_text")), _table(record.get("table")),
                                            _text(record.get("post_text"))) if part)
    return {"question": f"{context}\n\nQuestion: {question}", "answer": str(answer)}


class FinQAData:
    def __init__(
        self,
        path: str = "ibm-research/finqa",
        train_file: str | None = None,
        eval_file: str | None = None,
        train_split: str = "train",
        eval_split: str = "test",
        max_train_samples: int | None = None,
        max_eval_samples: int | None = 200,
        seed: int = 0,
    ) -> None:
        self.path, self.train_file, self.eval_file = path, train_file, eval_file
        self.train_split, self.eval_split = train_split, eval_split
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _rows(self, file: str | None, split: str) -> list[dict]:
        if file:
            records, where = read_records(Path(file)), file
        else:
            records, where = load_hub_split(self.path, None, split), f"{self.path}[{split}]"
        return [finqa_row(record, where, i) for i, record in enumerate(records)]

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        return make_splits(
            self._rows(self.train_file, self.train_split), self._rows(self.eval_file, self.eval_split), prompts,
            self.max_train_samples, self.max_eval_samples, self.seed,
        )
