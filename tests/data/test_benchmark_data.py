"""Benchmark data options on the shipped data (../shared/data): fields, sizes, splits, and that held-out rows
are never in the training split; hub fallbacks fail with one line offline."""

from __future__ import annotations

import json

import pytest

from components.data.boolq import BoolQData
from components.data.finqa import FinQAData, finqa_row
from components.data.math500 import Math500Data
from components.data.mbpp import MBPPData
from components.data.nq_open import NQOpenData
from components.data.prompts import PromptBuilder
from components.data.source import holdout_split
from tests.conftest import compose, shared_data

PROMPTS = PromptBuilder(template="{question}")


def _disjoint(splits, key: str = "question") -> None:
    train, held = set(map(str, splits.train[key])), set(map(str, splits.eval[key]))
    assert train and held and train.isdisjoint(held)


def test_holdout_split_is_seeded_order_free_and_disjoint() -> None:
    rows = [{"q": f"q{i % 90}", "n": i} for i in range(100)]  # 10 duplicated questions
    a = holdout_split(rows, "q", 0.2, split_seed=0)
    b = holdout_split(list(reversed(rows)), "q", 0.2, split_seed=0)
    assert {r["n"] for r in a[1]} == {r["n"] for r in b[1]}  # file order does not move the cut
    assert {r["q"] for r in a[0]}.isdisjoint(r["q"] for r in a[1])  # duplicates stay on one side
    assert {r["n"] for r in holdout_split(rows, "q", 0.2, split_seed=1)[1]} != {r["n"] for r in a[1]}
    with pytest.raises(ValueError, match="data.eval_fraction"):
        holdout_split(rows, "q", 1.0, 0)


def test_math500_split_holds_out_before_level_filter() -> None:
    path = shared_data("math500/test.jsonl")
    full = Math500Data(local_path=str(path)).load(PROMPTS)
    assert len(full.train) + len(full.eval) == 500 and len(full.eval) == 250
    _disjoint(full, "unique_id")
    easy = Math500Data(local_path=str(path), levels=[1, 2]).load(PROMPTS)
    assert set(easy.train["level"]) | set(easy.eval["level"]) == {1, 2}
    assert set(easy.eval["unique_id"]) <= set(full.eval["unique_id"])  # the filter never moves a row across
    assert all(isinstance(a, str) and a for a in easy.eval["answer"])
    # the run seed does not move the cut (split_seed does)
    assert set(Math500Data(local_path=str(path), seed=7).load(PROMPTS).eval["unique_id"]) == set(full.eval["unique_id"])


def test_mbpp_uses_the_task_id_splits() -> None:
    path = shared_data("mbpp/mbpp.jsonl")
    splits = MBPPData(local_path=str(path), max_eval_samples=20).load(PROMPTS)
    assert all(11 <= t <= 510 for t in splits.eval["task_id"]) and splits.eval["task_id"] == list(range(11, 31))
    assert all(t >= 511 for t in splits.train["task_id"]) and len(splits.train) == 974 - 510
    row = splits.eval[0]
    assert len(row["test_list"]) == 3 and row["test_list"][0] in row["question"] and "\r" not in row["answer"]
    with pytest.raises(ValueError, match="held-out rows would be trained on"):
        MBPPData(local_path=str(path), train_splits=["train", "test"])


def test_nq_open_keeps_every_alias_and_holds_out_30_percent() -> None:
    path = shared_data("nq_open/NQ-open.dev.jsonl")
    splits = NQOpenData(local_path=str(path)).load(PROMPTS)
    assert len(splits.train) + len(splits.eval) == 3610 and len(splits.eval) == 1083
    _disjoint(splits)
    assert all(isinstance(a, list) and a for a in splits.eval["answer"])
    assert max(len(a) for a in splits.eval["answer"]) > 1  # aliases kept


def test_boolq_answers_are_yes_no_and_held_out() -> None:
    path = shared_data("boolq/dev.jsonl")
    splits = BoolQData(local_path=str(path), max_passage_words=50).load(PROMPTS)
    assert len(splits.train) + len(splits.eval) == 3270 and len(splits.eval) == 981
    _disjoint(splits, "query")
    assert set(splits.eval["answer"]) == {"yes", "no"}
    assert all(len(q.split("\n\nQuestion:")[0].split()) <= 50 + 10 for q in splits.eval["question"][:50])


def test_boolq_balanced_train_labels_leave_held_out_rows_alone() -> None:
    path = shared_data("boolq/dev.jsonl")
    raw = BoolQData(local_path=str(path), max_passage_words=20).load(PROMPTS)
    balanced = BoolQData(local_path=str(path), max_passage_words=20, balance_train_labels=True).load(PROMPTS)
    labels = list(balanced.train["answer"])
    assert labels.count("yes") == labels.count("no") == min(raw.train["answer"].count(x) for x in ("yes", "no"))
    assert list(raw.train["answer"]).count("yes") > list(raw.train["answer"]).count("no")  # BoolQ leans "yes"
    assert set(balanced.train["query"]) <= set(raw.train["query"])
    assert list(balanced.eval["query"]) == list(raw.eval["query"])


def test_finqa_reads_both_shipped_formats_and_trains_on_dev_only() -> None:
    folder = shared_data("finqa")
    splits = FinQAData(local_path=str(folder), max_eval_samples=None).load(PROMPTS)
    assert len(splits.train) == 883 and len(splits.eval) == 500
    _disjoint(splits)
    assert set(splits.train["id"]).isdisjoint(splits.eval["id"])
    for rows in (splits.train, splits.eval):  # both files rendered alike: context, |table| rows, question
        assert all(q.startswith("Context: ") and "\nQuestion: " in q and "\n|" in q for q in rows["question"][:50])
    assert {"yes", "no"} <= set(splits.eval["answer"])
    first = json.loads((folder / "test_first500.jsonl").read_text().splitlines()[0])
    assert finqa_row(first, "t", 0)["answer"] == "94"  # exe_ans 94.0


def test_finqa_original_layout_with_qa_block(tmp_path) -> None:
    record = {
        "pre_text": ["Revenue grew."],
        "post_text": [],
        "table": [["", "2019"], ["revenue", "$ 120"]],
        "qa": {"question": "what was revenue?", "exe_ans": 120.0},
    }
    (tmp_path / "a.json").write_text(json.dumps([record]))
    (tmp_path / "b.json").write_text(json.dumps([dict(record, qa={"question": "q2", "exe_ans": 0.2})]))
    splits = FinQAData(local_path=str(tmp_path), train_files=["a.json"], eval_files=["b.json"]).load(PROMPTS)
    assert (
        splits.train[0]["question"] == "Context: Revenue grew.\n||2019|\n|revenue|$ 120|\nQuestion: what was revenue?"
    )
    assert splits.train[0]["answer"] == "120" and splits.eval[0]["answer"] == "0.2"
    (tmp_path / "bad.json").write_text(json.dumps([dict(record, qa={"question": "q"})]))
    with pytest.raises(ValueError, match=r"bad.json: row 1 has no 'exe_ans/final_result/answer' field"):
        FinQAData(local_path=str(tmp_path), train_files=["bad.json"], eval_files=["b.json"]).load(PROMPTS)


@pytest.mark.parametrize("option", [BoolQData, NQOpenData, Math500Data, FinQAData, MBPPData])
def test_missing_local_copy_falls_back_to_the_hub_with_one_line(option, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"^data.hub_path=\S+: cannot load split"):
        option(local_path=str(tmp_path / "absent")).load(PROMPTS)


@pytest.mark.parametrize("name", ["math500", "mbpp", "nq_open", "boolq", "finqa"])
def test_yaml_defaults_read_the_shared_copy(name: str, monkeypatch) -> None:
    from hydra.utils import instantiate

    from tests.conftest import REPO

    shared_data(name)
    monkeypatch.chdir(REPO)  # local_path is relative to the directory you run from
    data = instantiate(compose([f"data_component={name}", "data.max_eval_samples=4", "data.max_train_samples=4"]).data)
    splits = data.load(PROMPTS)
    assert len(splits.train) == 4 and 1 <= len(splits.eval) <= 4


def test_gsm8k_easier_subset_by_solution_steps() -> None:
    from components.data.gsm8k import GSM8KData

    splits = GSM8KData(path=str(shared_data("gsm8k")), max_solution_steps=2, max_eval_samples=None).load(PROMPTS)
    assert len(splits.train) == 2674 and len(splits.eval) == 440
    assert all(s.count("<<") <= 2 for s in splits.eval["solution"])


def test_finqa_short_context_subset() -> None:
    splits = FinQAData(local_path=str(shared_data("finqa")), max_question_chars=2500, max_eval_samples=None).load(
        PROMPTS
    )
    assert 0 < len(splits.eval) < 500 and all(len(q) <= 2500 for q in splits.eval["question"])
