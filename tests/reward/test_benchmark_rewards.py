"""Benchmark rewards: FinQA tolerance, BoolQ yes/no, NQ-open EM/F1 over every alias, MBPP/HumanEval code in
the sandbox (whole functions against bare-signature stubs), on hand cases and small slices of the shipped data."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from components.reward.code import code, runnable_stub
from components.reward.exact_match import exact_match
from components.reward.f1 import f1
from components.reward.finqa import finqa, finqa_equal
from components.reward.yes_no import read_yes_no, yes_no
from tests.conftest import shared_data


@pytest.mark.parametrize(
    "pred,gold,ok",
    [
        ("0.14464", "0.14464", True),
        ("14.46", "0.14464", True),
        ("14.464%", "0.14464", True),
        ("0.145", "0.14464", True),  # rounded to the prediction's 3 places
        ("14.5", "0.14464", True),
        ("14", "0.14464", False),  # a whole number counts as one place (PoT's float str)
        ("0.15", "0.14464", False),
        ("94", "94", True),
        ("94.0", "94", True),
        ("93.92", "94", True),  # within rel 1e-3
        ("93", "94", False),
        ("9400", "94", True),  # gold x 100 (a fraction read as a percent) -- PoT accepts it
        ("-1.9", "-1.9", True),
        ("1.9", "-1.9", False),
        ("0.5", "50", True),
        ("2057", "2057.0", True),
        ("1", "101", True),  # PoT's leniency, kept: 101 / 100 = 1.01 rounds to the prediction's one place
        ("0.14", "0.14464", True),
        ("1.01", "101", True),
        ("2", "101", False),
    ],
)
def test_finqa_equal_follows_program_of_thoughts(pred, gold, ok) -> None:
    assert finqa_equal(Fraction(pred.rstrip("%")), Fraction(gold)) is ok


def test_finqa_reward_reads_the_final_answer_and_yes_no() -> None:
    completions = [
        "Revenue rose from 100 to 114.46, so the change is 14.46%. The answer is 14.46",
        "The answer is 12. No wait, the answer is 14.5.",
        "I don't know.",
        "The answer is 20",
    ]
    assert [v.status for v in finqa.judge(completions, answer="0.14464")] == [
        "correct",
        "correct",
        "unparseable",
        "wrong",
    ]
    assert finqa(["Yes, it increased; the answer is yes.", "The answer is no.", "It is 5."], answer="yes") == [
        1.0,
        0.0,
        0.0,
    ]
    assert finqa(["5"], answer=[""]) == [None]
    with pytest.raises(ValueError, match="rel_tol"):
        finqa(["5"], answer="5", rel_tol=-1)


def test_finqa_gold_answers_score_full_marks_on_the_shipped_data() -> None:
    from components.data.finqa import FinQAData
    from components.data.prompts import PromptBuilder

    splits = FinQAData(local_path=str(shared_data("finqa")), max_eval_samples=None).load(PromptBuilder())
    golds = splits.eval["answer"][:200] + splits.train["answer"][:200]
    stated = [f"The answer is {g}." for g in golds]
    assert finqa(stated, answer=golds) == [1.0] * len(golds)
    fractions = [g for g in golds if g not in ("yes", "no") and abs(float(g)) < 1]
    # written as a person would: x 100, rounded half up to 2 places, with a percent sign
    as_percent = [f"The answer is {(Decimal(g) * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%" for g in fractions]
    assert finqa(as_percent, answer=fractions) == [1.0] * len(fractions)


@pytest.mark.parametrize(
    "text,value",
    [
        ("Yes, there is no doubt.", "yes"),
        ("No, it is not.", "no"),
        ("True.", "yes"),
        ("false", "no"),
        ("The passage says so. The answer is: No", "no"),
        ("Answer: yes", "yes"),
        ("I cannot tell.", None),
        ("Not yes -- the answer is false.", "no"),
    ],
)
def test_read_yes_no(text, value) -> None:
    assert read_yes_no(text) == value


def test_yes_no_reward_on_boolq_golds() -> None:
    rows = [json.loads(line) for line in shared_data("boolq/dev.jsonl").read_text().splitlines()[:50]]
    golds = [r["answer"] for r in rows]  # JSON booleans, as shipped
    assert yes_no([("Yes." if g else "No.") for g in golds], answer=golds) == [1.0] * 50
    assert yes_no([("No." if g else "Yes, it is.") for g in golds], answer=golds) == [0.0] * 50
    assert [
        v.status
        for v in yes_no.judge(["<answer>yes</answer> though no", "maybe"], answer=["yes", "no"], answer_tag="answer")
    ] == ["correct", "unparseable"]


def test_nq_open_em_and_f1_against_every_alias() -> None:
    gold = [["14 December 1972 UTC", "December 1972"]]
    params = dict(answer_tag=None, first_line=True)
    assert exact_match(["December 1972.\nIt was Apollo 17."], answer=gold, **params) == [1.0]  # second alias
    assert exact_match(["The 14 December 1972 UTC"], answer=gold, **params) == [1.0]  # articles, case
    assert exact_match(["In December 1972"], answer=gold, **params) == [0.0]
    assert exact_match(["\nDecember 1972"], answer=gold, **params) == [1.0]  # first NON-EMPTY line
    assert f1(["In December 1972"], answer=gold, **params) == [pytest.approx(0.8)]
    rows = [json.loads(line) for line in shared_data("nq_open/NQ-open.dev.jsonl").read_text().splitlines()[:100]]
    golds = [r["answer"] for r in rows]
    assert exact_match([g[-1] for g in golds], answer=golds, **params) == [1.0] * 100
    assert f1([g[0] + "\nbecause" for g in golds], answer=golds, **params) == [1.0] * 100


def test_whole_function_passes_against_a_bare_signature_stub() -> None:
    stub = "import math\n\n\ndef hyp(a, b):\n"  # a bare signature: no docstring, no body
    test = "def check(f):\n    assert f(3, 4) == 5\n"
    whole = "```python\ndef hyp(a, b):\n    return math.sqrt(a * a + b * b)\n```"
    body = "    return math.sqrt(a * a + b * b)\n"
    wrong = "```python\ndef hyp(a, b):\n    return a + b\n```"
    assert code([whole, body, wrong], code_prompt=stub, test=test, entry_point="hyp") == [1.0, 1.0, 0.0]
    assert runnable_stub(stub).endswith("    pass\n") and runnable_stub("def f(:\n") == ""


def test_mbpp_reference_solutions_pass_and_mismatches_fail() -> None:
    rows = [json.loads(line) for line in shared_data("mbpp/mbpp.jsonl").read_text().splitlines()]
    rows = [r for r in rows if 11 <= r["task_id"] <= 16]
    solutions = [f"```python\n{r['code']}\n```" for r in rows]
    cols = dict(test_list=[r["test_list"] for r in rows], test_setup_code=[r["test_setup_code"] for r in rows])
    assert code(solutions, **cols, timeout_s=10) == [1.0] * len(rows)
    assert code(solutions[1:] + solutions[:1], **cols, timeout_s=10) == [0.0] * len(rows)  # shifted: wrong task


def test_humaneval_whole_function_completions_pass() -> None:
    import gzip

    with gzip.open(shared_data("humaneval/HumanEval.jsonl.gz"), "rt") as handle:
        rows = [json.loads(line) for line in handle][:6]
    # a completion that is the whole function (stub + canonical body), as a chat model replies
    whole = [f"Here it is:\n```python\n{r['prompt']}{r['canonical_solution']}```" for r in rows]
    cols = dict(
        code_prompt=[r["prompt"] for r in rows],
        test=[r["test"] for r in rows],
        entry_point=[r["entry_point"] for r in rows],
    )
    assert code(whole, **cols, timeout_s=10) == [1.0] * len(rows)


def test_math500_gold_answers_boxed_score_full_marks() -> None:
    # every MATH-500 gold, boxed as a model would write it, verifies against itself (math-verify), including
    # golds with an escaped dollar sign ("\$18.90") that used to be unparseable (n/a)
    from components.reward.math import math_reward

    rows = [json.loads(line) for line in shared_data("math500/test.jsonl").read_text().splitlines()]
    golds = [r["answer"] for r in rows]
    verdicts = math_reward.judge([f"So the answer is $\\boxed{{{g}}}$." for g in golds], answer=golds)
    assert [g for g, v in zip(golds, verdicts) if v.status != "correct"] == []
    assert math_reward(["\\boxed{18.90}", "\\boxed{19}"], answer="\\$18.90") == [1.0, 0.0]
