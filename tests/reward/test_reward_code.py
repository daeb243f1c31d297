"""Code reward: HumanEval and MBPP rows, body vs fenced whole-function completions."""

import pytest

from components.reward.code import build_program, code, extract_code

STUB = 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Add two numbers."""\n'
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
HUMANEVAL = {"code_prompt": STUB, "test": TEST, "entry_point": "add"}

COMPLETIONS = [
    ("    return a + b\n", "correct"),  # body continuing the stub
    ("```python\ndef add(a, b):\n    return a + b\n```", "correct"),  # fenced whole function
    ("Sure!\n```\ndef add(a, b):\n    return b + a\n```\nIt adds.", "correct"),
    (
        "```python\ndef helper():\n    pass\n```\n```python\ndef add(a, b):\n    return a + b\n```",
        "correct",
    ),
    ("    return a - b\n", "wrong"),
    ("    return a +\n", "unparseable"),  # SyntaxError
    ("", "unparseable"),
    ("    import sys; sys.exit(0)\n", "wrong"),
]


@pytest.mark.parametrize("completion,status", COMPLETIONS)
def test_humaneval_rows(completion, status):
    (verdict,) = code.judge([completion], **{k: [v] for k, v in HUMANEVAL.items()}, timeout_s=5)
    assert verdict.status == status


def test_string_prompt_stands_in_for_code_prompt():
    # mode=score rows straight from HumanEval files carry the stub as `prompt`.
    assert code(["    return a + b\n"], prompt=[STUB], test=[TEST], entry_point=["add"]) == [1.0]


def test_mbpp_rows():
    tests = ["assert square(3) == 9", "assert square(-2) == 4"]
    out = code(
        ["```python\ndef square(x):\n    return x * x\n```", "def square(x):\n    return 2 * x\n"],
        test_list=[tests, tests],
        test_setup_code=["import math", ""],
    )
    assert out == [1.0, 0.0]


def test_rows_without_tests_are_not_applicable():
    assert code(["print(1)"], answer=["1"]) == [None]


def test_extract_code_prefers_entry_point_block():
    text = "```python\ndef other():\n    pass\n```\n```python\ndef f(x):\n    return x\n```"
    assert extract_code(text, "f").startswith("def f")
    assert extract_code("no fences here") == "no fences here"
    assert "check(add)" in build_program("    return a + b\n", HUMANEVAL)


def test_bad_params():
    with pytest.raises(ValueError, match="workers"):
        code([], workers=0)
