"""Several observers at once; each YAML in conf/observer_component lists the ones it turns on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from components.observer.base import Observer

log = logging.getLogger(__name__)


class ObserverGroup(Observer):
    def __init__(self, observers: list[Observer]) -> None:
        self.observers = list(observers)

    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        for observer in self.observers:
            observer.start(run_dir, config)

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        for observer in self.observers:
            observer.log_metrics(metrics, step)

    def log_samples(self, name: str, rows: list[dict[str, Any]], step: int) -> None:
        for observer in self.observers:
            observer.log_samples(name, rows, step)

    def log_summary(self, summary: dict[str, Any]) -> None:
        for observer in self.observers:
            observer.log_summary(summary)

    def close(self) -> None:
        # Close every observer even if one fails, then report the first failure.
        errors = []
        for observer in self.observers:
            try:
                observer.close()
            except Exception as err:  # noqa: BLE001
                log.error("closing %s failed: %s", type(observer).__name__, err)
                errors.append(err)
        if errors:
            raise errors[0]
