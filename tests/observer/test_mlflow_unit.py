"""MlflowObserver without a pipeline: config flattening, key cleaning, a failed run is marked FAILED."""

from __future__ import annotations

from pathlib import Path

from components.observer.mlflow import MlflowObserver, flatten, metric_key


def test_flatten_nests_with_dots_and_indexes_lists_of_nodes() -> None:
    config = {"train": {"lr": 1e-4, "ops": ["+", "-"]}, "observer": {"observers": [{"_target_": "x.Y"}]}}
    assert flatten(config) == {"train.lr": "0.0001", "train.ops": "['+', '-']", "observer.observers.0._target_": "x.Y"}


def test_metric_key_keeps_slashes_and_replaces_what_mlflow_rejects() -> None:
    assert metric_key("reward/gsm8k") == "reward/gsm8k"
    assert metric_key("profiling/Time taken: x[0]") == "profiling/Time taken_ x_0_"


def test_run_without_summary_is_marked_failed(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    observer = MlflowObserver(artifacts=["missing.txt"])
    observer.start(tmp_path, {"seed": 1})
    observer.log_metrics({"train/loss": 0.5, "train/bad": float("nan"), "text": "skip"}, step=3)
    observer.close()  # as after a crash: no log_summary
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    [run] = client.search_runs([client.get_experiment_by_name("rlvr-pipeline").experiment_id])
    assert run.info.status == "FAILED"
    assert run.data.metrics == {"train/loss": 0.5} and run.data.params == {"seed": "1"}
