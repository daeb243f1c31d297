"""Numeric answer parsing shared by the gsm8k, regression and math (fast path) rewards.

Exact arithmetic with Fraction: "0.5", "1/2" and "\\frac12" are the same number and compare exactly,
so a reward never depends on float rounding. Everything here is regex + Fraction (no sympy),
which is what keeps the GSM8K reward far above 2,000 completions/s per core.
"""

from __future__ import annotations

import re
from fractions import Fraction

# A sign counts only when it is not a binary minus ("5-3" is not "-3").
_SIGN = r"(?:(?<![\w)\]}])-)?"
_INT = r"(?:\d{1,3}(?:,\d{3})+|\d+)"  # "1,234,567" or "1234"; never "3, 4"
_DEC = rf"(?:{_INT}(?:\.\d+)?|\.\d+)"
_FRAC_TEX = r"\\[dt]?frac\s*(?:\{\s*(-?\d+)\s*\}|(\d))\s*(?:\{\s*(-?\d+)\s*\}|(\d))"
NUMBER_RE = re.compile(
    rf"(?P<sign>{_SIGN})\$?\s?(?:"
    rf"(?P<tex>{_FRAC_TEX})"
    rf"|(?P<num>{_INT})\s*/\s*(?P<den>\d+)(?![\d.])"
    rf"|(?P<dec>{_DEC})(?:\s*(?P<pct>\\?%))?)"
)


def _to_fraction(m: re.Match) -> Fraction | None:
    sign = -1 if m.group("sign") else 1
    if m.group("tex"):
        g = re.match(_FRAC_TEX, m.group("tex")).groups()
        num, den = int(g[0] if g[0] is not None else g[1]), int(g[2] if g[2] is not None else g[3])
    elif m.group("num"):
        num, den = int(m.group("num").replace(",", "")), int(m.group("den"))
    else:
        value = Fraction(m.group("dec").replace(",", ""))
        # "50%" is the number 50: GSM8K golds write percentages without the sign.
        return sign * value
    return None if den == 0 else sign * Fraction(num, den)


def find_numbers(text: str) -> list[Fraction]:
    """Every number in ``text`` in order, as exact fractions.

    >>> [str(x) for x in find_numbers("He paid $1,234.50 for 3/4 of it, i.e. 75%; 5-3=2")]
    ['2469/2', '3/4', '75', '5', '3', '2']
    """
    out = []
    for m in NUMBER_RE.finditer(text):
        value = _to_fraction(m)
        if value is not None:
            out.append(value)
    return out


def first_number(text: str) -> Fraction | None:
    for m in NUMBER_RE.finditer(text):
        value = _to_fraction(m)
        if value is not None:
            return value
    return None


def parse_number(text: str) -> Fraction | None:
    """A gold/answer string as a number ("$1,234", "18.00", "\\frac{1}{2}", "50%"), else None.

    >>> parse_number("$1,234.00"), parse_number("\\\\frac{1}{2}"), parse_number("x+1")
    (Fraction(1234, 1), Fraction(1, 2), None)
    """
    # LaTeX spellings of "$", thin spaces and "{,}" thousands separators are noise.
    text = text.replace("\\$", "$").replace("\\!", "").replace("\\,", "").replace("{,}", ",").strip()
    m = NUMBER_RE.fullmatch(text) or NUMBER_RE.fullmatch(_strip_units(text))
    return _to_fraction(m) if m else None


def _strip_units(text: str) -> str:
    # Trailing units/currency words ("12 dollars", "5 cm", "3.5 hours.") are noise for a number.
    text = re.sub(r"\\(?:text|mathrm|textbf)\{[^{}]*\}", "", text)
    text = re.sub(r"[\s.]*(?:[A-Za-z][A-Za-z./ ]*)?[.!]?$", "", text)
    return text.strip().rstrip(".")


def canonical(value: Fraction) -> str:
    """The normalised string for an answer: "18", "0.5", "-2.25", or "1/3" (not terminating).

    >>> canonical(Fraction(18)), canonical(Fraction(1, 2)), canonical(Fraction(1, 3))
    ('18', '0.5', '1/3')
    """
    if value.denominator == 1:
        return str(value.numerator)
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    text = f"{abs(value.numerator) * 10**places // value.denominator:0{places + 1}d}"
    text = f"{text[:-places]}.{text[-places:]}".rstrip("0")
    return ("-" if value < 0 else "") + text
