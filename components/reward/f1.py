"""SQuAD-style token F1 between the answer text and the best-matching gold (partial credit)."""

from __future__ import annotations

from collections import Counter

from components.reward.base import (
    CORRECT,
    PARTIAL,
    WRONG,
    Verdict,
    register_reward,
    verdict_reward,
)
from components.reward.exact_match import graded_spans
from components.reward.text_norm import normalize


def token_f1(pred: str, gold: str) -> float:
    """SQuAD token F1 on normalised text.

    >>> round(token_f1("the big red dog", "a red dog"), 3)
    0.8
    """
    p, g = normalize(pred).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


@register_reward("f1", correctness=True)
@verdict_reward
def f1(completions, answer=None, *, answer_tag: str | None = "answer", first_line: bool = False, **_) -> list[Verdict]:
    """Max token F1 over golds of the answer span (inside the last <answer_tag> if set).

    >>> f1(["<answer>red dog</answer>", "<answer>cat</answer>", "no tags"], answer=["a red dog"] * 3)
    [1.0, 0.0, 0.0]
    """
    out = []
    for gold, span in graded_spans(completions, answer, answer_tag, first_line):
        if gold is None:
            out.append(span)  # its verdict
            continue
        score = max(token_f1(span, g) for g in gold)
        status = CORRECT if score == 1.0 else PARTIAL if score > 0 else WRONG
        out.append(Verdict(score, status, normalize(span)))
    return out
