"""Differential test: the math reward's regex fast path never gives another verdict than math-verify itself.

Hundreds of generated (gold, completion) pairs -- numbers written many ways (thousands commas, "1,22",
decimals, \\frac, "\\$", "%", units, thin spaces), inside completions that box once, box twice, state a
"final answer" after the box, or use \\fbox -- are judged by the fast path and by math-verify in its worker
(math_worker.judge, no fast path). Wherever the fast path decides, its verdict must equal math-verify's.
"""

from __future__ import annotations

import random

import pytest

from components.reward.math import _fast, verify_batch

SEED, N_CASES = 0, 1000


def _number_forms(rng: random.Random, value: int, places: int) -> list[str]:
    """One number written many ways (value / 10**places)."""
    whole, frac = divmod(abs(value), 10**places)
    sign = "-" if value < 0 else ""
    dec = f"{whole}" + (f".{frac:0{places}d}" if places else "")
    grouped = f"{whole:,}" + (f".{frac:0{places}d}" if places else "")
    thin = grouped.replace(",", "\\,")
    forms = [
        sign + dec,
        sign + grouped,
        sign + dec + "0",
        sign + dec + ("" if places else ".0"),
        f"{sign}\\${dec}",
        f"{sign}{dec}\\%",
        f"{sign}{dec}\\text{{ cm}}",
        f"{sign}{dec} dollars",
        f"{sign}{grouped.replace(',', '{,}')}",
        sign + thin,
        f"{sign}{dec}000001",
        f"{sign} {dec}",
    ]
    if places == 0 and whole >= 10:  # a comma that is not a thousands separator: "1,22" (a list in MATH)
        text = str(whole)
        forms.append(f"{sign}{text[:1]},{text[1:]}")
    if places == 0:
        den = rng.choice([2, 3, 4, 7])
        forms += [
            f"{sign}\\frac{{{whole * den}}}{{{den}}}",
            f"{sign}\\dfrac{{{whole * den}}}{{{den}}}",
            f"{sign}{whole * den}/{den}",
        ]
    return forms


def _completions(rng: random.Random, pred: str, other: str) -> list[str]:
    return [
        f"The answer is $\\boxed{{{pred}}}$.",
        f"\\boxed{{{pred}}}",
        f"So $x = \\boxed{{{pred}}}$ cm.",
        f"\\boxed{{{other}}} Wait, so the final answer is {pred}.",
        f"\\boxed{{{pred}}}. The final answer is ${other}$.",
        f"\\boxed{{{pred}}}. The answer is ${other}$.",
        f"First \\boxed{{{other}}}, then \\boxed{{{pred}}}.",
        f"\\fbox{{{pred}}}",
        f"Final Answer: $\\boxed{{{pred}}}$",
        f"\\boxed {{{pred}}}",
    ]


def generated_cases(n: int = N_CASES, seed: int = SEED) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases: list[tuple[str, str]] = []
    while len(cases) < n:
        places = rng.choice([0, 0, 0, 1, 2, 5, 6])
        value = rng.choice([rng.randint(0, 99), rng.randint(100, 10**7), -rng.randint(1, 999)])
        golds = _number_forms(rng, value, places)
        preds = golds + _number_forms(rng, value + rng.choice([1, -1, 10]), places)
        # plain spellings (the first four) weigh more, so hundreds of cases reach the fast path
        gold = rng.choice(golds[:4] * 3 + golds)
        pred = rng.choice(preds[:4] * 3 + preds)
        other = rng.choice(preds)
        cases.append((gold, rng.choice(_completions(rng, pred, other))))
    cases += [
        ("1,22", "\\boxed{1,22}"),
        ("1,22", "\\boxed{122}"),
        ("122", "\\boxed{1,22}"),
        ("6", "\\boxed{5} so the final answer is 6"),
        ("5", "\\boxed{5}. The final answer is $6$."),
    ]
    return cases


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[str, str, str | None, str]]:
    cases = generated_cases()
    truth = verify_batch(cases, 5.0)
    return [(g, c, (f.status if (f := _fast(g, c)) else None), t["status"]) for (g, c), t in zip(cases, truth)]


def test_fast_path_agrees_with_math_verify_everywhere_it_decides(verdicts) -> None:
    decided = [v for v in verdicts if v[2] is not None]
    disagree = [v for v in decided if v[2] != v[3]]
    assert not disagree, f"{len(disagree)} fast-path verdicts differ from math-verify: {disagree[:8]}"


def test_fast_path_still_takes_the_common_case(verdicts) -> None:
    # Not narrowed into uselessness: a plain boxed number against a plain gold is decided without sympy.
    decided = [v for v in verdicts if v[2] is not None]
    assert len(decided) >= 100 and {"correct", "wrong"} <= {v[2] for v in decided}
    assert _fast("1234", "The answer is $\\boxed{1,234}$.").status == "correct"
    assert _fast("0.5", "so \\boxed{\\frac{1}{2}}").status == "correct"


@pytest.mark.parametrize(
    "gold,completion",
    [
        ("1,22", "\\boxed{122}"),  # a plain gold written "1,22" is not the number 122
        ("6", "\\boxed{5} wait, so the final answer is 6"),  # the last \boxed{} is not the answer finally stated
        ("6", "\\boxed{5} then \\boxed{6}"),  # two boxes: math-verify reads both
        ("50", "\\boxed{50\\%}"),
        ("10", "\\boxed{10 dollars}"),
        ("1000", "\\boxed{1\\,000}"),
    ],
)
def test_forms_math_verify_reads_differently_go_to_math_verify(gold, completion) -> None:
    assert _fast(gold, completion) is None
