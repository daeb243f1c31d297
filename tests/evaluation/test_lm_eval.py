"""evaluation_component=lm_eval: the local task YAMLs load the project's rows, grade with the project's reward, and
lm-eval run in-process on a tiny model writes the same completions and verdicts as the project's own evaluator."""

from __future__ import annotations

import importlib.util
import json

import pytest

from components.evaluation import lm_eval_harness
from components.evaluation.evaluator import TaskEvaluator
from components.evaluation.lm_eval_harness import LOCAL_TASKS, MISSING, LMEvalHarness
from components.evaluation.lm_eval_tasks import utils
from components.model.generation import render_prompt
from components.model.tiny_random import TinyRandomLM
from tests.conftest import compose, shared_data

pytest.importorskip("lm_eval", reason="the optional lm_eval group (make install-lm-eval; the test install has it)")
GPT3_SETS = ["2d_add", "2d_sub", "3d_add", "3d_sub", "4d_add", "4d_sub", "5d_add", "5d_sub", "2d_mul", "1d_composite"]


def load_task(name: str, **metadata):
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=[str(LOCAL_TASKS)], include_defaults=False, metadata=metadata)
    return manager.load([name])["tasks"][name]


def test_every_local_task_yaml_is_indexed_by_lm_eval() -> None:
    from lm_eval.tasks import TaskManager

    names = set(TaskManager(include_path=[str(LOCAL_TASKS)], include_defaults=False).all_tasks)
    expected = {"rlvr_arithmetic", "rlvr_gsm8k", *(f"rlvr_gpt3_{s}" for s in GPT3_SETS)}
    assert expected <= names
    assert "rlvr_gpt3_arithmetic" in names  # the tag over the ten GPT-3 sets


def test_the_arithmetic_task_holds_the_default_runs_held_out_rows_and_prompt() -> None:
    task = load_task("rlvr_arithmetic")
    docs = list(task.test_docs())
    cfg = compose([])
    from hydra.utils import instantiate

    project = instantiate(cfg.data).load(instantiate(cfg.prompts)).eval
    assert len(docs) == len(project) == 64
    assert [d["question"] for d in docs] == project["question"]
    assert docs[0]["system"] == cfg.prompts.system_prompt and docs[0]["user"] == project[0]["question"]


def test_a_gpt3_task_reads_the_published_rows_from_the_data_dir() -> None:
    data_dir = shared_data("gpt3_synthetic").parent
    docs = list(load_task("rlvr_gpt3_2d_add", data_dir=str(data_dir)).test_docs())
    assert len(docs) == 2000 and docs[0]["task"] == "2D+"
    first = (data_dir / "gpt3_synthetic" / "two_digit_addition.jsonl").read_text().splitlines()[0]
    assert docs[0]["answer"] in first


def test_the_gsm8k_task_reads_the_test_split_in_file_order() -> None:
    data_dir = shared_data("gsm8k").parent
    docs = list(load_task("rlvr_gsm8k", data_dir=str(data_dir)).test_docs())
    lines = (data_dir / "gsm8k" / "test.jsonl").read_text().splitlines()
    assert len(docs) == len(lines) and docs[0]["question"] == json.loads(lines[0])["question"]


def test_the_verdict_is_the_project_rewards() -> None:
    doc = {"system": "s", "user": "What is 45 + 38?", "question": "What is 45 + 38?", "answer": "83"}
    right = utils.answer_format_results(doc, ["45 + 38 = 83"])
    assert right == {"exact_match": 1.0, "parsed": 1.0, "reward": 1.0}
    assert utils.answer_format_results(doc, ["45 + 38 = 82"])["exact_match"] == 0.0
    assert utils.answer_format_results(doc, ["no idea"])["parsed"] == 0.0
    gsm = {"system": "s", "user": "q", "question": "q", "answer": "18"}
    assert utils.gsm8k_results(gsm, ["... The answer is 18."])["exact_match"] == 1.0


def test_lm_eval_on_a_tiny_model_gives_the_project_evaluators_completions_and_verdicts() -> None:
    loaded = TinyRandomLM(seed=3).load()
    rows = utils.project_rows("arithmetic", "arithmetic")["test"].select(range(4))
    reward = utils.reward_set("answer_format")
    ours = TaskEvaluator(max_new_tokens=6, batch_size=8).evaluate(loaded.model, loaded.tokenizer, rows, reward)
    harness = LMEvalHarness(tasks=["rlvr_arithmetic"], max_new_tokens=6, batch_size=8, max_samples=4)
    theirs = harness.evaluate(loaded.model, loaded.tokenizer)
    m = theirs.metrics
    assert m["num_samples"] == 4 and m["max_new_tokens"] == 6
    assert m["lm_eval/rlvr_arithmetic/exact_match"] == m["accuracy"] == ours.metrics["accuracy"]
    assert m["truncation_rate"] == ours.metrics["truncation_rate"]
    for a, b in zip(ours.samples, theirs.samples, strict=True):
        assert b["prompt"] == render_prompt(loaded.tokenizer, a["prompt"])  # same chat-templated prompt
        assert (b["question"], b["completion"], b["correct"]) == (a["question"], a["completion"], a["correct"])
        assert (b["completion_tokens"], b["truncated"]) == (a["completion_tokens"], a["truncated"])


def test_missing_lm_eval_is_one_line_naming_the_install(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        lm_eval_harness.importlib.util, "find_spec", lambda name, *a: None if name == "lm_eval" else real(name, *a)
    )
    with pytest.raises(ValueError, match="make install-lm-eval") as err:
        LMEvalHarness(tasks=["rlvr_arithmetic"])
    assert str(err.value) == MISSING and "\n" not in MISSING


def test_bad_settings_and_training_with_lm_eval_are_refused() -> None:
    from components.validation import validate

    with pytest.raises(ValueError, match="eval.tasks is empty"):
        LMEvalHarness(tasks=[])
    with pytest.raises(ValueError, match="eval.max_samples=0"):
        LMEvalHarness(tasks=["rlvr_arithmetic"], max_samples=0)
    with pytest.raises(ValueError, match=r"eval.tasks: \['rlvr_nope'\] are not lm-eval tasks"):
        LMEvalHarness(tasks=["rlvr_nope"]).evaluate(TinyRandomLM(seed=3).load().model, None)
    validate(compose(["mode=eval", "evaluation_component=lm_eval"]))  # the option's own config is valid
    with pytest.raises(ValueError, match="evaluation_component=lm_eval evaluates finished models"):
        validate(compose(["evaluation_component=lm_eval"]))
