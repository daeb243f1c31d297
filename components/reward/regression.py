"""Regression reward: numeric closeness to the gold, mapped linearly to [0, 1] by a tolerance."""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge
from components.reward.base import (
    CORRECT,
    NOT_APPLICABLE,
    PARTIAL,
    UNPARSEABLE,
    WRONG,
    Verdict,
    column,
    completion_text,
    register_reward,
    verdict_reward,
)
from components.reward.gsm8k import extract_number, gold_number
from components.reward.numeric import canonical


@register_reward("regression", correctness=True)
@verdict_reward
def regression(
    completions,
    answer=None,
    *,
    abs_tol: Annotated[float, Ge(0)] = 0.0,
    rel_tol: Annotated[float, Ge(0)] = 0.1,
    **_,
) -> list[Verdict]:
    """1 - |pred - gold| / tol, floored at 0, where tol = max(abs_tol, rel_tol * |gold|).
    With both tolerances 0 it is exact match. The number is extracted like gsm8k (lenient).

    >>> regression(["#### 100", "#### 95", "#### 90", "#### 80", "none"], answer="100")
    [1.0, 0.5, 0.0, 0.0, 0.0]
    """
    out = []
    for i, completion in enumerate(completions):
        gold = gold_number(column(answer, i))
        if gold is None:
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        pred = extract_number(completion_text(completion))
        if pred is None:
            out.append(Verdict(0.0, UNPARSEABLE))
            continue
        err, tol = abs(float(pred - gold)), max(abs_tol, rel_tol * abs(float(gold)))
        score = float(err == 0) if tol == 0 else max(0.0, 1.0 - err / tol)
        status = CORRECT if score == 1.0 else PARTIAL if score > 0 else WRONG
        out.append(Verdict(score, status, canonical(pred)))
    return out
