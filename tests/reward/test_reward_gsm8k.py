"""GSM8K answer extraction and scoring: real completion formats, table style."""

from fractions import Fraction

import pytest

from components.reward.gsm8k import extract_number, gold_number, gsm8k

LENIENT = [
    # (completion, expected number or None)
    (
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18",
        "18",
    ),
    ("The answer is 42.", "42"),
    ("The final answer is: $1,234.", "1234"),
    ("So the total is 5 + 7 = 12.\nAnswer: 12 apples", "12"),
    ("Q: what is 2+2?\nA: 4", "4"),
    ("Thus the result is \\boxed{81}.", "81"),
    ("We get $\\boxed{\\$1,234.00}$", "1234"),
    ("\\boxed{\\frac12}", "1/2"),
    ("\\boxed{\\dfrac{3}{4}}", "3/4"),
    ("The answer is 50%.", "50"),
    ("The answer is 18.0 dollars", "18"),
    ("The answer is -7.", "-7"),
    ("The answer is 0.50", "1/2"),
    ("The answer is 3/4 of a cup", "3/4"),
    (
        "The answer is 12. Then I checked: 3 * 4 = 12 and 5 more is 17",
        "12",
    ),  # marker beats later numbers
    ("First 3 + 4 = 7, then 7 * 2 = 14", "14"),  # no marker: last number
    ("5-3=2", "2"),  # binary minus is not a sign
    ("It costs 1,000,000 dollars", "1000000"),
    ("#### 5\nThe answer is 6", "6"),  # the last marker wins
    # A marker followed by an equation is graded by the equation's result, never its first operand.
    ("The answer is: 13 + 37 = 50", "50"),
    ("The answer is 45 + 38 = 83.", "83"),
    ("Answer: 2 + 3 = 5 = 5", "5"),
    ("The answer is $12 \\times 3 = 36$.", "36"),
    ("\\boxed{45+38=83}", "83"),
    ("The answer is 83.\n\n45 + 38 = 71", "83"),  # a marker beats later working
    # Completions that go on after a correct answer and state another one: the last one counts.
    ("45 + 38 = 83\n\nThe answer is: 45 + 38 = 71\n\nThe answer is: 45 + 38 = 71", "71"),
    ("45 + 38 = 83\n\nThe answer is 83.\n\nWait, the answer is 84.", "84"),
    ("45 + 38 = 83\n\n45 + 38 = 71", "71"),  # no marker: the last number stated
    ("45 + 38 = 83\n\nThe answer is", "83"),  # a cut-off marker with no number: the last number
    ("I have no idea.", None),
    ("", None),
]


@pytest.mark.parametrize("text,expected", LENIENT)
def test_lenient_extraction(text, expected):
    got = extract_number(text)
    assert (None if got is None else got) == (None if expected is None else Fraction(expected))


STRICT = [
    ("reasoning\n#### 1,234", "1234"),
    ("#### $18.00", "18"),
    ("The answer is 18", None),
    ("\\boxed{18}", None),
    ("####", None),
]


@pytest.mark.parametrize("text,expected", STRICT)
def test_strict_only_hashes(text, expected):
    got = extract_number(text, strict=True)
    assert got == (None if expected is None else Fraction(expected))


@pytest.mark.parametrize(
    "gold,value",
    [
        ("18", 18),
        ("1,234", 1234),
        ("\\frac{1}{2}", Fraction(1, 2)),
        ("He made 9*2=18.\n#### 18", 18),
        (7, 7),
        (None, None),
        ("n/a", None),
    ],
)
def test_gold_parsing(gold, value):
    assert gold_number(gold) == value


def test_scores_statuses_and_answers():
    completions = [
        "#### 18",
        "#### 17",
        "nothing",
        [{"role": "assistant", "content": "The answer is $18"}],
    ]
    verdicts = gsm8k.judge(completions, answer=["18", "18", "18", "18"])
    assert [v.status for v in verdicts] == ["correct", "wrong", "unparseable", "correct"]
    assert [v.answer for v in verdicts] == ["18", "17", None, "18"]
    assert gsm8k(completions, answer=["18"] * 4, correct_reward=5.0, unparseable_reward=-1.0) == [
        5.0,
        0.0,
        -1.0,
        5.0,
    ]


def test_missing_gold_is_not_applicable():
    assert gsm8k(["#### 3", "#### 3"], answer=[None, ""]) == [None, None]


def test_ignores_trl_extra_kwargs():
    assert gsm8k(
        completions=["#### 3"],
        answer=["3"],
        prompts=["p"],
        completion_ids=[[1]],
        trainer_state=None,
        question=["q"],
    ) == [1.0]
