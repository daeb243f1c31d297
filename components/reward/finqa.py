"""FinQA answer correctness with the tolerance of the field's FinQA evaluation for generated answers.

FinQA's gold is the executed program's value (``exe_ans``): percentages as fractions (0.14464), a few
"yes"/"no". A model writes "14.46%" or "0.145" or "$ 94 million". The comparison is Program-of-Thoughts'
``finqa_equal`` (Chen et al. 2022, github.com/wenhuchen/Program-of-Thoughts, tool.py), the one used for
FinQA by LLM papers since: the prediction matches when it equals the gold, gold x 100 (a fraction written as
a percent) or gold / 100, either within a relative tolerance of 1e-3 (``rel_tol``) or after rounding both
to the fewer decimal places of the two (a "14.5" answer for 0.14464 x 100 = 14.464 is right, "14" is
not: like PoT, which reads numbers as floats, a whole number counts as one decimal place). Written here
on exact decimals because PoT's float ``str()`` precision count is an artefact (14.464000000000002);
ties round half away from zero (4.365 -> 4.37), as a person rounds, where PoT's float result at a tie
depends on binary noise. Kept from PoT, knowingly: its leniency on coarse answers -- "1" is right for a gold of
101, read as 101% = 1.01 and rounded to the prediction's one place (a stricter rule also rejected fair answers
such as "1.20%" for 0.01197, whose trailing zero a number parser cannot see).
The final number is found as the gsm8k reward finds it (the last explicit answer marker, else the last number).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated

from components.bounds import Ge
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
from components.reward.gsm8k import extract_number
from components.reward.numeric import canonical, parse_number

_YES_NO = re.compile(r"\b(yes|no)\b", re.IGNORECASE)
_MARKED = re.compile(r"answer\s*(?:is|:)\s*\**\s*(yes|no)\b", re.IGNORECASE)


def _places(value: Fraction) -> int | None:
    """Decimal places of a terminating value (at least 1, as float str() gives "14.0"); None if it repeats."""
    text = canonical(value)
    if "/" in text:
        return None
    return max(1, len(text.split(".")[1]) if "." in text else 0)


def _round(value: Fraction, places: int) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def finqa_equal(pred: Fraction, gold: Fraction, *, include_percentage: bool = True, rel_tol: float = 1e-3) -> bool:
    """PoT's finqa_equal on exact numbers.

    >>> g = Fraction("0.14464")
    >>> [finqa_equal(Fraction(p), g) for p in ("14.46", "0.1446", "14.5", "14", "0.15")]
    [True, True, True, False, False]
    >>> finqa_equal(Fraction(1), Fraction(101))  # PoT's leniency, kept
    True
    """
    candidates = [gold / 100, gold, gold * 100] if include_percentage else [gold]
    for item in candidates:
        if rel_tol > 0 and abs(pred - item) <= rel_tol * max(abs(pred), abs(item)):
            return True
        places = [p for p in (_places(pred), _places(item)) if p is not None]
        if places and _round(pred, min(places)) == _round(item, min(places)):
            return True
    return False


def _gold_number(text: str) -> Fraction | None:
    if not text:
        return None
    try:
        return Fraction(text)  # exe_ans as Python printed it, "1e-05" included
    except ValueError:
        return parse_number(text)


def _yes_no(text: str) -> str | None:
    marked = _MARKED.findall(text)
    found = marked or _YES_NO.findall(text)
    return found[-1].lower() if found else None


@register_reward("finqa", correctness=True, full_marks="correct_reward")
@verdict_reward
def finqa(
    completions,
    answer=None,
    *,
    include_percentage: bool = True,
    rel_tol: Annotated[float, Ge(0)] = 1e-3,
    correct_reward: float = 1.0,
    wrong_reward: float = 0.0,
    unparseable_reward: float = 0.0,
    **_,
) -> list[Verdict]:
    """FinQA correctness of the completion's final answer against column ``answer`` (exe_ans).

    >>> finqa(["The growth rate is 14.46%.", "The answer is 0.145", "It grew by 14%", "no idea"], answer="0.14464")
    [1.0, 1.0, 0.0, 0.0]
    >>> finqa(["Yes, it did: the answer is yes.", "No."], answer="yes")
    [1.0, 0.0]
    """
    out = []
    for i, completion in enumerate(completions):
        gold_text = str(column(answer, i) if column(answer, i) is not None else "").strip()
        text = completion_text(completion)
        if gold_text.lower() in ("yes", "no"):
            pred = _yes_no(text)
            status = UNPARSEABLE if pred is None else CORRECT if pred == gold_text.lower() else WRONG
            out.append(
                Verdict({CORRECT: correct_reward, WRONG: wrong_reward}.get(status, unparseable_reward), status, pred)
            )
            continue
        gold = _gold_number(gold_text)
        if gold is None:
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        value = extract_number(text)
        if value is None:
            out.append(Verdict(unparseable_reward, UNPARSEABLE))
        elif finqa_equal(value, gold, include_percentage=include_percentage, rel_tol=rel_tol):
            out.append(Verdict(correct_reward, CORRECT, canonical(value)))
        else:
            out.append(Verdict(wrong_reward, WRONG, canonical(value)))
    return out
