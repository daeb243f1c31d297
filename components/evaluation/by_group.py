"""Per-group metrics of one evaluation: accuracy and truncation for each value of a data column (e.g. `task`).

A data source that mixes several test sets in one held-out split (components/data/gpt3_arithmetic.py) tags each
row with its set; the evaluator then reports `task/<name>/accuracy` beside the pooled figure, so one pass gives
the per-task table and the pooled accuracy cannot hide a task that got worse.
"""

from __future__ import annotations

from typing import Any

GROUP_COLUMN = "task"


def group_metrics(samples: list[dict[str, Any]], column: str = GROUP_COLUMN) -> dict[str, float]:
    """{"task/4D+/accuracy": 0.31, "task/4D+/truncation_rate": 0.0, "task/4D+/num_samples": 200, ...}

    >>> group_metrics([{"task": "a", "correct": True, "truncated": False}, {"task": "a", "correct": None,
    ...                 "truncated": True}, {"task": "b", "correct": False, "truncated": False}])["task/a/accuracy"]
    0.5
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for sample in samples:
        if sample.get(column) is not None:
            groups.setdefault(str(sample[column]), []).append(sample)
    metrics: dict[str, float] = {}
    for name, rows in groups.items():
        n = len(rows)
        metrics[f"{column}/{name}/accuracy"] = sum(r["correct"] is True for r in rows) / n
        metrics[f"{column}/{name}/truncation_rate"] = sum(bool(r["truncated"]) for r in rows) / n
        metrics[f"{column}/{name}/num_samples"] = n
    return metrics
