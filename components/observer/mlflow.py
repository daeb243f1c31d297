"""MLflow (imported lazily): params = the flattened resolved config, metrics per step, artifacts at the end.

By default the tracking store is a SQLite file inside the run dir (`<run_dir>/mlflow.db`, artifacts in
`<run_dir>/mlflow-artifacts`): no server, no network. MLflow's plain file store (`./mlruns`) is in maintenance
mode and refuses by default, hence SQLite. Browse with `mlflow ui --backend-store-uri sqlite:///<run_dir>/mlflow.db`;
point `tracking_uri` at a server (`http://...`) or a shared database to collect many runs in one place.
"""

from __future__ import annotations

import logging
import math
import re
import time
from pathlib import Path
from typing import Any

from components.observer.base import Observer

log = logging.getLogger(__name__)

# MLflow's own per-request limits.
PARAMS_PER_BATCH, METRICS_PER_BATCH, MAX_PARAM_LENGTH = 100, 1000, 6000


def flatten(config: Any, prefix: str = "") -> dict[str, str]:
    """{"train": {"lr": 1e-4}} -> {"train.lr": "0.0001"}; list items are indexed ("observer.observers.0._target_")."""
    if isinstance(config, dict):
        items = config.items()
    elif isinstance(config, list) and any(isinstance(v, (dict, list)) for v in config):
        items = enumerate(config)
    else:
        return {prefix: str(config)[:MAX_PARAM_LENGTH]}
    out: dict[str, str] = {}
    for key, value in items:
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def metric_key(key: str) -> str:
    # MLflow accepts letters, digits, _ - . / and spaces in names.
    return re.sub(r"[^\w\-./ ]", "_", key)


class MlflowObserver(Observer):
    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment_name: str = "rlvr-pipeline",
        run_name: str | None = None,
        artifacts: list[str] | None = None,
    ) -> None:
        self.tracking_uri, self.experiment_name, self.run_name = tracking_uri, experiment_name, run_name
        # Paths relative to the run dir; missing ones are skipped (e.g. no report when the run failed).
        self.artifacts = list(artifacts or [])
        self.client = None
        self.run_id: str | None = None
        self.run_dir: Path | None = None
        self.finished = False

    def start(self, run_dir: Path, config: dict[str, Any]) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        self.run_dir = Path(run_dir).resolve()
        local = self.tracking_uri is None
        self.client = MlflowClient(
            tracking_uri=f"sqlite:///{self.run_dir / 'mlflow.db'}" if local else self.tracking_uri
        )
        experiment = self.client.get_experiment_by_name(self.experiment_name)
        if experiment is None:
            location = (self.run_dir / "mlflow-artifacts").as_uri() if local else None
            experiment_id = self.client.create_experiment(self.experiment_name, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
        self.run_id = self.client.create_run(experiment_id, run_name=self.run_name or self.run_dir.name).info.run_id
        params = [Param(k, v) for k, v in flatten(config).items()]
        for i in range(0, len(params), PARAMS_PER_BATCH):
            self.client.log_batch(self.run_id, params=params[i : i + PARAMS_PER_BATCH])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [
            Metric(metric_key(k), float(v), now, step)
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and math.isfinite(v)
        ]
        for i in range(0, len(batch), METRICS_PER_BATCH):
            self.client.log_batch(self.run_id, metrics=batch[i : i + METRICS_PER_BATCH])

    def log_samples(self, name: str, rows: list[dict[str, Any]], step: int) -> None:
        if rows:
            columns = {key: [_text(row.get(key)) for row in rows] for key in rows[0]}
            self.client.log_table(self.run_id, data=columns, artifact_file=f"samples/{name}_step{step}.json")

    def log_summary(self, summary: dict[str, Any]) -> None:
        from mlflow.entities import RunTag

        numbers = {
            f"summary/{k}": v for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        self.log_metrics(numbers, step=int(summary.get("global_step") or 0))
        tags = [RunTag(f"summary.{k}", str(v)) for k, v in summary.items() if isinstance(v, (str, bool))]
        self.client.log_batch(self.run_id, tags=tags)
        self.finished = True

    def close(self) -> None:
        if self.client is None or self.run_id is None:
            return
        try:
            for name in self.artifacts:
                path = self.run_dir / name
                if path.is_dir():
                    self.client.log_artifacts(self.run_id, str(path), artifact_path=path.name)
                elif path.is_file():
                    self.client.log_artifact(self.run_id, str(path))
                else:
                    log.info("mlflow: no %s in the run dir; not logged", name)
        finally:
            self.client.set_terminated(self.run_id, status="FINISHED" if self.finished else "FAILED")
            self.run_id = None


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)
