"""Yes/no answers (BoolQ): the completion's answer word -- yes/no/true/false -- against column ``answer``.

Where the answer is read (the "why": a yes/no reply states its answer up front, "Yes, because ...", while
a later "no" is usually part of the reasoning, "there is no ..."):
1. after the last explicit marker ("answer is", "Answer:"), or inside the last ``<answer_tag>`` when set;
2. else the first yes/no/true/false word of the completion.
The gold may be a bool or any of yes/no/true/false (any case).
"""

from __future__ import annotations

import re

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
from components.reward.text_norm import final_answer_text

_WORD = re.compile(r"\b(yes|no|true|false)\b", re.IGNORECASE)
_MARKER = re.compile(r"\banswer\s*(?:is|:)\s*", re.IGNORECASE)
_VALUE = {"yes": "yes", "true": "yes", "no": "no", "false": "no"}


def read_yes_no(text: str, answer_tag: str | None = None) -> str | None:
    """ "yes", "no" or None.

    >>> [read_yes_no(t) for t in ["Yes, there is no doubt.", "False.", "The answer is: no", "maybe"]]
    ['yes', 'no', 'no', None]
    """
    if answer_tag:
        span = final_answer_text(text, answer_tag)
        if span is not None:
            text = span
    markers = list(_MARKER.finditer(text))
    if markers:
        after = _WORD.match(text, markers[-1].end())
        if after:
            return _VALUE[after.group(1).lower()]
    found = _WORD.search(text)
    return _VALUE[found.group(1).lower()] if found else None


def _gold(value) -> str | None:
    if value is None:
        return None
    return _VALUE.get(str(value).strip().lower())


@register_reward("yes_no", correctness=True, full_marks="correct_reward")
@verdict_reward
def yes_no(
    completions,
    answer=None,
    *,
    answer_tag: str | None = None,
    correct_reward: float = 1.0,
    wrong_reward: float = 0.0,
    unparseable_reward: float = 0.0,
    **_,
) -> list[Verdict]:
    """1.0 when the completion's yes/no equals the gold.

    >>> yes_no(["Yes, it is.", "No.", "True", "I am not sure."], answer=[True, "yes", "no", "no"])
    [1.0, 0.0, 0.0, 0.0]
    """
    out = []
    for i, completion in enumerate(completions):
        gold = _gold(column(answer, i))
        if gold is None:
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        pred = read_yes_no(completion_text(completion), answer_tag)
        if pred is None:
            out.append(Verdict(unparseable_reward, UNPARSEABLE))
        else:
            ok = pred == gold
            out.append(Verdict(correct_reward if ok else wrong_reward, CORRECT if ok else WRONG, pred))
    return out
