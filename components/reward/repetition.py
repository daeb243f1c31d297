"""N-gram repetition penalty: the share of repeated word n-grams, scaled to ``max_penalty``."""

from __future__ import annotations

from typing import Annotated

from components.bounds import Ge, Le
from components.reward.base import Verdict, completion_text, register_reward, verdict_reward


@register_reward("repetition", full_marks=0.0)
@verdict_reward
def repetition_penalty(
    completions, *, ngram_size: Annotated[int, Ge(1)] = 3, max_penalty: Annotated[float, Le(0)] = -1.0, **_
) -> list[Verdict]:
    """(1 - unique n-grams / n-grams) * max_penalty; texts shorter than one n-gram score 0.

    >>> repetition_penalty(["a b c d e", "go go go go go", "hi"], ngram_size=2)
    [0.0, -0.75, 0.0]
    """
    out = []
    for completion in completions:
        words = completion_text(completion).lower().split()
        grams = [tuple(words[i : i + ngram_size]) for i in range(len(words) - ngram_size + 1)]
        score = (1.0 - len(set(grams)) / len(grams)) * max_penalty if grams else 0.0
        out.append(Verdict(score + 0.0, "scored"))  # + 0.0 turns -0.0 into 0.0
    return out
