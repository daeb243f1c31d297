"""Math answer correctness with math-verify, behind a hard timeout that cannot hang the trainer.

math-verify's own timeout uses signal.alarm, which raises outside the main thread (async reward
functions, server request threads) and cannot stop C-level loops. So verification runs in a
separate worker process (math_worker.py) that the client here kills when an answer takes longer
than ``timeout_seconds``; that answer scores as unparseable and the worker restarts.
A regex fast path settles the common case (a plain number in the only \\boxed{} against a plain numeric
gold) without sympy or IPC, by exact Fraction comparison; it takes only the forms on which math-verify's own
verdict is that same comparison (a differential test pins it), so it never changes a verdict.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Annotated

from components.bounds import Gt
from components.reward.base import (
    CORRECT,
    NOT_APPLICABLE,
    UNPARSEABLE,
    WRONG,
    Verdict,
    column,
    completion_text,
    register_reward,
    verdict_reward,
)
from components.reward.gsm8k import boxed_content
from components.reward.numeric import canonical, parse_number

_REPO_ROOT = Path(__file__).resolve().parents[2]
_WINDOW = 32  # requests in flight: small enough that neither pipe can fill (no deadlock)
_TAIL = 8000  # chars of a completion sent to the verifier; the final answer is at the end
_STARTUP_S = 120.0  # importing sympy on a busy 2-core box


def worker_command(timeout: float) -> list[str]:
    return [sys.executable, "-m", "components.reward.math_worker", str(max(1, round(timeout)))]


class _Worker:
    """One math_worker process and its line protocol, with a deadline on every reply."""

    def __init__(self, timeout: float):
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(_REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        self.proc = subprocess.Popen(
            worker_command(timeout),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=str(_REPO_ROOT),
        )
        self.buf = b""
        if self.readline(_STARTUP_S) is None:
            self.close()
            raise RuntimeError("math-verify worker did not start (is math-verify installed?)")

    def readline(self, deadline_s: float) -> dict | None:
        end = time.monotonic() + deadline_s
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:  # worker died
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()


_LOCK = threading.Lock()  # one caller at a time talks to the worker
_WORKERS: dict[float, _Worker] = {}


def _close_all() -> None:
    for worker in _WORKERS.values():
        worker.close()
    _WORKERS.clear()


atexit.register(_close_all)


def verify_batch(pairs: list[tuple[str, str]], timeout: float) -> list[dict]:
    """math-verify every (gold, pred) in the worker; a reply later than ``timeout`` s kills it."""
    results: list[dict] = []
    with _LOCK:
        while len(results) < len(pairs):
            worker = _WORKERS.get(timeout)
            if worker is None or worker.proc.poll() is not None:
                worker = _WORKERS[timeout] = _Worker(timeout)
            sent = len(results)
            try:
                while len(results) < len(pairs):
                    while sent < len(pairs) and sent - len(results) < _WINDOW:
                        gold, pred = pairs[sent]
                        worker.proc.stdin.write((json.dumps({"gold": gold, "pred": pred}) + "\n").encode())
                        sent += 1
                    worker.proc.stdin.flush()
                    reply = worker.readline(timeout + 1.0)
                    if reply is None:
                        raise TimeoutError
                    results.append(reply)
            except (TimeoutError, BrokenPipeError):
                worker.close()  # the stuck answer scores 0; the rest are re-sent to a fresh worker
                del _WORKERS[timeout]
                results.append({"status": "timeout", "answer": None})
    return results


# The fast path only takes forms on which math-verify's own verdict is known to be the exact comparison
# (pinned by tests/reward/test_math_fast_path.py, a differential test against math-verify): a plain number
# (optional sign, optional "\\$", "1,234" thousands groups, at most 5 decimals so math-verify's 6-place float
# rounding cannot merge two distinct values, at most 15 digits) or \\frac{a}{b}. Anything else ("50\\%",
# units, "1,22", "1\\,000") goes to math-verify, whose verdicts there are not plain number equality.
_PLAIN = re.compile(r"-?(?:\\\$|\$)?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,5})?")
_FRAC = re.compile(r"-?\\[dt]?frac\{\d+\}\{[1-9]\d*\}")
# math-verify reads "final answer is X" before any \\boxed{}, and joins several \\boxed{} into a set; a
# completion with either goes to math-verify.
_FINAL = re.compile(r"final\s+answer", re.IGNORECASE)


def _plain_number(text: str) -> Fraction | None:
    text = text.strip()
    if not (_PLAIN.fullmatch(text) or _FRAC.fullmatch(text)) or sum(c.isdigit() for c in text) > 15:
        return None
    return parse_number(text)


def _fast(gold: str, text: str) -> Verdict | None:
    """Numeric gold and a plain number in the only \\boxed{}: decide exactly, no sympy (None: ask math-verify)."""
    gold = gold.strip().strip("$")
    # a gold written "\\$5" is not a number to math-verify (n/a): only the completion may carry "\\$"
    gold_value = _plain_number(gold) if "\\" not in gold or "frac" in gold else None
    if gold_value is None or text.count("\\boxed") != 1 or "\\fbox" in text or _FINAL.search(text):
        return None
    at = text.find("\\boxed{")
    content = boxed_content(text, at + len("\\boxed")) if at >= 0 else None
    pred = _plain_number(content) if content is not None else None
    if pred is None:
        return None
    return Verdict(None, CORRECT if pred == gold_value else WRONG, canonical(pred))


@register_reward("math", correctness=True, full_marks="correct_reward")
@verdict_reward
def math_reward(
    completions,
    answer=None,
    *,
    timeout_seconds: Annotated[float, Gt(0)] = 5.0,
    correct_reward: float = 1.0,
    wrong_reward: float = 0.0,
    unparseable_reward: float = 0.0,
    **_,
) -> list[Verdict]:
    """Symbolic equivalence (math-verify) of the completion's final answer and column ``answer``.

    >>> math_reward(["so $x=\\\\boxed{\\\\frac12}$", "\\\\boxed{0.5}", "\\\\boxed{2}", "hmm"], answer="0.5")
    [1.0, 1.0, 0.0, 0.0]
    >>> math_reward(["The answer is $\\\\boxed{\\\\sqrt{2}/2}$"], answer=["\\\\frac{\\\\sqrt{2}}{2}"])
    [1.0]
    """
    verdicts: list[Verdict | None] = []
    slow: list[tuple[int, str, str]] = []
    for i, completion in enumerate(completions):
        gold = column(answer, i)
        if gold is None or not str(gold).strip():
            verdicts.append(Verdict(None, NOT_APPLICABLE))
            continue
        text = completion_text(completion)[-_TAIL:]
        verdicts.append(_fast(str(gold), text))
        if verdicts[-1] is None:
            slow.append((i, str(gold), text))
    results = verify_batch([(g, t) for _, g, t in slow], float(timeout_seconds)) if slow else []
    for (i, _g, _t), res in zip(slow, results):
        status = res["status"] if res["status"] in (CORRECT, WRONG, NOT_APPLICABLE) else UNPARSEABLE
        verdicts[i] = Verdict(None, status, res.get("answer"))
    score = {
        CORRECT: correct_reward,
        WRONG: wrong_reward,
        UNPARSEABLE: unparseable_reward,
        NOT_APPLICABLE: None,
    }
    return [Verdict(score[v.status], v.status, v.answer) for v in verdicts]
