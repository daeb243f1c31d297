"""Before/after significance on the same problems: paired bootstrap CI and exact McNemar test (scipy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def paired_bootstrap_ci(
    before: Sequence[float],
    after: Sequence[float],
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(mean(after) - mean(before), low, high): percentile CI from resampling problems (pairs kept together).

    Percentile rather than BCa: BCa is undefined when every pair has the same difference (a common case
    for small evaluations), and the percentile interval then collapses to that difference, as it should.
    """
    from scipy.stats import bootstrap

    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if b.shape != a.shape or b.size == 0:
        raise ValueError(f"paired bootstrap needs two equal, non-empty lists; got {b.size} and {a.size} values")
    diff = float(a.mean() - b.mean())
    if np.all(a - b == (a - b)[0]):  # no spread: every resample gives the same difference
        return diff, diff, diff
    result = bootstrap(
        (b, a),
        lambda x, y, axis=-1: y.mean(axis=axis) - x.mean(axis=axis),
        paired=True,
        vectorized=True,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return diff, float(result.confidence_interval.low), float(result.confidence_interval.high)


def mcnemar_exact(before: Sequence[bool], after: Sequence[bool]) -> dict[str, float]:
    """Exact McNemar test: a two-sided binomial test of the discordant pairs against p = 0.5.

    b = right before and wrong after, c = wrong before and right after; with no discordant pair the
    p-value is 1.0 (no evidence of a change).
    """
    from scipy.stats import binomtest

    if len(before) != len(after):
        raise ValueError(f"McNemar needs paired results; got {len(before)} before and {len(after)} after")
    b = sum(bool(x) and not bool(y) for x, y in zip(before, after))
    c = sum(not bool(x) and bool(y) for x, y in zip(before, after))
    p = binomtest(c, b + c, 0.5).pvalue if b + c else 1.0
    return {"worse": b, "better": c, "p_value": float(p)}


def compare(before: list[dict], after: list[dict], confidence: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Summary keys for two evaluations of the same problems (EvalResult.samples with a `correct` field)."""
    if len(before) != len(after) or not before:
        raise ValueError(f"before/after evaluations must cover the same problems; got {len(before)} and {len(after)}")
    b = [float(s["correct"] is True) for s in before]
    a = [float(s["correct"] is True) for s in after]
    diff, low, high = paired_bootstrap_ci(b, a, confidence=confidence, seed=seed)
    test = mcnemar_exact(b, a)
    return {
        "accuracy_gain": diff,
        "accuracy_gain_ci_low": low,
        "accuracy_gain_ci_high": high,
        "ci_confidence": confidence,
        "mcnemar_p_value": test["p_value"],
        "problems_improved": test["better"],
        "problems_regressed": test["worse"],
    }
