"""A tiny real training run with in-training probes writes its report; mode=eval then evaluates that run dir."""

from __future__ import annotations

import json

from tests.conftest import TINY_TRAIN, run_pipeline

PLOTS = ["before_after", "training_curves", "completion_length", "reward_distribution"]


def test_training_run_report_probes_and_eval_mode_on_its_run_dir(tmp_path) -> None:
    run_dir = tmp_path / "run"
    probes = ["eval.probe_every_steps=1", "eval.probe_samples=4", "eval.train_completions_every_steps=1"]
    result = run_pipeline(*TINY_TRAIN, *probes, f"hydra.run.dir={run_dir}", timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    probe_rows = [r for r in rows if "eval/best_accuracy" in r]
    assert [r["step"] for r in probe_rows] == [1, 2] and all(r["eval/num_samples"] == 4 for r in probe_rows)
    assert all(r["eval/tokens_per_second"] > 0 for r in probe_rows)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {"accuracy_gain_ci_low", "accuracy_gain_ci_high", "mcnemar_p_value", "best_probe_step"} <= set(summary)
    assert (run_dir / "best_model" / "adapter_config.json").is_file()
    tags = [json.loads(line)["tag"] for line in (run_dir / "completions_eval.jsonl").read_text().splitlines()]
    assert tags == ["before"] * 8 + ["probe"] * 8 + ["after"] * 8
    assert (run_dir / "completions_train.jsonl").read_text().count("\n") >= 4
    md = (run_dir / "report.md").read_text()
    for name in PLOTS:
        assert (run_dir / "plots" / f"{name}.png").stat().st_size > 5000 and f"plots/{name}.png" in md
    assert (run_dir / "report.html").is_file()

    eval_dir = tmp_path / "eval"
    result = run_pipeline(
        "mode=eval",
        f"eval_run.run_dir={run_dir}",
        "eval_run.model_subdir=best_model",
        f"hydra.run.dir={eval_dir}",
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((eval_dir / "summary.json").read_text())
    assert summary["num_samples"] == 8 and str(run_dir / "best_model") in summary["model_source"]
    assert json.loads((eval_dir / "eval.json").read_text())["num_samples"] == 8
    assert "tiny_random" in (eval_dir / "report.md").read_text()  # the evaluated run's model, not the default


def test_eval_mode_refuses_a_dir_that_is_not_a_run(tmp_path) -> None:
    result = run_pipeline("mode=eval", f"eval_run.run_dir={tmp_path}", f"hydra.run.dir={tmp_path / 'eval'}")
    assert result.returncode == 2 and "eval_run.run_dir=" in result.stderr and "no .hydra/config.yaml" in result.stderr
