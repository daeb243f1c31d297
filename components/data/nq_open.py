"""NQ-open (open-domain Natural Questions): a question and every acceptable short answer (``answer`` is a list).

Local: ``NQ-open.dev.jsonl`` (3,610 rows; the train file does not ship here), cut by ``holdout_split`` on the
question text (seeded by ``split_seed``, not the run seed) into train and held-out rows; ``eval_fraction``
of them are held out and never trained on. Hub (google-research-datasets/nq_open): ``train`` is trained on
and ``validation`` (the same 3,610 dev questions) is cut the same way, so held-out rows are the same
questions in both cases. Graded by SQuAD-normalised exact match / F1 against every alias (reward_component=nq_open).
"""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge, checked
from components.data.hub import load_hub_split
from components.data.prompts import PromptBuilder
from components.data.rows import EvalFraction, make_splits, read_records, require_field
from components.data.source import holdout_split, hub_holdout, local_source
from components.types import DatasetSplits


def _rows(records: list[dict], where: str) -> list[dict]:
    rows = []
    for i, r in enumerate(records):
        answers = require_field(r, "answer", where, i)
        answers = [str(answers)] if isinstance(answers, str) else [str(a) for a in answers]
        rows.append({"question": str(require_field(r, "question", where, i)).strip(), "answer": answers})
    return rows


class NQOpenData:
    @checked("data")
    def __init__(
        self,
        local_path: str | None = "../shared/data/nq_open/NQ-open.dev.jsonl",
        hub_path: str | None = "google-research-datasets/nq_open",
        hub_train_split: str = "train",
        hub_dev_split: str = "validation",
        eval_fraction: EvalFraction = 0.3,
        split_seed: int = 0,
        max_train_samples: Annotated[int, Ge(1)] | None = None,
        max_eval_samples: Annotated[int, Ge(1)] | None = None,
        seed: int = 0,
    ) -> None:
        self.local_path, self.hub_path = local_path, hub_path
        self.hub_train_split, self.hub_dev_split = hub_train_split, hub_dev_split
        self.eval_fraction, self.split_seed = eval_fraction, split_seed
        self.max_train_samples, self.max_eval_samples = max_train_samples, max_eval_samples
        self.seed = seed

    def _hub(self, split: str) -> list[dict]:
        records = load_hub_split(self.hub_path, None, split, key="data.hub_path")
        return _rows(records, f"{self.hub_path}[{split}]")

    def split(self) -> tuple[list[dict], list[dict]]:
        local = local_source(self.local_path, self.hub_path)
        if local is not None:
            file = local / "NQ-open.dev.jsonl" if local.is_dir() else local
            return holdout_split(_rows(read_records(file), str(file)), "question", self.eval_fraction, self.split_seed)
        dev = self._hub(self.hub_dev_split)
        return hub_holdout(self._hub(self.hub_train_split), dev, "question", self.eval_fraction, self.split_seed)

    def load(self, prompts: PromptBuilder) -> DatasetSplits:
        train, held_out = self.split()
        return make_splits(train, held_out, prompts, self.max_train_samples, self.max_eval_samples, self.seed)
