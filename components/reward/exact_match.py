"""Exact match of the (normalised) answer text against column ``answer`` (str or list of str)."""

from __future__ import annotations

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
from components.reward.text_norm import final_answer_text, first_text_line, normalize


def golds(value) -> list[str]:
    """A gold column cell as a list of acceptable answers."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def graded_spans(completions, answer, answer_tag: str | None, first_line: bool):
    """Per completion: (its gold answers, the text to grade), or (None, the verdict) when there is nothing to
    grade: no gold (not applicable), no answer span or a blank one (unparseable).

    >>> list(graded_spans(["<answer>Paris\\nthe capital</answer>", "no tag"], ["paris", "lyon"], "answer", True))
    [(['paris'], 'Paris'), (None, Verdict(score=0.0, status='unparseable', answer=None))]
    """
    for i, completion in enumerate(completions):
        gold = golds(column(answer, i))
        if not gold:
            yield None, Verdict(None, NOT_APPLICABLE)
            continue
        span = final_answer_text(completion_text(completion), answer_tag)
        if first_line and span:
            span = first_text_line(span)
        yield (gold, span) if span is not None and span.strip() else (None, Verdict(0.0, UNPARSEABLE))


@register_reward("exact_match", correctness=True, full_marks="correct_reward")
@verdict_reward
def exact_match(
    completions,
    answer=None,
    *,
    answer_tag: str | None = "answer",
    first_line: bool = False,
    lowercase: bool = True,
    strip_punctuation: bool = True,
    remove_articles: bool = True,
    correct_reward: float = 1.0,
    **_,
) -> list[Verdict]:
    """1.0 when the answer (inside the last <answer_tag> if set) equals any gold after normalising.

    >>> exact_match(["<answer>The Paris.</answer>", "<answer>Lyon</answer>", "Paris"], answer=["paris"] * 3)
    [1.0, 0.0, 0.0]
    >>> exact_match(["Paris"], answer=[["Paris", "Paris, France"]], answer_tag=None)
    [1.0]
    """
    opts = dict(lowercase=lowercase, strip_punctuation=strip_punctuation, remove_articles=remove_articles)
    out = []
    for gold, span in graded_spans(completions, answer, answer_tag, first_line):
        if gold is None:
            out.append(span)  # its verdict
            continue
        pred = normalize(span, **opts)
        hit = pred in {normalize(g, **opts) for g in gold}
        out.append(Verdict(correct_reward, CORRECT, pred) if hit else Verdict(0.0, WRONG, pred))
    return out
