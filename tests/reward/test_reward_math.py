"""math-verify reward: LaTeX forms, the hard timeout, and non-main-thread use."""

import sys
import threading
import time

import pytest

import components.reward.math as math_mod
from components.reward.math import math_reward

CASES = [
    # (completion, gold, status)
    ("so $x = \\boxed{\\frac{1}{2}}$", "0.5", "correct"),
    ("\\boxed{0.5}", "\\frac12", "correct"),
    ("The answer is $\\boxed{\\$1,234}$", "1234", "correct"),
    ("\\boxed{50\\%}", "50", "wrong"),  # math-verify's own verdict (the fast path never overrides it)
    ("\\boxed{5\\text{ cm}}", "5", "correct"),
    ("\\boxed{\\dfrac{3}{4}}", "0.75", "correct"),
    ("The final answer is $\\frac{\\sqrt{2}}{2}$", "\\frac{1}{\\sqrt{2}}", "correct"),
    ("Therefore $\\boxed{(x+1)^2}$", "x^2+2x+1", "correct"),
    ("\\boxed{\\pi}", "\\pi", "correct"),
    ("\\boxed{3}", "4", "wrong"),
    ("\\boxed{x^2+1}", "x^2", "wrong"),
    ("I cannot solve this.", "4", "unparseable"),
]


@pytest.mark.parametrize("completion,gold,status", CASES)
def test_math_verdicts(completion, gold, status):
    (verdict,) = math_reward.judge([completion], answer=[gold])
    assert verdict.status == status
    assert verdict.score == (1.0 if status == "correct" else 0.0)


def test_missing_gold_not_applicable():
    assert math_reward(["\\boxed{1}"], answer=[None]) == [None]


def test_works_off_the_main_thread():
    out = []
    thread = threading.Thread(target=lambda: out.append(math_reward(["$\\frac{6}{8}$", "$2$"], answer="3/4")))
    thread.start()
    thread.join(60)
    assert out == [[1.0, 0.0]]


HANGING_WORKER = """
import json, sys, time
print('{"ready": true}', flush=True)
for line in sys.stdin:
    if "HANG" in line:
        time.sleep(3600)
    print(json.dumps({"status": "correct", "answer": "1"}), flush=True)
"""


def test_hard_timeout_kills_a_stuck_verifier(monkeypatch):
    # A verifier stuck in C code ignores signals; the client must kill it and move on.
    monkeypatch.setattr(math_mod, "worker_command", lambda timeout: [sys.executable, "-c", HANGING_WORKER])
    monkeypatch.setattr(math_mod, "_WORKERS", {})
    start = time.monotonic()
    verdicts = math_reward.judge(["$a$", "$HANG$", "$b$"], answer="1", timeout_seconds=1.0)
    assert time.monotonic() - start < 10
    assert [v.status for v in verdicts] == ["correct", "unparseable", "correct"]
    math_mod._close_all()


def test_bad_timeout_param():
    with pytest.raises(ValueError, match="timeout_seconds"):
        math_reward([], timeout_seconds=0)
