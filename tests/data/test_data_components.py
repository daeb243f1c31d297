"""Data components: seeded, held-out, real GSM8K, FinQA fixture, generic files, clear row errors."""

from __future__ import annotations

import json

import pytest

from components.data.arithmetic import ArithmeticData
from components.data.finqa import FinQAData
from components.data.gsm8k import GSM8KData
from components.data.jsonl import JsonlData
from components.data.prompts import PromptBuilder
from tests.conftest import shared_data

PROMPTS = PromptBuilder(system_prompt="Be brief.", template="Q: {question}")


def test_arithmetic_is_seeded_correct_and_held_out() -> None:
    data = ArithmeticData(num_train=200, num_eval=20, min_digits=2, max_digits=2, operations=["+", "-", "*"], seed=3)
    a, b = data.load(PROMPTS), data.load(PROMPTS)
    assert a.train.to_list() == b.train.to_list()
    assert set(a.train["question"]).isdisjoint(a.eval["question"])
    assert len(a.train) == 200 and len(a.eval) == 20
    for row in a.eval:
        lhs = row["question"].removeprefix("What is ").rstrip("?")
        assert str(eval(lhs)) == row["answer"]  # noqa: S307  (our own generated arithmetic)
        assert row["prompt"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Q: {row['question']}"},
        ]


def test_arithmetic_word_problems_and_difficulty() -> None:
    rows = ArithmeticData(num_train=50, num_eval=5, min_digits=3, max_digits=3, word_problems=True, seed=1).generate()[
        0
    ]
    assert all("apples" in r["question"] for r in rows)
    assert all(int(r["answer"]) >= 200 for r in rows)


def test_gsm8k_reads_shared_files_and_strips_commas() -> None:
    path = shared_data("gsm8k")
    splits = GSM8KData(path=str(path), max_train_samples=50, max_eval_samples=None).load(PROMPTS)
    assert len(splits.eval) == 1319 and len(splits.train) == 50
    assert all(row["answer"].lstrip("-").replace(".", "").isdigit() for row in splits.eval)
    assert all("," not in row["answer"] for row in splits.eval)
    assert all("####" in row["solution"] for row in splits.eval)


def test_gsm8k_missing_answer_names_file_row_and_field(tmp_path) -> None:
    (tmp_path / "train.jsonl").write_text(
        json.dumps({"question": "q", "answer": "x #### 1"}) + "\n" + json.dumps({"question": "q2"}) + "\n"
    )
    (tmp_path / "test.jsonl").write_text(json.dumps({"question": "q", "answer": "#### 2"}) + "\n")
    with pytest.raises(ValueError, match=r"train.jsonl: row 2 has no 'answer' field"):
        GSM8KData(path=str(tmp_path)).load(PROMPTS)


def test_gsm8k_hub_path_fails_with_one_line_offline() -> None:
    with pytest.raises(ValueError, match="data.path=openai/gsm8k: cannot load split"):
        GSM8KData(path="openai/gsm8k").load(PROMPTS)


FINQA_ORIGINAL = {
    "pre_text": ["Revenue grew in 2019."],
    "post_text": ["All figures in millions."],
    "table": [["", "2019", "2018"], ["revenue", "$ 120", "$ 100"]],
    "qa": {"question": "what was the growth rate of revenue?", "exe_ans": 0.2, "program": "divide(20, 100)"},
}
FINQA_FLAT = {"pre_text": [], "post_text": [], "table": [], "question": "what is 2+2?", "final_result": "4"}


def test_finqa_reads_original_and_flat_layouts(tmp_path) -> None:
    (tmp_path / "train.json").write_text(json.dumps([FINQA_ORIGINAL, FINQA_FLAT]))
    (tmp_path / "dev.json").write_text(json.dumps([FINQA_ORIGINAL]))
    splits = FinQAData(local_path=str(tmp_path), train_files=["train.json"], eval_files=["dev.json"]).load(PROMPTS)
    # the row also in the eval file stays held out; the flat (hub-style) row is trained on
    assert splits.train["answer"] == ["4"] and splits.train[0]["question"].endswith("Question: what is 2+2?")
    assert "|revenue|$ 120|$ 100|" in splits.eval[0]["question"]
    bad = dict(FINQA_ORIGINAL, qa={"question": "q"})
    (tmp_path / "bad.json").write_text(json.dumps([FINQA_FLAT, bad]))
    with pytest.raises(ValueError, match=r"bad.json: row 2 has no 'exe_ans/final_result/answer' field"):
        FinQAData(local_path=str(tmp_path), train_files=["bad.json"], eval_files=["dev.json"]).load(PROMPTS)


def test_jsonl_and_csv_with_custom_fields(tmp_path) -> None:
    rows = [{"q": f"question {i}", "a": str(i), "topic": "t"} for i in range(20)]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    splits = JsonlData(
        train_file=str(tmp_path / "d.jsonl"),
        question_field="q",
        answer_field="a",
        extra_fields=["topic"],
        eval_fraction=0.25,
    ).load(PROMPTS)
    assert len(splits.train) == 15 and len(splits.eval) == 5 and splits.eval[0]["topic"] == "t"
    (tmp_path / "d.csv").write_text("q,a\nhello,1\nworld,\n")
    with pytest.raises(ValueError, match=r"d.csv: row 2 has no 'a' field"):
        JsonlData(train_file=str(tmp_path / "d.csv"), question_field="q", answer_field="a").load(PROMPTS)


def test_prompt_builder_few_shot_and_plain_text() -> None:
    shots = [{"question": "1+1", "answer": "2"}]
    chat = PromptBuilder(few_shot=shots).build("2+2")
    assert [m["role"] for m in chat] == ["user", "assistant", "user"]
    assert PromptBuilder(system_prompt="S", chat=False).build("x") == "S\n\nx"
    with pytest.raises(ValueError, match="prompts.template"):
        PromptBuilder(template="no placeholder")


def test_a_multi_turn_shot_is_a_whole_demonstrated_episode_before_the_question() -> None:
    call = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "guess", "arguments": {}}}]}
    turns = [call, {"role": "tool", "name": "guess", "content": "correct"}, {"role": "assistant", "content": "7"}]
    chat = PromptBuilder(system_prompt="S", few_shot=[{"question": "find it", "turns": turns}]).build("again")
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert chat[2] == call and chat[2] is not call  # as written, but a copy: a rollout may not edit the config's
    assert chat[-1] == {"role": "user", "content": "again"}
    for shot, message in [
        ({"question": "q", "turns": []}, r"few_shot\[0\].turns must be a non-empty list"),
        ({"question": "q", "turns": [{"role": "user", "content": "x"}]}, r"few_shot\[0\].turns\[0\] must be"),
        ({"question": "q", "turns": [call, turns[1]]}, "must start and end with an assistant message"),
        ({"question": "q", "answer": "a", "turns": turns}, r"few_shot\[0\] needs the keys"),
    ]:
        with pytest.raises(ValueError, match=message):
            PromptBuilder(few_shot=[shot])
    with pytest.raises(ValueError, match="needs prompts.chat=true"):
        PromptBuilder(few_shot=[{"question": "q", "turns": turns}], chat=False)
