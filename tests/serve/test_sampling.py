"""Per-row sampling pieces (serve/sampling.py) and what they buy in the real engine: top-p per row, seeds that
repeat whatever shares the batch, stop strings with honest token counts, and streamed tokens that add up to the
final text."""

from __future__ import annotations

import doctest
import time

import torch

import serve.sampling
from serve.engine import Engine, Job
from serve.sampling import RowSeeds, RowTemperature, RowTopP, row_generator, stream_safe
from tests.serve.test_engine import engine  # noqa: F401  (module fixture: the tiny model, loaded once)


def test_docstring_examples() -> None:
    result = doctest.testmod(serve.sampling)
    assert result.attempted > 0 and result.failed == 0


def test_top_p_per_row() -> None:
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]] * 2))
    out = RowTopP(torch.tensor([0.7, 1.0]))(None, scores.clone())
    assert torch.isinf(out[0]).tolist() == [False, False, True, True]  # 0.5 + 0.3 reaches 0.7: the rest go
    assert torch.equal(out[1], scores[1])  # top_p = 1 leaves the row alone


def test_tiny_temperature_is_greedy_not_nan() -> None:
    out = RowTemperature(torch.tensor([3.9e-44]))(None, torch.tensor([[1.0, 3.0, 2.0]]))
    assert out[0].tolist() == [float("-inf"), 0.0, float("-inf")]


def test_a_seeded_row_samples_the_same_token_whatever_its_neighbours() -> None:
    scores = torch.randn(3, 50)
    alone = RowSeeds([row_generator(7, 0, "cpu")])(None, scores[1:2].clone())
    batched = RowSeeds([None, row_generator(7, 0, "cpu"), row_generator(8, 0, "cpu")])(None, scores.clone())
    assert torch.equal(batched[1], alone[0]) and torch.isfinite(alone[0]).sum() == 1
    assert torch.equal(batched[0], scores[0])  # unseeded rows are left to generate's sampler


def test_stream_safe_holds_back_a_possible_stop_string() -> None:
    assert stream_safe("a\ufffd", ()) == ("a", False)
    assert stream_safe("x ##", ("###",)) == ("x ", False)
    assert stream_safe("x ###y", ("###",)) == ("x ", True)


def make(engine: Engine, text: str, k: int, temperature: float, budget: int, **kw) -> Job:  # noqa: F811 (a parameter, not the fixture)
    rendered, _ = engine.render([{"role": "user", "content": text}])
    return Job(rendered, k, temperature, budget, time.monotonic() + 60, **kw)


def test_seeded_request_repeats_in_a_different_batch(engine: Engine) -> None:  # noqa: F811
    seeded = make(engine, "What is 4 + 4?", 2, 1.0, 8, seed=5, top_p=0.95)
    alone = [c.text for c in engine.generate([seeded]).per_job[0]]
    crowd = engine.generate([make(engine, "Another, longer question about 9 * 9?", 3, 1.2, 8), seeded])
    assert [c.text for c in crowd.per_job[1]] == alone
    assert alone[0] != alone[1] or not alone[0]  # rows of one request draw different samples


def test_stop_string_cuts_text_and_counts_tokens(engine: Engine) -> None:  # noqa: F811
    raw = "12 + 30 ="  # a raw prompt whose greedy completion is long enough to cut
    full = engine.generate([Job(raw, 1, 0.0, 12, time.monotonic() + 60)]).per_job[0][0]
    assert len(full.text) >= 4, full.text
    stop = full.text[2:4]
    cut = engine.generate([Job(raw, 1, 0.0, 12, time.monotonic() + 60, stop=(stop,))]).per_job[0][0]
    assert cut.text == full.text[: full.text.find(stop)] and cut.finish_reason == "stop"
    assert 1 <= cut.tokens <= full.tokens
    # The row is done once its stop string appears: with a budget of 64 the call still ends within the 12 tokens.
    steps: list = []
    engine.generate([Job(raw, 1, 0.0, 64, time.monotonic() + 60, stop=(stop,), stream=True)], emit=steps.append)
    assert len(steps) <= full.tokens


def test_streamed_tokens_add_up_to_the_completion(engine: Engine) -> None:  # noqa: F811
    steps: list[list[tuple[int, int]]] = []
    jobs = [make(engine, "What is 3 + 3?", 1, 0.0, 6), make(engine, "What is 5 + 5?", 2, 0.7, 6, stream=True)]
    stats = engine.generate(jobs, emit=steps.append)
    assert steps and all(row in (1, 2) for step in steps for row, _ in step)  # only the streaming job's rows
    for row, completion in zip((1, 2), stats.per_job[1]):
        ids = [t for step in steps for r, t in step if r == row]
        assert len(ids) == completion.tokens
        assert engine.tokenizer.decode(ids, skip_special_tokens=True) == completion.text
