"""Calculator (ast, never eval) and BM25 lookup: right answers, refusals as ToolError, never a crash."""

from __future__ import annotations

import json

import pytest

from components.tools.base import ToolError
from components.tools.calculator import Calculator
from components.tools.lookup import CorpusLookup


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("123 * 456", "56088"),
        ("1,234 * 5", "6170"),
        ("(2 + 3) * 4", "20"),
        ("7 / 2", "3.5"),
        ("2^10", "1024"),
        ("-3 * 4", "-12"),
        ("10 // 3", "3"),
        ("12 × 3", "36"),
    ],
)
def test_calculator_answers(expression, expected):
    assert Calculator().evaluate(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd').read()",
        "x + 1",
        "1 / 0",
        "9 ** 9 ** 9",
        "",
        "1 +",
        "[1, 2]",
        "'a' * 3",
        "10 ** 100",
    ],
)
def test_calculator_refuses_with_tool_error(expression):
    with pytest.raises(ToolError):
        Calculator(max_result_digits=60).evaluate(expression)


def test_calculator_function_is_what_trl_renders():
    from transformers.utils import get_json_schema

    schema = get_json_schema(Calculator().function())
    assert schema["function"]["name"] == "calculator"
    assert list(schema["function"]["parameters"]["properties"]) == ["expression"]


def test_lookup_ranks_the_passage_with_the_rare_query_words(tmp_path):
    corpus = tmp_path / "passages.jsonl"
    rows = [
        {"title": "Paris", "text": "Paris is the capital of France and its largest city."},
        {"title": "Oslo", "text": "Oslo is the capital of Norway."},
        {"title": "Tea", "text": "The the the of of of and and and is is is."},
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    lookup = CorpusLookup(str(corpus), top_k=1)
    assert lookup.search("capital of Norway").startswith("Oslo:")
    with pytest.raises(ToolError):
        lookup.search("zebra")


def test_lookup_bad_corpus_is_one_line_naming_the_key(tmp_path):
    with pytest.raises(ValueError, match="corpus"):
        CorpusLookup(str(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"body": "x"}\n')
    with pytest.raises(ValueError, match="text_field"):
        CorpusLookup(str(bad))
