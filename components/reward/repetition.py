"""N-gram repetition penalty: the share of repeated word n-grams, scaled to ``max_penalty``."""

from __future__ import annotations

from components.reward.base import Verdict, completion_text, register_reward, verdict_reward


@register_reward("repetition", full_marks=0.0)
@verdict_reward
def repetition_penalty(completions, *, ngram_size: int = 3, max_penalty: float = -1.0, **_) -> list[Verdict]:
    """(1 - unique n-grams / n-grams) * max_penalty; texts shorter than one n-gram score 0.

    >>> repetition_penalty(["a b c d e", "go go go go go", "hi"], ngram_size=2)
    [0.0, -0.75, 0.0]
    """
    if ngram_size < 1 or max_penalty > 0:
        raise ValueError(
            f"repetition: need ngram_size >= 1 (got {ngram_size}) and max_penalty <= 0 (got {max_penalty})"
        )
    out = []
    for completion in completions:
        words = completion_text(completion).lower().split()
        grams = [tuple(words[i : i + ngram_size]) for i in range(len(words) - ngram_size + 1)]
        score = (1.0 - len(set(grams)) / len(grams)) * max_penalty if grams else 0.0
        out.append(Verdict(score + 0.0, "scored"))  # + 0.0 turns -0.0 into 0.0
    return out
