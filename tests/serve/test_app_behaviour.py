"""Back-pressure, timeouts, batching and load failures, with the app served by uvicorn in-process over real
HTTP on 127.0.0.1 and a scripted engine (so each behaviour is deterministic and fast)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from serve.app import create_app
from serve.engine import BatchStats, Completion
from tests.conftest import compose
from tests.serve.conftest import free_port


class ScriptedEngine:
    """Engine stand-in: every row answers "The answer is 5" after `delay` seconds; records each batch."""

    def __init__(self, delay: float = 0.0, fail_load: bool = False, max_positions: int | None = None) -> None:
        self.delay, self.fail_load, self.max_positions = delay, fail_load, max_positions
        self.source = "scripted"
        self.batches: list[list] = []

    def load(self) -> None:
        if self.fail_load:
            raise RuntimeError("weights are corrupt")

    def render(self, messages) -> tuple[str, int]:
        text = str(messages)
        return text, len(text.split())

    def generate(self, jobs, emit=None) -> BatchStats:
        self.batches.append(list(jobs))
        time.sleep(self.delay)
        per_job = [[Completion("The answer is 5", 4, False) for _ in range(j.num_rollouts)] for j in jobs]
        rows = sum(j.num_rollouts for j in jobs)
        return BatchStats(rows, len(jobs), 4 * rows, self.delay, per_job)


class InProcessServer:
    def __init__(self, engine: ScriptedEngine, overrides: list[str]) -> None:
        cfg = compose(["model_component=tiny_random", *overrides], config_name="serve")
        self.app = create_app(cfg, engine=engine)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        for _ in range(200):  # at most ~10 s
            if self.server.started:
                break
            time.sleep(0.05)
        assert httpx.get(self.url + "/health").status_code == 200
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def wait_ready(self) -> None:
        for _ in range(100):
            if httpx.get(self.url + "/ready").status_code == 200:
                return
            time.sleep(0.05)
        raise AssertionError("not ready")


def fire(url: str, bodies: list[dict]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda b: httpx.post(url + "/generate", json=b, timeout=30), bodies))


BODY = {"prompt": "What is 2 + 3?", "num_rollouts": 2, "temperature": 0.5, "ground_truth": "5", "max_new_tokens": 8}


def test_concurrent_requests_share_generate_calls() -> None:
    engine = ScriptedEngine(delay=0.2)
    with InProcessServer(engine, ["serve.batch_wait_ms=100"]) as srv:
        srv.wait_ready()
        responses = fire(srv.url, [BODY] * 8)
    assert [r.status_code for r in responses] == [200] * 8
    # "The answer is 5" earns every function of the real reward set in full: the best reward is their total weight.
    weights = compose(["model_component=tiny_random"], config_name="serve").reward.reward_functions
    assert responses[0].json()["best_reward"] == pytest.approx(sum(f.weight for f in weights))
    assert len(engine.batches) < 8 and max(len(b) for b in engine.batches) > 1


def test_unbatched_runs_one_request_per_call() -> None:
    engine = ScriptedEngine(delay=0.02)
    with InProcessServer(engine, ["serve.batching=false"]) as srv:
        srv.wait_ready()
        assert all(r.status_code == 200 for r in fire(srv.url, [BODY] * 4))
    assert [len(b) for b in engine.batches] == [1, 1, 1, 1]


def test_full_queue_answers_503_and_the_rest_succeed() -> None:
    engine = ScriptedEngine(delay=0.3)
    with InProcessServer(engine, ["serve.batching=false", "serve.max_queue=1"]) as srv:
        srv.wait_ready()
        responses = fire(srv.url, [BODY] * 6)
        codes = sorted(r.status_code for r in responses)
        metrics = httpx.get(srv.url + "/metrics").text
    assert 503 in codes and 200 in codes and set(codes) <= {200, 503}
    refused = next(r for r in responses if r.status_code == 503)
    assert "queue full" in refused.json()["error"] and refused.headers["retry-after"] == "1"
    assert 'serve_rejected_total{reason="queue_full"}' in metrics


def test_slow_generation_answers_504_and_cancels_the_rows() -> None:
    engine = ScriptedEngine(delay=0.5)
    with InProcessServer(engine, ["serve.request_timeout_s=0.1"]) as srv:
        srv.wait_ready()
        r = httpx.post(srv.url + "/generate", json=BODY, timeout=30)
        assert r.status_code == 504 and "serve.request_timeout_s=0.1" in r.json()["error"]
        assert httpx.get(srv.url + "/health").status_code == 200
    assert engine.batches[0][0].cancelled is True  # the engine's per-row stopping criterion reads this flag


def test_failed_model_load_keeps_health_and_reports_why() -> None:
    with InProcessServer(ScriptedEngine(fail_load=True), []) as srv:
        time.sleep(0.2)
        assert httpx.get(srv.url + "/health").status_code == 200
        ready = httpx.get(srv.url + "/ready")
        assert ready.status_code == 503 and "weights are corrupt" in ready.json()["error"]
        r = httpx.post(srv.url + "/generate", json=BODY)
        assert r.status_code == 503 and "model failed to load" in r.json()["error"]


def test_prompt_longer_than_the_context_answers_422() -> None:
    with InProcessServer(ScriptedEngine(max_positions=12), []) as srv:
        srv.wait_ready()
        r = httpx.post(srv.url + "/generate", json=dict(BODY, prompt="word " * 10))
    assert r.status_code == 422 and "exceed the model's context of 12 tokens" in r.json()["error"]


def test_a_dead_model_process_answers_503_everywhere() -> None:
    engine = ScriptedEngine()
    with InProcessServer(engine, []) as srv:
        srv.wait_ready()
        engine.failure = "model process exited with code -9"  # what EngineProcess records when its child dies
        health, ready = httpx.get(srv.url + "/health"), httpx.get(srv.url + "/ready")
        r = httpx.post(srv.url + "/generate", json=BODY)
    assert health.status_code == 503 and "code -9" in health.json()["error"]  # liveness fails: restart the pod
    assert ready.status_code == 503 and ready.json()["ready"] is False and "code -9" in ready.json()["error"]
    assert r.status_code == 503 and "code -9" in r.json()["error"]
