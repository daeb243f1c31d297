"""Observer interface: observers only watch. Every hook is a no-op unless an implementation overrides it.

Metric keys are namespaced: `train/...`, `eval/...`, `reward/<name>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.distributed import is_main_process


class Observer:
    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        """Called once before any work, with the run dir and the resolved config."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Called for every logged training step and every evaluation."""

    def log_samples(self, name: str, rows: list[dict[str, Any]], step: int) -> None:
        """Called with per-example records (prompt, completion, reward, ...), e.g. an evaluation's samples."""

    def log_summary(self, summary: dict[str, Any]) -> None:
        """Called once with the final summary (also written to summary.json)."""

    def close(self) -> None:
        """Always called, also when the run fails."""


def main_process_only(observer: Observer) -> Observer:
    """The observer on rank 0, a no-op Observer elsewhere (N ranks must not write N metric files)."""
    return observer if is_main_process() else Observer()
