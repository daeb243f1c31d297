"""One smoke run with every observer on (observer_component=many); each backend's files hold the run's metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_pipeline
from tests.observer.wandb_records import history


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("many") / "run"
    proc = run_pipeline("experiment=smoke", "observer_component=many", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _eval_accuracy(run_dir: Path) -> float:
    return json.loads((run_dir / "eval_after.json").read_text())["accuracy"]


def test_jsonl_has_train_eval_and_cost_rows(run_dir: Path) -> None:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert any("train/loss" in r for r in rows)
    assert any("eval/accuracy" in r for r in rows)
    assert any(r.get("cost/tokens_generated", 0) > 0 for r in rows), "cost is logged per step"


def test_wandb_offline_history_holds_metrics_and_sample_tables(run_dir: Path) -> None:
    [run_file] = list((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    rows = history(run_file)
    assert any("train/loss" in r for r in rows)
    assert [r["eval/accuracy"] for r in rows if "eval/accuracy" in r] == [_eval_accuracy(run_dir)]
    # Completion tables: one increment per evaluation, kept as history (not one table overwritten).
    increments = [r["samples/eval/increment_num"] for r in rows if "samples/eval/increment_num" in r]
    assert increments == [0, 1]
    assert len(list((run_dir / "wandb").glob("offline-run-*/files/media/table/samples/eval_*.table.json"))) == 2


def test_mlflow_sqlite_store_holds_params_metrics_and_artifacts(run_dir: Path) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{run_dir / 'mlflow.db'}")
    [run] = client.search_runs([client.get_experiment_by_name("rlvr-pipeline").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["train.max_steps"] == "1"
    assert run.data.metrics["eval/accuracy"] == _eval_accuracy(run_dir)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train/loss")] == [1]
    assert run.data.metrics["summary/cost/tokens_generated"] > 0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {
        "config_resolved.yaml",
        "overrides.yaml",
        "provenance.json",
        "summary.json",
        "report.md",
        "model",
    } <= artifacts
    adapter = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "model")}
    assert "adapter_config.json" in adapter


def test_tensorboard_events_hold_metrics(run_dir: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "eval/accuracy", "eval_before/accuracy"} <= tags
    assert events.Scalars("eval/accuracy")[-1].value == pytest.approx(_eval_accuracy(run_dir))


def test_summary_and_provenance_are_in_the_run_dir(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in (
        "cost/tokens_generated",
        "cost/tokens_trained",
        "cost/generation_s",
        "cost/reward_s",
        "cost/optimisation_s",
        "cost/evaluation_s",
        "cost/accelerator_hours",
        "cost/usd",
        "cost/usd_per_accuracy_point",
    ):
        assert key in summary, key
    assert summary["cost/tokens_generated"] > 0 and summary["cost/tokens_trained"] > 0
    assert summary["cost/usd"] == pytest.approx(summary["cost/accelerator_hours"] * summary["cost/usd_per_hour"])
    report = (run_dir / "report.md").read_text()
    assert "cost/usd" in report and "cost/tokens_generated" in report
    provenance = json.loads((run_dir / "provenance.json").read_text())
    assert len(provenance["git_commit"]) == 40 and isinstance(provenance["git_dirty"], bool)
    assert len(provenance["lock_sha256"]) == 64
    assert provenance["packages"]["trl"] and provenance["overrides"] == ["experiment=smoke", "observer_component=many"]
    assert "max_steps: 1" in (run_dir / "config_resolved.yaml").read_text()
