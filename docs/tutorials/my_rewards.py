"""The custom reward of tutorial 2 (02_custom_reward.ipynb): importable as my_rewards.<function> with this folder
on PYTHONPATH. In your own project the function goes into components/reward/ instead."""

from __future__ import annotations

import re

from components.reward.base import completion_text

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def mentions_answer(completions, answer=None, *, reward: float = 1.0, **_) -> list[float | None]:
    """`reward` when the gold answer appears as a whole number in the completion, else 0.0; None without one.

    >>> mentions_answer(["12 + 34 = 46", "it is 460", "no idea"], answer=["46", "46", None])
    [1.0, 0.0, None]
    """
    golds = answer if answer is not None else [None] * len(completions)
    out = []
    for completion, gold in zip(completions, golds):
        if gold is None:
            out.append(None)
            continue
        numbers = NUMBER.findall(completion_text(completion).replace(",", ""))
        out.append(reward if str(gold).strip() in numbers else 0.0)
    return out
