"""GPT-3's arithmetic test sets: the published files load as they are, training never sees one of their questions,
and the generated problems have the published forms and operand ranges."""

from __future__ import annotations

import json
import re

import pytest

from components.data import gpt3_arithmetic as g
from components.data.gpt3_arithmetic import PAPER_TASKS, TASKS, GPT3ArithmeticData, solve
from components.data.prompts import PromptBuilder
from tests.conftest import shared_data

FOLDER = "gpt3_synthetic"
NEGATIVE_ROWS = {"2D-", "3D-", "4D-", "5D-", "6D-"}  # subtraction files: about half their answers are negative


@pytest.fixture(scope="module")
def source() -> GPT3ArithmeticData:
    return GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks=list(TASKS))


def shape(question: str) -> str:
    return re.sub(r"\d+", "N", question)


def test_every_task_file_loads_whole_with_integer_answers(source: GPT3ArithmeticData) -> None:
    for name in TASKS:
        rows = source.published(name)
        assert len(rows) == 2000 and len({r["question"] for r in rows}) == 2000, name
        negative = sum(int(r["answer"]) < 0 for r in rows)
        if name in NEGATIVE_ROWS:
            assert 900 <= negative <= 1100, (name, negative)  # the README: 974-1,001 per file
        else:
            assert negative == 0 or name == "1DC", name  # 1DC: "(1 - 5) - 6" is -10
        assert all(r["task"] == name and not r["question"].startswith("Q:") for r in rows)


def test_the_worked_solution_reaches_every_published_answer(source: GPT3ArithmeticData) -> None:
    for name in TASKS:
        for row in source.published(name):
            answer, solution = solve(row["question"])
            assert str(answer) == row["answer"] and solution.endswith(f"Answer: {answer}"), row


def test_held_out_rows_are_each_files_first_rows_in_order() -> None:
    data = GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks=["4D+", "1DC"], eval_rows=3)
    rows = data.held_out()
    assert [r["question"] for r in rows] == [
        "What is 9923 plus 617?",
        "What is 7131 plus 6046?",
        "What is 6888 plus 6760?",
        "What is (9 + 8) * 2?",
        "What is (4 - 7) - 3?",
        "What is (1 - 5) - 6?",
    ]
    assert [r["answer"] for r in rows][-2:] == ["-6", "-10"]
    assert (
        len(GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks=["2Dx"], eval_rows="all").held_out()) == 2000
    )


def test_no_published_question_of_any_file_is_ever_a_training_row(source: GPT3ArithmeticData) -> None:
    published = source.all_published_questions()
    assert len(published) > 25000  # all 13 files (a few questions are in two files)
    # 2D+ has 10,000 possible questions and 2,000 published: 6,000 draws would hit hundreds without the exclusion
    dense = GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks=["2D+", "1DC"], num_train=6000)
    for data in (dense, GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks=list(TASKS), num_train=8000)):
        train = data.train_rows(data.all_published_questions())
        questions = [r["question"] for r in train]
        assert len(set(questions)) == len(questions) == data.num_train
        assert not set(questions) & published
        splits = data.load(PromptBuilder())  # what training really gets, through the public path
        assert not set(splits.train["question"]) & published
        assert set(splits.eval["question"]) <= published


def test_generated_questions_have_the_published_forms_and_ranges(source: GPT3ArithmeticData) -> None:
    import random

    rng = random.Random(0)
    for name, task in TASKS.items():
        published = source.published(name)
        generated = [g.generate_question(task, rng) for _ in range(2000)]
        assert {shape(q) for q in generated} == {shape(r["question"]) for r in published}, name
        for questions in ([r["question"] for r in published], generated):
            numbers = [int(x) for q in questions for x in re.findall(r"\d+", q)]
            limit = 10 if task.kind == "three_ops" else 10**task.digits
            assert max(numbers) < limit and max(numbers) >= limit * 0.9, name
            if task.kind == "three_ops":
                assert min(numbers) == 1  # the published 1DC rows use digits 1-9
        gen_negative = sum(solve(q)[0] < 0 for q in generated)
        pub_negative = sum(int(r["answer"]) < 0 for r in published)
        assert abs(gen_negative - pub_negative) < 150, name  # same share of negative results (+-7.5 points)


def test_the_task_mix_follows_the_weights() -> None:
    data = GPT3ArithmeticData(local_path=str(shared_data(FOLDER)), tasks={"5D+": 3, "2Dx": 1, "4D-": 0}, num_train=2000)
    counts = {}
    for row in data.train_rows(set()):
        counts[row["task"]] = counts.get(row["task"], 0) + 1
    assert set(counts) == {"5D+", "2Dx"} and 0.7 < counts["5D+"] / 2000 < 0.8
    assert [r["task"] for r in data.held_out()][::200] == ["5D+", "2Dx", "4D-"]  # weight 0: evaluated, not trained


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tasks": ["7D+"]}, "data.tasks: unknown ['7D+']"),
        ({"tasks": {"2D+": -1}}, "data.tasks: weights must be >= 0"),
        ({"eval_rows": 0}, "data.eval_rows=0"),
        ({"eval_rows": "some"}, "data.eval_rows='some'"),
        ({"num_train": 0}, "data.num_train=0"),
    ],
)
def test_bad_settings_name_the_key(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        GPT3ArithmeticData(**kwargs)


def test_a_bad_row_names_the_file_and_line(tmp_path) -> None:
    good = {"context": "\n\nQ: What is 1 plus 2?\n\nA:", "completion": " 3"}
    lines = [json.dumps(good), json.dumps({"context": "What is 1 plus 2?", "completion": " 3"})]
    (tmp_path / "two_digit_addition.jsonl").write_text("\n".join(lines) + "\n")
    data = GPT3ArithmeticData(local_path=str(tmp_path), tasks=["2D+"])
    with pytest.raises(ValueError, match=r"two_digit_addition.jsonl: row 2 field 'context' is not of the form"):
        data.published("2D+")
    lines[1] = json.dumps({"context": good["context"], "completion": " three"})
    (tmp_path / "two_digit_addition.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"row 2 field 'completion' is not an integer"):
        data.published("2D+")


def test_without_the_local_copy_the_hub_dataset_is_read_per_task(monkeypatch, source: GPT3ArithmeticData) -> None:
    """The hub path users take (EleutherAI/arithmetic, one config per task), fed here from the local files."""
    calls = []

    def fake_hub(path, config_name, split, key="data.path"):
        calls.append((path, config_name, split, key))
        name = next(n for n, t in TASKS.items() if t.hub_config == config_name)
        lines = (shared_data(FOLDER) / TASKS[name].file).read_text().splitlines()
        return [json.loads(x) for x in lines]

    monkeypatch.setattr(g, "load_hub_split", fake_hub)
    data = GPT3ArithmeticData(local_path="/nonexistent/gpt3", tasks=["4D-", "1DC"], eval_rows=5, num_train=50)
    splits = data.load(PromptBuilder())
    assert ("EleutherAI/arithmetic", "arithmetic_4ds", "validation", "data.hub_path") in calls
    assert splits.eval["question"] == [r["question"] for n in ("4D-", "1DC") for r in source.published(n)[:5]]
    assert not set(splits.train["question"]) & {r["question"] for r in source.published("4D-")}
    with pytest.raises(ValueError, match="SD is not in EleutherAI/arithmetic"):
        GPT3ArithmeticData(local_path="/nonexistent/gpt3", tasks=["SD"]).load(PromptBuilder())


def test_paper_tasks_are_the_default_ten() -> None:
    assert list(GPT3ArithmeticData().weights) == PAPER_TASKS and len(PAPER_TASKS) == 10
