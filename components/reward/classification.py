"""Classification reward: the predicted label (after aliases) must equal the gold label."""

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
from components.reward.text_norm import final_answer_text, normalize


def _alias_table(labels: list[str], aliases: dict[str, list[str]]) -> dict[str, str]:
    table = {normalize(label): label for label in labels}
    for label, names in aliases.items():
        for name in [label, *names]:
            table[normalize(name)] = label
    return table


@register_reward("classification", correctness=True, full_marks="correct_reward")
@verdict_reward
def classification(
    completions,
    label=None,
    answer=None,
    *,
    labels: list[str] = (),
    aliases: dict[str, list[str]] | None = None,
    answer_tag: str | None = "answer",
    correct_reward: float = 1.0,
    **_,
) -> list[Verdict]:
    """Label match: the answer span (or, failing an exact alias, the last label word mentioned)
    mapped through ``aliases`` must equal column ``label`` (or ``answer``). A span naming no known
    label is unparseable.

    >>> classification(["<answer>Positive</answer>", "<answer>bad</answer>", "<answer>meh</answer>"],
    ...                label=["pos"] * 3, labels=["pos", "neg"], aliases={"pos": ["positive"], "neg": ["bad"]})
    [1.0, 0.0, 0.0]
    """
    table = _alias_table(list(labels), dict(aliases or {}))
    if not table:
        raise ValueError("classification: params labels/aliases are empty; list the labels")
    names = sorted(table, key=len, reverse=True)
    mention = re.compile(r"\b(" + "|".join(re.escape(n) for n in names if n) + r")\b")
    out = []
    for i, completion in enumerate(completions):
        gold = column(label, i) if label is not None else column(answer, i)
        if gold is None:
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        gold = table.get(normalize(str(gold)), str(gold))
        span = final_answer_text(completion_text(completion), answer_tag)
        norm = normalize(span) if span else ""
        pred = table.get(norm)
        if pred is None and norm:
            found = mention.findall(norm)
            pred = table[found[-1]] if found else None
        if pred is None:
            out.append(Verdict(0.0, UNPARSEABLE))
        else:
            out.append(
                Verdict(
                    correct_reward if pred == gold else 0.0,
                    CORRECT if pred == gold else WRONG,
                    pred,
                )
            )
    return out
