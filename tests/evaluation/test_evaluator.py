"""TaskEvaluator on hand-made completions (generation stubbed) scored by a real RewardSet."""

from __future__ import annotations

import pytest
from datasets import Dataset

from components.evaluation import evaluator as evaluator_module
from components.evaluation.evaluator import TaskEvaluator
from components.model.generation import Generations
from components.reward.reward_set import RewardSet

REWARD = RewardSet(
    [
        {"name": "gsm8k", "weight": 1.0, "params": {}},
        {"name": "format", "weight": 0.1, "params": {"tags": [], "regex": r"answer is \d"}},
    ]
)
ROWS = [{"prompt": f"What is {a} + 1?", "question": f"What is {a} + 1?", "answer": str(a + 1)} for a in (1, 2, 3)]


def stub_generation(monkeypatch, greedy: list[str], sampled: list[str] | None = None) -> list[dict]:
    calls = []

    def fake_generate(
        model, tokenizer, prompts, batch_size, max_new_tokens, temperature=0.0, top_p=1.0, num_return_sequences=1
    ):
        calls.append({"temperature": temperature, "n": num_return_sequences, "prompts": len(prompts)})
        texts = greedy if num_return_sequences == 1 else sampled
        lengths = [len(t.split()) for t in texts]
        return Generations(texts, lengths, [n >= max_new_tokens for n in lengths], seconds=2.0)

    monkeypatch.setattr(evaluator_module, "generate", fake_generate)
    return calls


def test_greedy_metrics_from_the_reward_verifier(monkeypatch) -> None:
    stub_generation(monkeypatch, ["The answer is 2", "no idea at all here", "The answer is 5"])
    result = TaskEvaluator(max_new_tokens=4).evaluate(None, None, Dataset.from_list(ROWS), REWARD)
    m = result.metrics
    assert m["accuracy"] == pytest.approx(1 / 3)  # only "2" is right
    assert m["unparseable_rate"] == pytest.approx(1 / 3)  # "no idea" has no number
    assert m["format_compliance_rate"] == pytest.approx(2 / 3)  # the `format` reward's full marks
    assert m["mean_reward"] == pytest.approx((1.1 + 0.0 + 0.1) / 3)
    assert m["mean_completion_length"] == pytest.approx(13 / 3) and m["max_completion_length"] == 5
    assert m["truncation_rate"] == 1.0 and m["tokens_per_second"] == pytest.approx(13 / 2.0)
    assert [s["extracted"] for s in result.samples] == ["2", None, "5"]
    assert [s["correct"] for s in result.samples] == [True, None, False]


def test_sampled_pass_at_k_and_maj_at_k(monkeypatch) -> None:
    # Problem 1 (gold 2): 1 of 4 correct, majority "3" wrong. Problem 2 (gold 3): 3 of 4, majority right.
    # Problem 3 (gold 4): 2-2 tie between "4" (seen first) and "9": the tie rule picks "4", correct.
    sampled = [
        "answer is 2",
        "answer is 3",
        "answer is 3",
        "answer is 7",
        "answer is 3",
        "answer is 3",
        "answer is 1",
        "answer is 3",
        "answer is 4",
        "answer is 9",
        "answer is 9",
        "answer is 4",
    ]
    calls = stub_generation(monkeypatch, ["The answer is 2"] * 3, sampled)
    evaluator = TaskEvaluator(n_samples=4, k=[1, 2, 4], temperature=0.7)
    m = evaluator.evaluate(None, None, Dataset.from_list(ROWS), REWARD).metrics
    assert calls[1] == {"temperature": 0.7, "n": 4, "prompts": 3}
    assert m["pass@1"] == pytest.approx((1 / 4 + 3 / 4 + 2 / 4) / 3)
    assert m["pass@2"] == pytest.approx(((1 - 3 / 6) + 1.0 + (1 - 1 / 6)) / 3)
    assert m["pass@4"] == pytest.approx(1.0)
    assert m["maj@4"] == pytest.approx(2 / 3)
    assert m["maj@1"] == pytest.approx(1.0)  # each first sample (2, 3, 4) is right
    assert m["any_correct@1"] == pytest.approx(1.0)
    assert m["best_of_2_reward"] == pytest.approx(1.1)


def test_bad_settings_fail_when_built() -> None:
    with pytest.raises(ValueError, match="eval.k"):
        TaskEvaluator(n_samples=2, k=[4])
    with pytest.raises(ValueError, match="temperature"):
        TaskEvaluator(n_samples=2, temperature=0.0)
    with pytest.raises(ValueError, match="eval.batch_size"):
        TaskEvaluator(batch_size=0)


def test_rows_that_name_their_test_set_get_per_task_metrics_and_history(monkeypatch, tmp_path) -> None:
    from components.evaluation.history import append_eval, read_history

    stub_generation(monkeypatch, ["The answer is 2", "The answer is 9", "a b c d e f"])
    rows = [dict(row, task=task) for row, task in zip(ROWS, ["2D+", "2D+", "1DC"])]
    result = TaskEvaluator(max_new_tokens=5).evaluate(None, None, Dataset.from_list(rows), REWARD)
    m = result.metrics
    assert m["task/2D+/accuracy"] == 0.5 and m["task/2D+/num_samples"] == 2 and m["task/2D+/truncation_rate"] == 0
    assert m["task/1DC/accuracy"] == 0 and m["task/1DC/truncation_rate"] == 1.0
    assert m["accuracy"] == pytest.approx(1 / 3)  # the pooled figure is still there
    append_eval(tmp_path, result.samples, tag="after", step=3)
    assert [r["task"] for r in read_history(tmp_path / "completions_eval.jsonl")] == ["2D+", "2D+", "1DC"]
    plain = TaskEvaluator(max_new_tokens=4).evaluate(None, None, Dataset.from_list(ROWS), REWARD)
    assert not any(k.startswith("task/") for k in plain.metrics)  # no column, no per-task keys
