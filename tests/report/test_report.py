"""The report writer on hand-made run dirs: sections, tables, changed answers, plots that exist as PNGs."""

from __future__ import annotations

import json
from pathlib import Path

from components.evaluation.history import append_eval
from components.report.writer import write_report

PNG = b"\x89PNG\r\n\x1a\n"


def _sample(i: int, completion: str, extracted: str | None, reward: float, correct: bool | None) -> dict:
    return {
        "index": i,
        "prompt": "p",
        "question": f"What is {i} + 1?",
        "answer": str(i + 1),
        "completion": completion,
        "extracted": extracted,
        "reward": reward,
        "correct": correct,
        "completion_tokens": 3,
        "truncated": False,
    }


def _metrics(acc: float) -> dict:
    return {"accuracy": acc, "mean_reward": acc, "num_samples": 2, "tokens_per_second": 10.0, "seconds": 1.0}


def make_train_run(run_dir: Path) -> None:
    run_dir.mkdir()
    rows = [
        {
            "step": s,
            "reward": 0.1 * s,
            "reward/gsm8k": 0.1 * s,
            "train/completions/mean_length": 20 - s,
            "train/completions/max_length": 30,
        }
        for s in (1, 2, 3, 4)
    ]
    rows.insert(2, {"step": 2, "eval/accuracy": 0.5, "eval/mean_completion_length": 12.0, "eval/best_accuracy": 0.5})
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run_dir / "eval_before.json").write_text(json.dumps(_metrics(0.0)))
    (run_dir / "eval_after.json").write_text(json.dumps(_metrics(0.5)))
    summary = {"accuracy_gain": 0.5, "accuracy_gain_ci_low": 0.0, "accuracy_gain_ci_high": 1.0, "mcnemar_p_value": 1.0}
    (run_dir / "summary.json").write_text(json.dumps(summary))
    append_eval(
        run_dir, [_sample(0, "The answer is 7", "7", 0.0, False), _sample(1, "I think 2", "2", 1.0, True)], "before", 0
    )
    append_eval(
        run_dir, [_sample(0, "The answer is 1", "1", 1.0, True), _sample(1, "I think 2", "2", 1.0, True)], "after", 4
    )


def test_training_report_has_plots_tables_and_changed_answers(tmp_path) -> None:
    run_dir = tmp_path / "run"
    make_train_run(run_dir)
    md = write_report(run_dir).read_text()
    for png in ("before_after", "training_curves", "completion_length", "reward_distribution"):
        path = run_dir / "plots" / f"{png}.png"
        assert path.read_bytes().startswith(PNG) and path.stat().st_size > 5000, png
        assert f"(plots/{png}.png)" in md
    assert "| accuracy | 0 | 0.5 |" in md  # before / after columns
    assert "Answers that changed (1 of 2)" in md and "The answer is 7" in md and "The answer is 1" in md
    assert "### Best 3 (after)" in md and "### Worst 3 (after)" in md
    html = (run_dir / "report.html").read_text()
    assert html.count("<img") == 4 and "<table>" in html and "Answers that changed" in html


def test_eval_only_report_has_no_training_curves(tmp_path) -> None:
    run_dir = tmp_path / "eval"
    run_dir.mkdir()
    (run_dir / "eval.json").write_text(json.dumps(_metrics(0.5)))
    append_eval(
        run_dir, [_sample(0, "The answer is | 1\nok", "1", 1.0, True), _sample(1, "x", None, 0.0, None)], "eval", 0
    )
    md = write_report(run_dir).read_text()
    assert "No training steps in this run" in md
    assert not (run_dir / "plots" / "training_curves.png").exists()
    assert (run_dir / "plots" / "reward_distribution.png").read_bytes().startswith(PNG)
    assert "| metric | eval |" in md and "### Best 3 (eval)" in md
    assert "The answer is \\| 1<br>ok" in md  # table cells escape pipes and newlines


def test_an_environment_run_reports_each_environment_with_a_games_optimum(tmp_path) -> None:
    run_dir = tmp_path / "run"
    make_train_run(run_dir)
    game = {"success": 0.0, "turns": 6, "tool_calls": 5, "invalid_actions": 5, "optimal_tool_calls": 2.625}
    won = {**game, "success": 0.9375, "turns": 4, "tool_calls": 3, "invalid_actions": 0, "solved_tool_calls": 2.867}
    calculator = {"success": 0.625, "turns": 2, "tool_calls": 1, "invalid_actions": 0, "solved_tool_calls": 1}
    for tag, metrics in (("before", game), ("after", won)):
        metrics = {f"env/guess_number/{k}": v for k, v in metrics.items()}
        metrics |= {f"env/gpt3_calculator/{k}": v for k, v in calculator.items()}
        (run_dir / f"eval_{tag}.json").write_text(json.dumps({**_metrics(0.0), **metrics}))
    md = write_report(run_dir).read_text()
    assert "## Environments" in md and md.index("## Environments") < md.index("## Metrics")
    assert "| guess_number | 0.0% → 93.8% | 6 → 4 | 5 → 3 | 5 → 0 | — → 2.87 | 2.625 |" in md  # no win before
    assert "| gpt3_calculator | 62.5% → 62.5% | 2 → 2 | 1 → 1 | 0 → 0 | 1 → 1 | — |" in md  # no optimum known
    make_train_run(tmp_path / "plain")
    assert "## Environments" not in write_report(tmp_path / "plain").read_text()
