"""The math-verify process: reads JSON lines {"gold", "pred"}, writes {"status", "answer"} lines.

It runs as ``python -m components.reward.math_worker`` in its own process, because sympy can
spin for minutes on adversarial input and a stuck thread cannot be killed; a process can.
Here math-verify's own signal.alarm timeout is valid (this is the worker's main thread); the
client (math.py) adds a hard wall-clock deadline on top and kills this process when exceeded.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from functools import lru_cache

from components.reward.numeric import canonical


def _canonical(expr) -> str:
    from fractions import Fraction

    import sympy

    if isinstance(expr, sympy.Rational):  # same normal form as the regex fast path: "0.5", "18"
        return canonical(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Float):  # "0.750000000000000" -> "0.75"
        return canonical(Fraction(str(expr)))
    return str(expr)


@lru_cache(maxsize=4096)  # a gold repeats num_generations times per prompt
def _parse_gold(gold: str, timeout: int):
    from math_verify import parse

    # an escaped "\\$" (MATH's "\\$18.90") is a dollar sign, not a math delimiter: such a gold is wrapped too
    delimited = re.search(r"(?<!\\)\$", gold) or "\\boxed" in gold or "\\(" in gold
    text = gold if delimited else f"${gold}$"
    return parse(text, parsing_timeout=timeout)


def judge(gold: str, pred: str, timeout: int) -> dict:
    from math_verify import parse, verify

    gold_parsed = _parse_gold(gold, timeout)
    if not gold_parsed:
        return {"status": "n/a", "answer": None}
    pred_parsed = parse(pred, parsing_timeout=timeout)
    if not pred_parsed:
        return {"status": "unparseable", "answer": None}
    ok = verify(gold_parsed, pred_parsed, timeout_seconds=timeout)
    return {"status": "correct" if ok else "wrong", "answer": _canonical(pred_parsed[0])}


def main() -> None:
    logging.disable(logging.WARNING)  # math-verify logs on every parse timeout/failure
    timeout = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    import math_verify  # noqa: F401  (import before the ready line so the first call is not slow)

    sys.stdout.write('{"ready": true}\n')
    sys.stdout.flush()
    for line in sys.stdin:
        req = json.loads(line)
        try:
            res = judge(req["gold"], req["pred"], timeout)
        except Exception as exc:  # noqa: BLE001  (a verifier error is an unparseable answer, not a crash)
            res = {"status": "unparseable", "answer": None, "error": repr(exc)[:200]}
        sys.stdout.write(json.dumps(res) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
