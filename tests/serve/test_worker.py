"""The model process (serve/worker.py) with the real tiny model: it generates what the in-process engine
generates, forwards cancellations across the pipe, reports a load failure with the child's own message, and a
dead child fails requests at once instead of hanging them."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from serve.config import build_components, settings_from
from serve.engine import Engine, Job
from serve.worker import EngineProcess, WorkerDied
from tests.conftest import compose

QUESTION = [{"role": "user", "content": "What is 1 + 1?"}]


def tiny_component():
    cfg = compose(["model_component=tiny_random"], config_name="serve")
    return build_components(cfg, settings_from(cfg.serve)).model_component


@pytest.fixture(scope="module")
def worker():
    eng = EngineProcess(tiny_component(), torch_threads=1)
    eng.load()
    yield eng
    eng.close()
    assert not eng.process.is_alive()  # close() ends the child


def job(text: str, k: int, temperature: float, budget: int) -> Job:
    return Job(text, k, temperature, budget, time.monotonic() + 60)


def test_the_child_generates_what_the_in_process_engine_does(worker) -> None:
    assert worker.process.pid != os.getpid() and worker.process.is_alive()
    text, n_tokens = worker.render(QUESTION)  # the tokenizer came back from the child: rendering stays here
    local = Engine(tiny_component())
    local.load()
    assert (text, n_tokens) == local.render(QUESTION)
    jobs = [job(text, 2, 0.0, 6), job(text, 3, 1.0, 4)]
    remote = worker.generate(jobs)
    assert [len(c) for c in remote.per_job] == [2, 3] and remote.rows == 5
    assert all(c.tokens <= 4 for c in remote.per_job[1])
    # Greedy rows are deterministic: the same weights and the same batch give the same text in both processes.
    assert remote.per_job[0] == local.generate(jobs).per_job[0]


def test_a_cancelled_request_stops_its_rows_in_the_child(worker) -> None:
    text, _ = worker.render(QUESTION)
    full = worker.generate([job(text, 1, 0.0, 150)]).per_job[0][0]
    assert full.truncated and full.tokens == 150  # greedy runs the whole budget, so a short answer means cancelled
    cancelled = job(text, 1, 0.0, 150)
    threading.Timer(0.05, setattr, (cancelled, "cancelled", True)).start()
    assert worker.generate([cancelled]).per_job[0][0].tokens < 150


def test_a_load_failure_names_the_childs_error(tmp_path) -> None:
    eng = EngineProcess(tiny_component(), run_dir=tmp_path, torch_threads=1)
    with pytest.raises(RuntimeError, match=str(tmp_path / "model")):
        eng.load()
    assert not eng.process.is_alive()


def test_a_dead_child_fails_every_batch_at_once() -> None:
    eng = EngineProcess(tiny_component(), torch_threads=1)
    eng.load()
    text, _ = eng.render(QUESTION)
    os.kill(eng.process.pid, signal.SIGKILL)
    eng.process.join(timeout=10)
    with pytest.raises(WorkerDied, match="exited with code -9"):
        eng.generate([job(text, 1, 0.7, 4)])
    assert eng.failure == "model process exited with code -9"
    with pytest.raises(WorkerDied):  # and every later batch, without waiting on a dead pipe
        eng.generate([job(text, 1, 0.7, 4)])
    eng.close()


def test_cancels_before_a_batch_apply_to_it_and_late_ones_are_dropped() -> None:
    from serve.worker import _Batches

    batches, jobs = _Batches(), [job("x", 1, 0.0, 4), job("y", 1, 0.0, 4)]
    batches.cancel((1, 1))  # arrived before the child took batch 1
    batches.start(1, jobs)
    assert [j.cancelled for j in jobs] == [False, True]
    batches.cancel((1, 0))
    assert jobs[0].cancelled
    batches.finish(1)
    batches.cancel((1, 0))  # too late: batch 1 is done; nothing is kept for it
    assert not batches.live and not batches.early
