"""Where a benchmark's rows come from: the local copy when it is there, else the Hugging Face hub.

Every benchmark option takes both a ``local_path`` (the shipped copy in ../shared/data, relative to the
directory you run from) and a ``hub_path`` (the real dataset id, for machines with internet), so the same
command trains offline here and online elsewhere. ``holdout_split`` is the one documented way a benchmark
that ships no train split is cut into train and held-out rows.
"""

from __future__ import annotations

import random
from pathlib import Path

from components.bounds import checked
from components.data.rows import EvalFraction


def local_source(local_path: str | None, hub_path: str | None) -> Path | None:
    """The local path when it exists; None means "use the hub". Neither usable is a one-line error."""
    if local_path:
        local = Path(local_path).expanduser()
        if local.exists():
            return local
    if not hub_path:
        raise ValueError(f"data.local_path={local_path}: not found, and data.hub_path is not set")
    return None


@checked("data")
def holdout_split(
    rows: list[dict], key: str, eval_fraction: EvalFraction, split_seed: int
) -> tuple[list[dict], list[dict]]:
    """Seeded, order-independent cut into (train, held_out): rows are sorted by ``key`` and shuffled with
    ``split_seed``; the first ``eval_fraction`` are held out. Rows sharing a key land on the same side, so
    a duplicated question can never be both trained on and evaluated.

    >>> tr, ho = holdout_split([{"id": i} for i in range(10)], "id", 0.3, 0)
    >>> len(tr), len(ho), {r["id"] for r in tr}.isdisjoint(r["id"] for r in ho)
    (7, 3, True)
    """
    keys = sorted({str(row[key]) for row in rows})
    random.Random(split_seed).shuffle(keys)
    held = set(keys[: max(1, int(len(keys) * eval_fraction))])
    return [r for r in rows if str(r[key]) not in held], [r for r in rows if str(r[key]) in held]


def hub_holdout(train_rows: list[dict], dev_rows: list[dict], key: str, eval_fraction: float, split_seed: int):
    """(train, held_out) for a hub dataset with a train and a dev split: the dev split is cut by `holdout_split`
    exactly as the local dev file is (so the held-out rows are the same either way); the train split joins the
    train side, minus any row whose ``key`` is held out.
    """
    dev_train, held_out = holdout_split(dev_rows, key, eval_fraction, split_seed)
    held = {str(row[key]) for row in held_out}
    return [row for row in train_rows + dev_train if str(row[key]) not in held], held_out
