"""Inverse-CDF sampling draws from the same distribution as torch.multinomial, and patches nothing outside its block."""

from __future__ import annotations

import torch

from components.model.sampling import inverse_cdf_sampling, sample_inverse_cdf


def test_frequencies_match_the_probabilities_and_zero_probability_is_never_drawn() -> None:
    probs = torch.tensor([[0.0, 0.5, 0.0, 0.3, 0.2, 0.0], [0.7, 0.0, 0.0, 0.0, 0.0, 0.3]])
    draws = 40_000
    gen = torch.Generator().manual_seed(0)
    counts = torch.zeros_like(probs)
    for _ in range(draws // 1000):
        index = sample_inverse_cdf(probs.repeat_interleave(1000, 0), generator=gen).squeeze(1).reshape(2, 1000)
        counts += torch.nn.functional.one_hot(index, probs.shape[1]).sum(1).to(counts.dtype)
    assert counts[probs == 0].sum() == 0
    # binomial standard error at 40k draws is <= 0.0025: 5 sigma
    torch.testing.assert_close(counts / draws, probs, rtol=0, atol=0.0125)


def test_a_large_vocabulary_passes_a_chi_square_test() -> None:
    from scipy import stats

    vocab, rows, rounds, top = 5000, 2000, 25, 30
    zipf = 1.0 / torch.arange(1, vocab + 1, dtype=torch.float32) ** 1.1  # a long tail, like a language model's
    probs = (zipf / zipf.sum()).repeat(rows, 1)
    gen = torch.Generator().manual_seed(3)
    counts = torch.zeros(vocab, dtype=torch.float64)
    for _ in range(rounds):
        counts += torch.bincount(sample_inverse_cdf(probs, generator=gen).flatten(), minlength=vocab).double()
    expected = probs[0].double() * rows * rounds
    observed = torch.cat([counts[:top], counts[top:].sum(0, keepdim=True)])  # the head token by token, the tail as one
    wanted = torch.cat([expected[:top], expected[top:].sum(0, keepdim=True)])
    chi2 = float(((observed - wanted) ** 2 / wanted).sum())
    assert stats.chi2.sf(chi2, df=top) > 1e-3, chi2


def test_unnormalised_weights_and_the_patch_scope() -> None:
    original = torch.multinomial
    weights = torch.tensor([[2.0, 0.0, 6.0]])  # torch.multinomial takes unnormalised weights too
    with inverse_cdf_sampling():
        assert torch.multinomial is not original
        gen = torch.Generator().manual_seed(1)
        picks = torch.cat([torch.multinomial(weights, 1, generator=gen) for _ in range(2000)])
        assert set(picks.flatten().tolist()) == {0, 2}
        assert 0.70 < (picks == 2).float().mean() < 0.80  # 0.75 expected
        assert torch.multinomial(weights, 2).shape == (1, 2)  # several samples: torch's own function
    assert torch.multinomial is original
    with inverse_cdf_sampling(enabled=False):
        assert torch.multinomial is original


def test_bad_probabilities_raise_torchs_own_error() -> None:
    import pytest

    with pytest.raises(RuntimeError):
        sample_inverse_cdf(torch.tensor([[float("nan"), 1.0]]))
    with pytest.raises(RuntimeError):
        sample_inverse_cdf(torch.tensor([[-1.0, 1.0]]))
