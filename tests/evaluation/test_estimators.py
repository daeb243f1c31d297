"""The estimators against hand-computed cases: pass@k, maj@k (ties), best-of-k, bootstrap, McNemar."""

from __future__ import annotations

import pytest

from components.evaluation.estimators import any_correct_of_k, best_of_k, maj_at_k, majority_answer, pass_at_k
from components.evaluation.stats import compare, mcnemar_exact, paired_bootstrap_ci


@pytest.mark.parametrize(
    "n,c,k,expected",
    [
        (4, 1, 1, 1 / 4),  # one correct of four, one draw
        (4, 1, 2, 1 - 3 / 6),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (5, 2, 3, 1 - 1 / 10),  # 1 - C(3,3)/C(5,3)
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (4, 0, 4, 0.0),  # nothing correct
        (4, 3, 2, 1.0),  # fewer wrong samples than k: a draw of k always holds a correct one
    ],
)
def test_pass_at_k_matches_hand_computed_values(n, c, k, expected) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_1_is_the_fraction_correct_and_bad_k_is_refused() -> None:
    assert pass_at_k(8, 3, 1) == pytest.approx(3 / 8)
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(4, 1, 5)


def test_maj_at_k_majority_and_ties() -> None:
    # Clear majority: "8" twice beats "7" once; its first sample is wrong.
    assert maj_at_k(["7", "8", "8"], [True, False, False], k=3) == 0.0
    # Tie 2-2: the answer seen first ("7", sample 0) wins, whatever the sort order of the answers.
    assert majority_answer(["7", "8", "8", "7"]) == 0
    assert maj_at_k(["7", "8", "8", "7"], [True, False, False, True], k=4) == 1.0
    assert maj_at_k(["9", "10", "10", "9"], [False, True, True, False], k=4) == 0.0
    # Unparseable samples do not vote: one parseable answer beats three None.
    assert maj_at_k([None, None, "5", None], [None, None, True, None], k=4) == 1.0
    # Nothing parseable is wrong; only the first k samples vote.
    assert maj_at_k([None, None], [None, None], k=2) == 0.0
    assert maj_at_k(["5", "6", "6"], [True, False, False], k=1) == 1.0


def test_best_of_k_and_any_correct_use_the_first_k_samples() -> None:
    assert best_of_k([0.1, 0.9, 0.5], k=1) == 0.1
    assert best_of_k([0.1, 0.9, 0.5], k=3) == 0.9
    assert any_correct_of_k([False, None, True], k=2) == 0.0
    assert any_correct_of_k([False, None, True], k=3) == 1.0
    with pytest.raises(ValueError, match="k=4"):
        best_of_k([1.0], k=4)


def test_mcnemar_exact_on_discordant_pairs() -> None:
    # 1 regressed (b), 5 improved (c): two-sided binomial p = 2 * (C(6,0)+C(6,1)) / 2^6 = 14/64.
    before = [1, 0, 0, 0, 0, 0, 1, 0]
    after = [0, 1, 1, 1, 1, 1, 1, 0]
    result = mcnemar_exact(before, after)
    assert (result["worse"], result["better"]) == (1, 5)
    assert result["p_value"] == pytest.approx(14 / 64)
    assert mcnemar_exact([1, 0], [1, 0])["p_value"] == 1.0  # no discordant pair


def test_paired_bootstrap_on_known_data() -> None:
    # Every pair improves by exactly 1: the CI is the point itself.
    assert paired_bootstrap_ci([0, 0, 0], [1, 1, 1]) == (1.0, 1.0, 1.0)
    # 10 of 20 pairs improve, none regress: diff 0.5; the resampled mean of a 0/1 difference with p=0.5 and
    # n=20 has sd sqrt(.25/20) = 0.112, so the 95% interval is about 0.5 +- 0.22 and stays inside [0, 1].
    before, after = [0] * 20, [1] * 10 + [0] * 10
    diff, low, high = paired_bootstrap_ci(before, after, seed=1)
    assert diff == 0.5
    assert 0.25 <= low <= 0.32 and 0.68 <= high <= 0.75
    # Pairing matters: identical per-problem results shuffled would not be paired data.
    assert paired_bootstrap_ci(after, after)[1:] == (0.0, 0.0)
    with pytest.raises(ValueError, match="equal"):
        paired_bootstrap_ci([1, 0], [1])


def test_compare_reports_gain_ci_and_p_value() -> None:
    before = [{"correct": c} for c in (True, False, None, False)]
    after = [{"correct": c} for c in (True, True, True, False)]
    out = compare(before, after)
    assert out["accuracy_gain"] == pytest.approx(0.5)
    assert out["accuracy_gain_ci_low"] <= 0.5 <= out["accuracy_gain_ci_high"]
    assert (out["problems_improved"], out["problems_regressed"]) == (2, 0)
    assert out["mcnemar_p_value"] == pytest.approx(0.5)  # 2 of 2 discordant: 2 * (1/2)^2
