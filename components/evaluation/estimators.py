"""Per-problem estimators over n sampled completions: pass@k, maj@k, best-of-k, any-correct-of-k.

Each takes one problem's samples (in generation order) and returns that problem's value; the evaluator
averages them over problems. Correctness always comes from the reward's verifier (True / False / None).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, "Codex" paper, eq. 1):
    1 - C(n-c, k) / C(n, k), the chance that k samples drawn without replacement hold a correct one.

    >>> pass_at_k(n=4, c=1, k=2)
    0.5
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def majority_answer(answers: Sequence[str | None]) -> int | None:
    """Index of the sample whose answer wins the vote, or None when no sample has an answer.

    Unparseable samples (answer None) do not vote. Tie rule: among answers with the top count, the one
    that appears first in sample order wins (deterministic, and independent of how answers sort).

    >>> majority_answer(["7", "8", "8", "7"]), majority_answer([None, None])
    (0, None)
    """
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(i for i, a in enumerate(answers) if a is not None and counts[a] == top)


def maj_at_k(answers: Sequence[str | None], correct: Sequence[bool | None], k: int) -> float:
    """1.0 when the majority answer of the first k samples is correct (the verifier's verdict on the first
    sample that gave that answer), else 0.0; no parseable answer counts as wrong.

    >>> maj_at_k(["5", "6", "6"], [True, False, False], k=3), maj_at_k(["5", "6", "6"], [True, False, False], k=1)
    (0.0, 1.0)
    """
    _check_k(len(answers), k)
    winner = majority_answer(answers[:k])
    return float(winner is not None and correct[winner] is True)


def best_of_k(rewards: Sequence[float], k: int) -> float:
    """The highest reward among the first k samples (what a reward-model reranker would keep)."""
    _check_k(len(rewards), k)
    return max(rewards[:k])


def any_correct_of_k(correct: Sequence[bool | None], k: int) -> float:
    """1.0 when at least one of the first k samples is correct (the empirical, high-variance pass@k)."""
    _check_k(len(correct), k)
    return float(any(c is True for c in correct[:k]))


def _check_k(n: int, k: int) -> None:
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must be between 1 and the number of samples n={n}")
