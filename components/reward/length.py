"""Length shaping: DAPO-style overlong penalty and cosine length-scaled correctness.

Length is counted in tokens when TRL passes ``completion_ids``, else in whitespace words, so
the same config works in training and in offline scoring (where no tokenizer is loaded).
"""

from __future__ import annotations

import math
from typing import Annotated

from components.bounds import Gt
from components.reward.base import (
    CORRECT,
    NOT_APPLICABLE,
    Verdict,
    completion_text,
    register_reward,
    verdict_reward,
)
from components.reward.discovery import registry


def lengths(completions, completion_ids=None) -> list[int]:
    if completion_ids is not None:
        return [len(ids) for ids in completion_ids]
    return [len(completion_text(c).split()) for c in completions]


@register_reward("length", full_marks=0.0)
@verdict_reward
def length_penalty(
    completions,
    completion_ids=None,
    *,
    max_len: int = 1024,
    buffer: int = 256,
    penalty: float = 1.0,
    **_,
) -> list[Verdict]:
    """0 up to ``max_len - buffer``, then linearly down to ``-penalty`` at ``max_len`` and beyond.

    >>> length_penalty(["a"] * 3, completion_ids=[[0] * 700, [0] * 900, [0] * 2000], max_len=1000, buffer=200)
    [0.0, -0.5, -1.0]
    """
    if not 0 < buffer <= max_len:
        raise ValueError(f"length: params need 0 < buffer ({buffer}) <= max_len ({max_len})")
    out = []
    for n in lengths(completions, completion_ids):
        over = min(1.0, max(0.0, (n - (max_len - buffer)) / buffer))
        out.append(Verdict(-penalty * over + 0.0, "scored"))  # + 0.0: no -0.0
    return out


@register_reward("cosine", correctness=True, full_marks="max_value_correct")
@verdict_reward
def cosine_scaled(
    completions,
    completion_ids=None,
    *,
    verifier: str = "gsm8k",
    max_len: Annotated[int, Gt(0)] = 1000,
    min_value_wrong: float = -1.0,
    max_value_wrong: float = -0.5,
    min_value_correct: float = 0.5,
    max_value_correct: float = 1.0,
    **columns,
) -> list[Verdict]:
    """Correctness from ``verifier`` (a registered correctness reward, default params), scaled by
    length on a cosine: short correct answers earn most, long wrong ones are penalised least.

    >>> cosine_scaled(["#### 5", "#### 4"], completion_ids=[[0] * 10, [0] * 10], answer="5", max_len=10)
    [0.5, -0.5]
    """

    entry = registry().get(verifier)
    if entry is None or not entry.correctness:
        raise ValueError(f"cosine: param verifier={verifier!r} is not a registered correctness reward")
    if not completions:
        return []
    verdicts = entry.fn.judge(completions, **columns)
    out = []
    for v, n in zip(verdicts, lengths(completions, completion_ids)):
        if v.status == NOT_APPLICABLE:
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        cosine = math.cos(min(n, max_len) / max_len * math.pi)
        lo, hi = (min_value_correct, max_value_correct) if v.status == CORRECT else (max_value_wrong, min_value_wrong)
        out.append(Verdict(lo + 0.5 * (hi - lo) * (1.0 + cosine), v.status, v.answer))
    return out
