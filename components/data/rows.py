"""Shared steps every data component ends with: read files, check rows, cap sizes, add prompts."""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from components.bounds import Interval, checked
from components.data.prompts import PromptBuilder
from components.types import DatasetSplits

# data.eval_fraction: the share of rows held out, declared once for every source and split helper that takes it
EvalFraction = Annotated[float, Interval(gt=0, lt=1)]


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """JSONL (optionally .gz), a JSON list, or CSV. Errors name the file and line."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"data file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    stem_suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    with opener(path, "rt", encoding="utf-8") as handle:
        if stem_suffix == ".csv":
            return list(csv.DictReader(handle))
        if stem_suffix == ".json":
            data = json.load(handle)
            if not isinstance(data, list):
                raise ValueError(f"{path}: expected a JSON list of objects")
            return data
        rows = []
        for line_no, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{line_no}: invalid JSON ({err.msg})") from None
        return rows


def require_field(row: dict[str, Any], field: str, where: str, index: int) -> Any:
    value = row.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{where}: row {index + 1} has no '{field}' field")
    return value


def cap(rows: list[dict], limit: int | None, seed: int) -> list[dict]:
    """Keep a seeded random subset of `limit` rows (all rows when limit is None); the data components' constructors
    hold `limit` (data.max_*_samples) to >= 1."""
    if limit is None or limit >= len(rows):
        return rows
    return random.Random(seed).sample(rows, limit)


@checked("data")
def split_rows(rows: list[dict], eval_fraction: EvalFraction, seed: int) -> tuple[list[dict], list[dict]]:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    n_eval = max(1, int(len(shuffled) * eval_fraction))
    return shuffled[n_eval:], shuffled[:n_eval]


def make_splits(
    train: Iterable[dict],
    evaluation: Iterable[dict],
    prompts: PromptBuilder,
    max_train_samples: int | None,
    max_eval_samples: int | None,
    seed: int,
) -> DatasetSplits:
    from datasets import Dataset

    def with_prompts(rows: list[dict]) -> Dataset:
        if not rows:
            raise ValueError("data produced no rows")
        return Dataset.from_list([{"prompt": prompts.build(row["question"]), **row} for row in rows])

    return DatasetSplits(
        train=with_prompts(cap(list(train), max_train_samples, seed)),
        eval=with_prompts(cap(list(evaluation), max_eval_samples, seed + 1)),
    )
