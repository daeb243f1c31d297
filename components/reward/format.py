"""Format reward: configurable tags and/or a regex, with partial credit per tag.

Partial credit gives a small model a gradient towards the format before it can produce all of
it at once; a full regex match (when configured) is the only way to the top score.
"""

from __future__ import annotations

import re

from components.reward.base import (
    CORRECT,
    PARTIAL,
    WRONG,
    Verdict,
    completion_text,
    register_reward,
    verdict_reward,
)


def _tag_ok(text: str, tag: str, after: int) -> tuple[bool, int]:
    """Exactly one ``<tag>...</tag>`` pair opening at/after ``after``; returns (ok, end)."""
    opens = [m.start() for m in re.finditer(rf"<{re.escape(tag)}>", text)]
    closes = [m.end() for m in re.finditer(rf"</{re.escape(tag)}>", text)]
    if len(opens) != 1 or len(closes) != 1 or not (after <= opens[0] < closes[0]):
        return False, after
    return True, closes[0]


@register_reward("format", full_marks="reward")
@verdict_reward
def format_reward(
    completions,
    *,
    tags: list[str] = ("think", "answer"),
    ordered: bool = True,
    regex: str | None = None,
    match: str = "search",
    reward: float = 1.0,
    **_,
) -> list[Verdict]:
    """``reward`` split evenly over ``tags`` (each must appear exactly once, in order if
    ``ordered``) and ``regex`` (``match``: "search" anywhere or "fullmatch" the whole text).

    >>> format_reward(["<think>a</think><answer>1</answer>", "<answer>1</answer>", "1"])
    [1.0, 0.5, 0.0]
    >>> format_reward(["The answer is 5", "5"], tags=[], regex=r"answer is \\d")
    [1.0, 0.0]
    """
    if match not in ("search", "fullmatch"):
        raise ValueError(f"format: param match={match!r} must be 'search' or 'fullmatch'")
    pattern = re.compile(regex, re.DOTALL) if regex else None
    parts = len(tags) + (1 if pattern else 0)
    if parts == 0:
        raise ValueError("format: params tags and regex are both empty; set at least one")
    out = []
    for completion in completions:
        text, hits, pos = completion_text(completion), 0, 0
        for tag in tags:
            ok, end = _tag_ok(text, tag, pos if ordered else 0)
            hits += ok
            pos = end if ok else pos
        if pattern is not None:
            hits += bool(pattern.search(text) if match == "search" else pattern.fullmatch(text.strip()))
        status = CORRECT if hits == parts else PARTIAL if hits else WRONG
        out.append(Verdict(reward * hits / parts, status))
    return out
