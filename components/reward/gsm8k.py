"""GSM8K-style final-answer reward: find the model's final number, compare exactly to the gold.

Extraction order (the "why": a model's last stated answer is its answer, but working-out numbers
after it must not override an explicit marker):
1. explicit markers -- ``#### N``, "The (final) answer is N", "Answer: N", ``A: N``, ``\\boxed{N}``;
   the last marker in the text wins, so a completion that states several final answers is graded by
   the last one it states; a marker followed by an equation ("The answer is: 13 + 37 = 50") is graded
   by the equation's result (50), never by its first operand;
2. lenient mode only: the last number anywhere.
``strict=True`` accepts only ``#### N`` (the GSM8K training format).
Numbers are normalised: commas, ``$``, ``%``, trailing units and ``.0`` never change the value.
"""

from __future__ import annotations

import re
from fractions import Fraction

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
from components.reward.numeric import canonical, find_numbers, first_number, parse_number

_MARKERS = re.compile(
    r"####"
    r"|\b(?:the\s+)?(?:final\s+)?answer\s*(?:is|:|=)\s*:?"
    r"|(?:^|(?<=\s))A:"
    r"|\\boxed\s*(?=\{)|\\fbox\s*(?=\{)",
    re.IGNORECASE | re.MULTILINE,
)
_HASHES = re.compile(r"####")
_SPAN = 80  # how far after a marker the number may appear ("The answer is: $\n 1,234")
# The left-hand side of an equation: numbers, operators, brackets and LaTeX operator names only, so
# "The answer is 12. Then 3 * 4 = 12" is the number 12, not an equation ("12. Then 3 * 4").
_ARITHMETIC = re.compile(r"[\s:$]*(?:[\d.,()+\-*/×÷^ \t]|\\times|\\cdot|\\div|\\left|\\right)*\d[\d.,()\s]*")


def equation_result(text: str) -> str:
    """``text`` from the result of a leading equation on: "45 + 38 = 83." -> " 83."; else ``text`` unchanged.

    >>> equation_result(": 45 + 38 = 71 apples"), equation_result("12. Then 3 * 4 = 12")
    (' 71 apples', '12. Then 3 * 4 = 12')
    """
    pos = 0
    while (eq := text.find("=", pos, pos + _SPAN)) >= 0 and _ARITHMETIC.fullmatch(text, pos, eq):
        pos = eq + 1  # chains ("2 + 3 = 5 = 5") end at their last result
    return text[pos:]


def boxed_content(text: str, start: int) -> str | None:
    """The balanced ``{...}`` content starting at ``text[start] == '{'``."""
    depth = 0
    for i in range(start, min(len(text), start + 500)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    return None


def extract_number(text: str, strict: bool = False) -> Fraction | None:
    """The final numeric answer in ``text`` (see module doc), or None when there is none.

    >>> [extract_number(t) for t in ["so 3+4=7.\\n#### 7", "The answer is $1,234.", "\\\\boxed{\\\\frac12}"]]
    [Fraction(7, 1), Fraction(1234, 1), Fraction(1, 2)]
    >>> extract_number("It is 12 apples", strict=True) is None
    True
    """
    for marker in reversed(list((_HASHES if strict else _MARKERS).finditer(text))):
        tail = text[marker.end() :]
        if marker.group().lower().startswith(("\\boxed", "\\fbox")):
            span = boxed_content(text, marker.end() + tail.index("{"))
            value = parse_number(span) if span is not None else None
            if value is None and span is not None:
                value = first_number(equation_result(span))
        else:
            value = first_number(equation_result(tail)[:_SPAN])
        if value is not None:
            return value
    if strict:
        return None
    numbers = find_numbers(text)
    return numbers[-1] if numbers else None


def gold_number(answer: object) -> Fraction | None:
    """The gold value: a bare answer ("81", "\\frac{1}{2}") or a full GSM8K solution ("... #### 18")."""
    if answer is None:
        return None
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        return Fraction(str(answer))
    text = str(answer)
    if "####" in text:
        return extract_number(text, strict=True)
    return parse_number(text) if parse_number(text) is not None else extract_number(text)


@register_reward("gsm8k", correctness=True, full_marks="correct_reward")
@verdict_reward
def gsm8k(
    completions,
    answer=None,
    *,
    strict: bool = False,
    correct_reward: float = 1.0,
    wrong_reward: float = 0.0,
    unparseable_reward: float = 0.0,
    **_,
) -> list[Verdict]:
    """Exact numeric match of the completion's final answer against column ``answer``.

    >>> gsm8k(["Janet makes 9 * 2 = $18.\\n#### 18", "The answer is 18.0 dollars", "no idea"], answer=["18"] * 3)
    [1.0, 1.0, 0.0]
    >>> [v.status for v in gsm8k.judge(["#### 17", "I think 18"], answer="18", strict=True)]
    ['wrong', 'unparseable']
    """
    out = []
    for i, completion in enumerate(completions):
        gold = gold_number(column(answer, i))
        if gold is None:  # no usable gold: not applicable rather than a silent 0
            out.append(Verdict(None, NOT_APPLICABLE))
            continue
        pred = extract_number(completion_text(completion), strict=strict)
        if pred is None:
            out.append(Verdict(unparseable_reward, UNPARSEABLE))
        elif pred == gold:
            out.append(Verdict(correct_reward, CORRECT, canonical(pred)))
        else:
            out.append(Verdict(wrong_reward, WRONG, canonical(pred)))
    return out
