"""Console output: a compact line per evaluation and a final summary table (the trainer draws the progress bar)."""

from __future__ import annotations

from typing import Any

from components.observer.base import Observer


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class ConsoleObserver(Observer):
    def __init__(self, summary_keys: list[str] | None = None) -> None:
        self.summary_keys = summary_keys

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        evals = {k: v for k, v in metrics.items() if k.startswith("eval")}
        if evals:
            print(f"[step {step}] " + "  ".join(f"{k}={format_value(v)}" for k, v in evals.items()), flush=True)

    def log_summary(self, summary: dict[str, Any]) -> None:
        rows = [(k, v) for k, v in summary.items() if not isinstance(v, (dict, list))]
        if self.summary_keys:
            rows = [(k, v) for k, v in rows if k in self.summary_keys]
        width = max((len(k) for k, _ in rows), default=0)
        print("\n" + "=" * (width + 20))
        for key, value in rows:
            print(f"{key.ljust(width)}  {format_value(value)}")
        print("=" * (width + 20), flush=True)
