"""Categorical sampling by inverse CDF for CPU rollouts: the same distribution as torch.multinomial, cheaper.

transformers' sampling decode step draws each next token with `torch.multinomial(probs, num_samples=1)`. On
CPU that draws one exponential variate per vocabulary entry and takes argmax(p / E): for 8 rows x 49,152 entries
(SmolLM2) about as much time per decode step as the model's output head under torch's profiler (the speed-up:
bench/rollout_generation_options.py arm `inverse_cdf`, BENCHMARKS.md "Rollouts"). The inverse CDF needs one
uniform per row, a cumulative sum and a binary search: the same distribution, a different random stream, so for
one seed the sampled text differs from torch.multinomial's as it would under any other exact sampler.
transformers has no hook for its sampler, hence the scoped patch: `torch.multinomial` is replaced only inside
the block and only for what it computes the same way (one sample per row of a 2-D CPU float tensor); everything
else goes to torch's own function. The patch is process-wide while the block runs: use it where generation runs
in one thread (a training process), not in a threaded server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

_torch_multinomial = torch.multinomial


def sample_inverse_cdf(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One index per row of `probs` ([rows, vocab], non-negative, unnormalised allowed), shape [rows, 1]."""
    cdf = probs.to(torch.float64).cumsum(-1)  # float64: a 50k-term running sum keeps the small entries' widths
    total = cdf[:, -1:]
    if not bool(torch.isfinite(total).all()) or bool((total <= 0).any()) or bool((probs < 0).any()):
        return _torch_multinomial(probs, 1, generator=generator)  # torch's own error message for bad input
    u = torch.rand(total.shape, dtype=torch.float64, device=probs.device, generator=generator) * total
    index = torch.searchsorted(cdf, u, right=True).clamp_(max=probs.shape[-1] - 1)
    # right=True never lands on a zero-width (zero-probability) entry, except where u rounds up to the total:
    # draw those rows (about one in 2^50) with torch's sampler instead.
    zero = probs.gather(1, index).squeeze(1) <= 0
    if bool(zero.any()):
        index[zero] = _torch_multinomial(probs[zero], 1, generator=generator)
    return index


def _multinomial(input, num_samples, replacement=False, *, generator=None, out=None):  # noqa: A002 (torch's names)
    if (
        out is None
        and num_samples == 1
        and input.dim() == 2
        and input.device.type == "cpu"
        and input.is_floating_point()
    ):
        return sample_inverse_cdf(input, generator)
    return _torch_multinomial(input, num_samples, replacement, generator=generator, out=out)


@contextmanager
def inverse_cdf_sampling(enabled: bool = True) -> Iterator[None]:
    """Inside the block, one-sample torch.multinomial calls on CPU use `sample_inverse_cdf`."""
    if not enabled:
        yield
        return
    original, torch.multinomial = torch.multinomial, _multinomial
    try:
        yield
    finally:
        torch.multinomial = original
