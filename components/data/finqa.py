"""FinQA: numerical reasoning over financial reports (text around a table, the table, a question).

Reads every FinQA layout into one prompt form, PIXIU/FinBen's ("Context: <pre_text>\\n|a|b|...\\n<post_text>
\\nQuestion: <q>"), so rows from different files look alike to the model:
- the original FinQA JSON (``qa.question``, ``qa.exe_ans``) and its flattened forms (top-level ``question``
  with ``answer`` = exe_ans as in the shipped ``test_first500.jsonl``, or the hub's ``final_result``);
- PIXIU's one-prompt form (``conversations``: the human turn holds context + question, the assistant turn
  the answer), as in the shipped ``dev_pixiu.jsonl``.

Local (``local_path`` exists): trains on ``train_files`` and evaluates on ``eval_files``, inside that directory.
By default train = ``dev_pixiu.jsonl`` (FinQA's official dev split, 883 rows) and held-out =
``test_first500.jsonl`` (the first 500 rows of FinQA's official test split): two different official splits,
so no held-out row is ever trained on (a test checks it). Hub (``hub_path``, ibm-research/finqa): the
``train`` and ``test`` splits. Gold answers are exe_ans: percentages as fractions (0.14464), a few yes/no;
reward_component=finqa grades them with FinQA's tolerance for rounding and percent/fraction forms.
``max_question_chars`` keeps only rows whose context + question fits in that many characters (the median
is ~4,000 characters, ~1,000 tokens; the longest ~9,100): a shorter-context subset of both splits.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import make_splits, read_records
from components.data.source import local_source
from components.types import DatasetSplits

PIXIU_HEAD = "Please answer the given financial question based on the context.\n"


def _text(value) -> str:
    return " ".join(value) if isinstance(value, list) else str(value or "")


def _table(rows) -> str:
    return "\n".join("|" + "|".join(str(cell) for cell in row) + "|" for row in rows or [])


def _answer(value) -> str:
    """exe_ans as plain text: 94.0 -> "94", 1e-05 -> "0.00001" (no exponent a reader or parser trips on)."""
    text = str(value).strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text  # "yes" / "no"
    if not number.is_finite():
        return text
    plain = format(number, "f")
    return plain.rstrip("0").rstrip(".") if "." in plain else plain


def finqa_row(record: dict, where: str, index: int) -> dict:
    turns = record.get("conversations")
    if turns:  # PIXIU: "<head>Context: ...\nQuestion: ...\nAnswer:" -> "Context: ...\nQuestion: ..."
        prompt = str(turns[0].get("value", "")).removeprefix(PIXIU_HEAD).strip().removesuffix("Answer:").rstrip()
        answer = turns[1].get("value") if len(turns) > 1 else None
        if "Question:" not in prompt:
            raise ValueError(f"{where}: row {index + 1} conversation has no 'Question:' line")
        question = prompt
    else:
        qa = record.get("qa") or {}
        q = qa.get("question", record.get("question"))
        answer = qa.get("exe_ans", record.get("final_result", record.get("answer")))
        if q is None or not str(q).strip():
            raise ValueError(f"{where}: row {index + 1} has no 'question' field")
        context = "\n".join(
            part
            for part in (_text(record.get("pre_text")), _table(record.get("table")), _text(record.get("post_text")))
            if part
        )
        question = f"Context: {context}\nQuestion: {q}"
    if answer is None or str(answer).strip() == "":
        raise ValueError(f"{where}: row {index + 1} has no 'exe_ans/final_result/answer' field")
    return {"question": question, "answer": _answer(answer), "id": str(record.get("id", f"{where}#{index}"))}


class FinQAData:
    @checked("data")
    def __init__(
        self,
        local_path: str | None = "../shared/data/finqa",
        hub_path: str | None = "ibm-research/finqa",
        train_files: list[str] = ("dev_pixiu.jsonl",),
        eval_files: list[str] = ("test_first500.jsonl",),
        train_split: str = "train",
        eval_split: str = "test",
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = 200,
        max_question_chars: int | None = None,
        seed: int = 0,
    ) -> None:
        self.max_question_chars = max_question_chars
        self.local_path, self.hub_path = local_path, hub_path
        self.train_files, self.eval_files = list(train_files), list(eval_files)
        self.train_split, self.eval_split = train_split, eval_split
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _rows(self, files: list[str], split: str) -> list[dict]:
        local = local_source(self.local_path, self.hub_path)
        if local is None:
            where = f"{self.hub_path}[{split}]"
            records = load_hub_split(self.hub_path, None, split, key="data.hub_path")
            return [finqa_row(r, where, i) for i, r in enumerate(records)]
        rows = []
        for name in files:
            path = local / name if local.is_dir() else local
            rows += [finqa_row(r, str(path), i) for i, r in enumerate(read_records(path))]
        return rows

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train, held_out = self._rows(self.train_files, self.train_split), self._rows(self.eval_files, self.eval_split)
        if self.max_question_chars:  # a documented subset: reports whose context fits a small model's window
            train = [row for row in train if len(row["question"]) <= self.max_question_chars]
            held_out = [row for row in held_out if len(row["question"]) <= self.max_question_chars]
        held = {row["question"] for row in held_out}
        train = [row for row in train if row["question"] not in held]  # a row in both files stays held out
        return make_splits(train, held_out, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
