"""Weights & Biases (imported lazily). Works offline: `WANDB_MODE=offline` or `observer.observers[2].mode=offline`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.observer.base import Observer


class WandbObserver(Observer):
    def __init__(
        self,
        project: str = "rlvr-pipeline",
        entity: str | None = None,
        name: str | None = None,
        mode: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        self.project, self.entity, self.name, self.mode = project, entity, name, mode
        self.tags = list(tags or [])
        self.run = None
        self.tables: dict[str, Any] = {}

    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        import wandb

        self.run = wandb.init(
            project=self.project,
            entity=self.entity,
            name=self.name or Path(run_dir).name,
            mode=self.mode,
            tags=self.tags,
            dir=str(run_dir),
            config=config,
        )

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        self.run.log(metrics, step=step)

    def log_samples(self, name: str, rows: list[dict[str, Any]], step: int) -> None:
        # One INCREMENTAL table per name, re-logged with the new rows: W&B keeps every step's rows as
        # history (a plain table logged again under the same key would replace the previous one).
        import wandb

        if not rows:
            return
        columns = ["step", *rows[0].keys()]
        table = self.tables.get(name)
        if table is None:
            table = self.tables[name] = wandb.Table(columns=columns, log_mode="INCREMENTAL")
        for row in rows:
            table.add_data(step, *(_cell(row.get(c)) for c in columns[1:]))
        self.run.log({f"samples/{name}": table}, step=step)

    def log_summary(self, summary: dict[str, Any]) -> None:
        for key, value in summary.items():
            if not isinstance(value, (dict, list)):
                self.run.summary[key] = value

    def close(self) -> None:
        if self.run:
            self.run.finish()
            self.run = None


def _cell(value: Any) -> Any:
    # Table cells must keep one type per column; nested values (chat messages, dicts) become text.
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
