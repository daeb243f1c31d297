"""Per-row sampling inside one shared `generate` call: temperature, top-p and seeds per request, stop strings,
and the token stream of streaming requests.

HF `generate` applies one temperature/top-p to the whole batch and samples every row from the global RNG, so a
batch of requests with different settings needs these per-row pieces. A seeded row draws its token from its own
torch.Generator and hands `generate` a one-token distribution (as greedy rows do): what it samples then depends
on its seed and its own logits only, not on which other requests happen to share the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from transformers import LogitsProcessor, StoppingCriteria


def _only(scores: torch.FloatTensor, chosen: torch.Tensor) -> torch.FloatTensor:
    """Scores where only `chosen` (one token id per row) can be sampled."""
    return torch.full_like(scores, float("-inf")).scatter(1, chosen.view(-1, 1), 0.0)


# Below this a temperature is greedy in effect, and dividing logits by it (3.9e-44 is a valid float) overflows to inf
# and turns the softmax into NaN: such rows are treated as greedy.
MIN_TEMPERATURE = 1e-5


class RowTemperature(LogitsProcessor):
    """Per-row temperature; a row at 0 keeps only its argmax, so sampling it is greedy."""

    def __init__(self, temperatures: torch.Tensor) -> None:
        self.temperatures = temperatures

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        greedy = self.temperatures < MIN_TEMPERATURE
        scaled = scores / torch.where(greedy, 1.0, self.temperatures).unsqueeze(1).to(scores.dtype)
        if greedy.any():
            scaled = torch.where(greedy.unsqueeze(1), _only(scores, scores.argmax(dim=-1)), scaled)
        return scaled


class RowTopP(LogitsProcessor):
    """Per-row nucleus sampling: a row keeps the smallest set of tokens whose probability reaches its top_p."""

    def __init__(self, top_ps: torch.Tensor) -> None:
        self.top_ps = top_ps

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        ordered, order = scores.sort(dim=-1, descending=True)
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        # A token goes when the tokens before it already reach top_p; the most likely token always stays.
        drop_sorted = (cumulative - ordered.softmax(dim=-1)) >= self.top_ps.unsqueeze(1).to(scores.dtype)
        drop_sorted[:, 0] = False
        drop = drop_sorted.scatter(1, order, drop_sorted)
        return scores.masked_fill(drop & (self.top_ps < 1).unsqueeze(1), float("-inf"))


class RowSeeds(LogitsProcessor):
    """Rows with a seed sample here from their own generator; the rest are left to `generate`'s sampler."""

    def __init__(self, generators: list[torch.Generator | None]) -> None:
        self.generators = generators

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, gen in enumerate(self.generators):
            if gen is not None:
                probs = scores[row].float().softmax(dim=-1)
                token = torch.multinomial(probs, 1, generator=gen)
                scores[row] = _only(scores[row : row + 1], token)[0]
        return scores


def row_generator(seed: int, row: int, device: Any) -> torch.Generator:
    """Row `row` of a request with `seed`: n > 1 choices differ, and the same request repeats exactly."""
    gen = torch.Generator(device=device)
    gen.manual_seed((seed * 2654435761 + row) % 2**63)  # Knuth's multiplier: seeds 1 and 2 do not share rows
    return gen


class RowStream(StoppingCriteria):
    """Never stops anything: after every step it hands the new token of each streaming row to `emit`.

    `emit` gets [(row, token_id), ...] once per step; a row is dropped after its end-of-sequence or budget, so
    padding never reaches a client.
    """

    def __init__(self, rows: list[int], budgets: list[int], stop_ids: set[int], emit: Callable[[list], None]) -> None:
        self.live = {row: budgets[row] for row in rows}
        self.stop_ids = stop_ids
        self.emit = emit

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        last = input_ids[:, -1].tolist()
        out = []
        for row in list(self.live):
            if last[row] in self.stop_ids:
                del self.live[row]
                continue
            out.append((row, last[row]))
            self.live[row] -= 1
            if self.live[row] <= 0:
                del self.live[row]
        if out:
            self.emit(out)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


class RowStops(StoppingCriteria):
    """A row whose text so far contains one of its stop strings is done, so a batch whose rows all stopped ends
    before its token budget. Only rows with stop strings are decoded (one decode per row and step)."""

    def __init__(self, prompt_len: int, row_stops: list[tuple[str, ...]], decode: Callable[[list[int]], str]) -> None:
        self.prompt_len = prompt_len
        self.row_stops = row_stops
        self.decode = decode
        self.rows = [i for i, stops in enumerate(row_stops) if stops]

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for row in self.rows:
            if find_stop(self.decode(input_ids[row, self.prompt_len :].tolist()), self.row_stops[row]) is not None:
                done[row] = True
        return done


def find_stop(text: str, stops: tuple[str, ...]) -> int | None:
    """Index where the first stop string starts in `text`, or None.

    >>> find_stop("x = 4\\nDone", ("\\n", "Done"))
    5
    >>> find_stop("no stop here", ("###",)) is None
    True
    """
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(hits) if hits else None


def stream_safe(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    """The prefix of a partial completion that can be sent now, and whether a stop string ended it.

    Text that could still become the start of a stop string is held back, and so is a trailing U+FFFD (half of
    a multi-byte character whose next token has not arrived).

    >>> stream_safe("The answer is 4.\\n\\nQ", ("\\n\\n",))
    ('The answer is 4.', True)
    >>> stream_safe("The answer is 4.\\n", ("\\n\\n",))
    ('The answer is 4.', False)
    """
    at = find_stop(text, stops)
    if at is not None:
        return text[:at], True
    hold = max((len(s) - 1 for s in stops), default=0)
    for cut in range(min(hold, len(text)), 0, -1):  # longest tail that is a proper prefix of some stop string
        if any(s.startswith(text[-cut:]) for s in stops):
            text = text[:-cut]
            break
    return text.rstrip("\ufffd"), False


def tokens_before_stop(decode: Callable[[list[int]], str], ids: list[int], stops: tuple[str, ...]) -> int:
    """How many of `ids` it takes for the decoded text to contain a stop string (binary search: ~log2 n decodes)."""
    lo, hi = 1, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        if find_stop(decode(ids[:mid]), stops) is None:
            lo = mid + 1
        else:
            hi = mid
    return lo
