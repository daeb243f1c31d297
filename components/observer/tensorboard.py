"""TensorBoard event files in `<run_dir>/tensorboard` (imported lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.observer.base import Observer


class TensorBoardObserver(Observer):
    def __init__(self, subdir: str = "tensorboard") -> None:
        self.subdir = subdir
        self.writer = None

    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / self.subdir))

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        for key, value in metrics.items():
            if isinstance(value, (int, float)):
                self.writer.add_scalar(key, value, step)

    def log_summary(self, summary: dict[str, Any]) -> None:
        text = "\n".join(f"| {k} | {v} |" for k, v in summary.items() if not isinstance(v, (dict, list)))
        self.writer.add_text("summary", "| key | value |\n|---|---|\n" + text)

    def close(self) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None
