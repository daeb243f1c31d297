"""format, exact_match, f1, classification, regression, length, cosine, repetition: table style."""

import pytest

from components.reward.classification import classification
from components.reward.exact_match import exact_match
from components.reward.f1 import f1
from components.reward.format import format_reward
from components.reward.length import cosine_scaled, length_penalty
from components.reward.regression import regression
from components.reward.repetition import repetition_penalty


@pytest.mark.parametrize(
    "text,params,score",
    [
        ("<think>x</think><answer>1</answer>", {}, 1.0),
        ("<think>x</think>\n<answer>1</answer>", {}, 1.0),
        ("<answer>1</answer>", {}, 0.5),
        (
            "<answer>1</answer><think>x</think>",
            {},
            0.5,
        ),  # out of order: only the first in order counts
        ("<answer>1</answer><think>x</think>", {"ordered": False}, 1.0),
        ("<think>x</think><think>y</think><answer>1</answer>", {}, 0.5),  # duplicate tag: no credit
        ("plain", {}, 0.0),
        (
            "<think>x</think><answer>1</answer>",
            {"regex": r"^<think>.*</think><answer>\d+</answer>$", "match": "fullmatch"},
            1.0,
        ),
        ("<think>x</think><answer>one</answer>", {"regex": r"<answer>\d+</answer>"}, 2 / 3),
        ("The answer is 81", {"tags": [], "regex": r"(?i)answer\s*is\s*\d"}, 1.0),
    ],
)
def test_format(text, params, score):
    assert format_reward([text], **params) == [pytest.approx(score)]


def test_format_bad_params():
    with pytest.raises(ValueError, match="tags and regex"):
        format_reward([], tags=[], regex=None)
    with pytest.raises(ValueError, match="match"):
        format_reward([], match="prefix")


@pytest.mark.parametrize(
    "text,gold,params,score",
    [
        ("<answer>Paris</answer>", "paris", {}, 1.0),
        ("<answer>The  Paris!</answer>", "Paris", {}, 1.0),
        ("<answer>Lyon</answer>", "Paris", {}, 0.0),
        ("Paris", "Paris", {}, 0.0),  # no answer tag: unparseable
        ("Paris", "Paris", {"answer_tag": None}, 1.0),
        ("<answer>paris</answer>", "Paris", {"lowercase": False}, 0.0),
        ("<answer>Paris, France</answer>", ["Paris", "Paris, France"], {}, 1.0),
    ],
)
def test_exact_match(text, gold, params, score):
    assert exact_match([text], answer=[gold], **params) == [score]


@pytest.mark.parametrize(
    "text,gold,score",
    [
        ("<answer>the red dog</answer>", "red dog", 1.0),
        ("<answer>big red dog</answer>", "red dog", 0.8),
        ("<answer>cat</answer>", "red dog", 0.0),
        ("<answer>red</answer>", ["blue", "red car"], pytest.approx(2 / 3)),
    ],
)
def test_f1(text, gold, score):
    assert f1([text], answer=[gold]) == [score]


LABELS = {
    "labels": ["positive", "negative"],
    "aliases": {"positive": ["pos", "good"], "negative": ["bad"]},
}


@pytest.mark.parametrize(
    "text,gold,status",
    [
        ("<answer>Positive</answer>", "positive", "correct"),
        ("<answer>good</answer>", "pos", "correct"),
        ("<answer>I think it is negative.</answer>", "negative", "correct"),
        ("<answer>bad</answer>", "positive", "wrong"),
        ("<answer>unsure</answer>", "positive", "unparseable"),
    ],
)
def test_classification(text, gold, status):
    (verdict,) = classification.judge([text], label=[gold], **LABELS)
    assert verdict.status == status


@pytest.mark.parametrize(
    "text,gold,params,score",
    [
        ("#### 100", "100", {}, 1.0),
        ("#### 105", "100", {}, pytest.approx(0.5)),
        ("#### 120", "100", {}, 0.0),
        ("The answer is 3.1", "3", {"abs_tol": 0.2, "rel_tol": 0.0}, pytest.approx(0.5)),
        ("#### 3", "3", {"abs_tol": 0.0, "rel_tol": 0.0}, 1.0),
        ("#### 3.01", "3", {"abs_tol": 0.0, "rel_tol": 0.0}, 0.0),
    ],
)
def test_regression(text, gold, params, score):
    assert regression([text], answer=[gold], **params) == [score]


def test_length_and_repetition_and_cosine():
    assert length_penalty(["x"] * 3, completion_ids=[[0] * 10, [0] * 15, [0] * 30], max_len=20, buffer=10) == [
        0.0,
        -0.5,
        -1.0,
    ]
    assert length_penalty(["a " * 15], max_len=20, buffer=10) == [-0.5]  # words when no token ids
    assert repetition_penalty(["the cat sat on the mat", "la la la la la la"], ngram_size=2) == [
        0.0,
        pytest.approx(-0.8),
    ]
    short_ok, long_ok, short_bad, long_bad = cosine_scaled(
        ["#### 5", "#### 5", "#### 4", "#### 4"],
        completion_ids=[[0], [0] * 100, [0], [0] * 100],
        answer="5",
        max_len=100,
    )
    assert short_ok > long_ok > 0 > long_bad > short_bad
    with pytest.raises(ValueError, match="verifier"):
        cosine_scaled([], verifier="format")
