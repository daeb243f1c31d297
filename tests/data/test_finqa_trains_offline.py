"""`python run_pipeline.py data_component=finqa` trains from ../shared/data/finqa, without the hub (tiny model)."""

from __future__ import annotations

import json

from tests.conftest import TINY_TRAIN, run_pipeline, shared_data


def test_finqa_trains_from_the_shared_copy(tmp_path) -> None:
    shared_data("finqa")
    # TINY_TRAIN without its arithmetic-only data keys; contexts cut to fit the tiny model's 1,024 positions
    tiny = [o for o in TINY_TRAIN if not o.startswith("data.")]
    result = run_pipeline(
        "data_component=finqa",
        *tiny,
        "data.max_train_samples=16",
        "data.max_eval_samples=4",
        "data.max_question_chars=1100",
        "eval.max_new_tokens=8",
        f"hydra.run.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["global_step"] == 2
    assert "../shared/data/finqa" in (tmp_path / ".hydra" / "config.yaml").read_text()
