"""BoolQ: a Wikipedia passage and a yes/no question about it; ``answer`` is "yes" or "no".

Local: ``dev.jsonl`` (3,270 rows; the train file does not ship here), cut by ``holdout_split`` on the
question (seeded by ``split_seed``, not the run seed) into train and held-out rows; ``eval_fraction`` of
them are held out and never trained on. Hub (google/boolq): ``train`` is trained on and ``validation``
(the same 3,270 dev rows) is cut the same way, so the held-out questions are the same in both cases.
Graded by reward_component=boolq (the completion's yes/no/true/false against the gold).
"""

from __future__ import annotations

import random
from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import EvalFraction, make_splits, read_records, require_field
from components.data.source import holdout_split, hub_holdout, local_source
from components.types import DatasetSplits


def _gold(value, where: str, index: int) -> str:
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return "yes"
    if text in ("false", "no", "0"):
        return "no"
    raise ValueError(f"{where}: row {index + 1} field 'answer' is {value!r}, not a yes/no value")


def _rows(records: list[dict], where: str, max_passage_words: int | None) -> list[dict]:
    rows = []
    for i, r in enumerate(records):
        passage = str(require_field(r, "passage", where, i))
        if max_passage_words:  # long passages dominate CPU step time; the answer is usually early on
            words = passage.split()
            passage = " ".join(words[:max_passage_words]) + (" ..." if len(words) > max_passage_words else "")
        question = str(require_field(r, "question", where, i)).strip()
        title = f"{r['title']}: " if r.get("title") else ""
        rows.append(
            {
                "question": f"{title}{passage}\n\nQuestion: {question}?",
                "query": question,
                "answer": _gold(r.get("answer"), where, i),
            }
        )
    return rows


class BoolQData:
    @checked("data")
    def __init__(
        self,
        local_path: str | None = "../shared/data/boolq/dev.jsonl",
        hub_path: str | None = "google/boolq",
        hub_train_split: str = "train",
        hub_dev_split: str = "validation",
        eval_fraction: EvalFraction = 0.3,
        split_seed: int = 0,
        max_passage_words: int | None = None,
        balance_train_labels: bool = False,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        self.local_path, self.hub_path = local_path, hub_path
        self.hub_train_split, self.hub_dev_split = hub_train_split, hub_dev_split
        self.eval_fraction, self.split_seed = eval_fraction, split_seed
        self.max_passage_words = max_passage_words
        self.balance_train_labels = balance_train_labels
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _load(self, split: str) -> list[dict]:
        where = f"{self.hub_path}[{split}]"
        return _rows(load_hub_split(self.hub_path, None, split, key="data.hub_path"), where, self.max_passage_words)

    def split(self) -> tuple[list[dict], list[dict]]:
        local = local_source(self.local_path, self.hub_path)
        if local is not None:
            file = local / "dev.jsonl" if local.is_dir() else local
            rows = _rows(read_records(file), str(file), self.max_passage_words)
            return holdout_split(rows, "query", self.eval_fraction, self.split_seed)
        dev = self._load(self.hub_dev_split)
        return hub_holdout(self._load(self.hub_train_split), dev, "query", self.eval_fraction, self.split_seed)

    def balanced(self, train: list[dict]) -> list[dict]:
        """As many "no" as "yes" training rows (seeded subsample of the larger label), order kept.

        BoolQ is ~62% "yes": with the raw mix, answering "yes" to everything already earns more reward than the
        base model's mostly-"no" replies, and a 50-step run learned exactly that (BENCHMARKS.md, "Real benchmarks").
        Balanced, the same recipe still settled on "yes" for every question (measured, same section): this removes
        the data's bias, not GRPO's tendency to collapse a two-valued answer.
        """
        by_label = {label: [i for i, row in enumerate(train) if row["answer"] == label] for label in ("yes", "no")}
        keep_n = min(len(v) for v in by_label.values())
        rng = random.Random(self.split_seed)
        keep = {i for rows in by_label.values() for i in rng.sample(rows, keep_n)}
        return [row for i, row in enumerate(train) if i in keep]

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train, held_out = self.split()
        if self.balance_train_labels:
            train = self.balanced(train)
        return make_splits(train, held_out, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
