"""Always-on metrics file: one JSON object per logged step in `<run_dir>/metrics.jsonl`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.jsonio import clean
from components.observer.base import Observer

# Unprefixed aliases other tools read from every training row (the run-dir contract).
ALIASES = {"train/loss": "loss", "train/reward": "reward"}


class JsonlObserver(Observer):
    def __init__(self, filename: str = "metrics.jsonl") -> None:
        self.filename = filename
        self.handle = None

    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        # Append: a resumed run continues the same file.
        self.handle = open(Path(run_dir) / self.filename, "a", encoding="utf-8")

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        record = {"step": step}
        record.update({alias: metrics[key] for key, alias in ALIASES.items() if key in metrics})
        record.update(metrics)
        self.handle.write(json.dumps(clean(record)) + "\n")  # JSON has no NaN/inf: null
        self.handle.flush()

    def close(self) -> None:
        if self.handle:
            self.handle.close()
            self.handle = None
