"""The run-dir guard: a new run never writes into another run's files; a resume continues only its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from components import runtime
from components.training.guards import TrainingStopped


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch) -> Path:
    from hydra.core.hydra_config import HydraConfig

    cfg = OmegaConf.create({"hydra": {"runtime": {"output_dir": str(tmp_path)}}})
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: cfg.hydra))
    return tmp_path


def _rows(path: Path, steps) -> None:
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in steps))


def test_new_run_refuses_a_used_dir(run_dir: Path) -> None:
    assert runtime.prepare_run_dir() == run_dir
    (run_dir / "eval_before.json").write_text("{}")
    with pytest.raises(ValueError, match="already holds a run"):
        runtime.prepare_run_dir()


def test_resume_rewinds_logs_and_keeps_the_interrupted_summary(run_dir: Path) -> None:
    ckpt = run_dir / "checkpoints" / "checkpoint-2"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": 2}))
    (run_dir / "eval_before.json").write_text(json.dumps({"accuracy": 0.25, "mean_reward": 0.5}))
    _rows(run_dir / "metrics.jsonl", [0, 1, 2, 3])
    runtime.write_json(run_dir / "summary.json", TrainingStopped("interrupted", "Ctrl-C", 3, None).summary())
    runtime.prepare_run_dir("auto")
    assert [json.loads(x)["step"] for x in (run_dir / "metrics.jsonl").read_text().splitlines()] == [0, 1, 2]
    assert not (run_dir / "summary.json").exists()
    assert json.loads((run_dir / "summary.before_resume_2.json").read_text())["status"] == "interrupted"
    assert runtime.reuse_eval_before(run_dir).metrics["accuracy"] == 0.25


def test_a_finished_run_is_not_resumed(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text(json.dumps({"accuracy_after": 0.5}))
    with pytest.raises(ValueError, match="finished run"):
        runtime.prepare_run_dir("auto")


def test_stopped_run_writes_its_summary_and_exits_non_zero(run_dir: Path) -> None:
    stop = TrainingStopped(
        "non_finite_loss", "non-finite loss=nan at step 4", 4, str(run_dir / "checkpoints/checkpoint-2")
    )
    with pytest.raises(SystemExit) as exit_:
        runtime.finish_stopped(run_dir, stop)
    assert exit_.value.code == 3
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "non_finite_loss" and summary["last_checkpoint"].endswith("checkpoint-2")
