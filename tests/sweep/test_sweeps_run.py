"""Real multiruns with the tiny model (1 step each): joblib in parallel, a 3-trial Optuna study; configs compose."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from tests.conftest import CONF_DIR, run_pipeline


def _summary(sweep: Path) -> list[dict]:
    with open(sweep / "sweep_summary.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_joblib_multirun_writes_the_sweep_summary(tmp_path: Path) -> None:
    proc = run_pipeline(
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "experiment=smoke",
        "train.learning_rate=1e-5,3e-5",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = _summary(tmp_path)
    rates = sorted(float(r["overrides"].split("train.learning_rate=")[1]) for r in rows)
    assert rates == [1e-5, 3e-5]
    assert all(r["status"] == "ok" and r["accuracy_after"] != "" for r in rows)
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert (tmp_path / "sweep_summary.md").exists() and (tmp_path / "sweep_summary.png").exists()


def test_optuna_sweep_runs_three_trials_and_maximises_accuracy(tmp_path: Path) -> None:
    # num_generations is fixed on the command line (the smoke batch of 2 only fits 2), so Optuna searches
    # learning rate and beta; the objective is train()'s return value, accuracy_after.
    proc = run_pipeline(
        "-m",
        "hydra/sweeper=grpo_optuna",
        "hydra.sweeper.n_trials=3",
        "experiment=smoke",
        "train.num_generations=2",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    assert set(results["best_params"]) == {"train.learning_rate", "train.beta"}
    rows = _summary(tmp_path)
    assert len(rows) == 3 and all(r["status"] == "ok" for r in rows)
    assert float(rows[0]["accuracy_after"]) == results["best_value"]


def test_sweeper_and_slurm_presets_compose() -> None:
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose(
            "config", overrides=["hydra/sweeper=grpo_optuna", "hydra/launcher=slurm_gpu"], return_hydra_config=True
        )
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper") and cfg.hydra.sweeper.direction == "maximize"
    assert set(cfg.hydra.sweeper.params) == {"train.learning_rate", "train.beta", "train.num_generations"}
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher") and cfg.hydra.launcher.gpus_per_node == 1
    assert cfg.hydra.callbacks.sweep_summary._target_ == "components.sweep.summary.SweepSummaryCallback"
