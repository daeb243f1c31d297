"""The budget check trips on a model that rambles past a correct first line, and stays quiet on one that stops."""

from __future__ import annotations

import pytest
from datasets import Dataset

from components.evaluation import evaluator as evaluator_module
from components.evaluation.evaluator import TaskEvaluator
from components.model.generation import Generations
from components.report.writer import build_blocks, to_markdown
from components.reward.reward_set import RewardSet

REWARD = RewardSet([{"name": "gsm8k", "weight": 1.0, "params": {}}])
ROWS = [{"prompt": f"What is {a} + 1?", "question": f"What is {a} + 1?", "answer": str(a + 1)} for a in range(8)]


def words_model(monkeypatch, completion_for) -> None:
    """Generation stub: each row's full text, cut to max_new_tokens words (one word = one token)."""

    def fake_generate(model, tokenizer, prompts, batch_size, max_new_tokens, **_):
        texts, lengths, cut = [], [], []
        for prompt in prompts:
            words = completion_for(int(prompt.split()[2])).split(" ")
            texts.append(" ".join(words[:max_new_tokens]))
            lengths.append(min(len(words), max_new_tokens))
            cut.append(len(words) > max_new_tokens)
        return Generations(texts, lengths, cut, seconds=1.0)

    monkeypatch.setattr(evaluator_module, "generate", fake_generate)


def rambler(a: int) -> str:  # right first, then goes on and states a wrong final answer
    return f"{a} + 1 = {a + 1} \n\nThe answer is: {a} + 1 = {a + 7} \n\nThe answer is: {a} + 1 = {a + 7}"


def stopper(a: int) -> str:
    return f"{a} + 1 = {a + 1}"


def test_budget_check_trips_on_a_model_that_rambles_past_a_correct_first_line(monkeypatch) -> None:
    words_model(monkeypatch, rambler)
    evaluator = TaskEvaluator(max_new_tokens=5, probe_samples=8, budget_check_factor=4)
    evaluated = evaluator.evaluate(None, None, Dataset.from_list(ROWS), REWARD)
    assert evaluated.metrics["accuracy"] == 1.0 and evaluated.metrics["truncation_rate"] == 1.0  # cut after line 1
    summary = evaluator.check_budget(None, None, Dataset.from_list(ROWS), REWARD, evaluated)
    assert summary["budget_check/larger_budget"] == 20
    assert summary["budget_check/accuracy"] == 1.0 and summary["budget_check/accuracy_larger"] == 0.0
    assert "accuracy falls from 100.0% at 5 new tokens to 0.0% at 20" in summary["budget_check/warning"]


def test_budget_check_is_quiet_when_the_model_stops(monkeypatch) -> None:
    words_model(monkeypatch, stopper)
    evaluator = TaskEvaluator(max_new_tokens=5, probe_samples=4)
    evaluated = evaluator.evaluate(None, None, Dataset.from_list(ROWS), REWARD)
    summary = evaluator.check_budget(None, None, Dataset.from_list(ROWS), REWARD, evaluated)
    assert summary["budget_check/problems"] == 4 and summary["budget_check/larger_budget"] == 10
    assert summary["budget_check/accuracy_larger"] == 1.0 and summary["budget_check/warning"] is None


def test_budget_check_off_and_bad_settings() -> None:
    assert TaskEvaluator(budget_check_factor=0).check_budget(None, None, None, REWARD, None) == {}
    with pytest.raises(ValueError, match="eval.budget_check_factor=1"):
        TaskEvaluator(budget_check_factor=1)
    with pytest.raises(ValueError, match="eval.budget_check_tolerance"):
        TaskEvaluator(budget_check_tolerance=2)


def test_the_report_leads_with_budget_grader_truncation_and_the_warning(tmp_path) -> None:
    import json

    before = {"accuracy": 0.25, "truncation_rate": 0.02, "max_new_tokens": 128}
    after = {"accuracy": 0.5, "truncation_rate": 0.0, "max_new_tokens": 128}
    summary = {
        "eval_max_new_tokens": 128,
        "grader": "gsm8k",
        "budget_check/larger_budget": 256,
        "budget_check/problems": 16,
        "budget_check/accuracy": 0.5,
        "budget_check/accuracy_larger": 0.1,
        "budget_check/warning": "accuracy falls from 50.0% at 128 new tokens to 10.0% at 256",
    }
    for name, body in (("eval_before.json", before), ("eval_after.json", after), ("summary.json", summary)):
        (tmp_path / name).write_text(json.dumps(body))
    text = to_markdown(build_blocks(tmp_path))
    assert (
        "at 128 new tokens, graded by `gsm8k`: 25.0% before -> 50.0% after; truncated 2.0% before, 0.0% after" in text
    )
    assert "WARNING (budget check): accuracy falls from 50.0%" in text
