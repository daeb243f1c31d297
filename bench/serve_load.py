"""Load benchmark of the policy server: N requests at concurrency C against a real `python -m serve` process on
127.0.0.1, with and without dynamic batching, on /generate and the OpenAI-compatible /v1/chat/completions (plain
and streamed). Reports p50/p99 latency, requests/s, requests per generate call (the batching factor), streaming
time to first token, failures and the server's RSS before and after (memory must stay flat).

    python bench/serve_load.py                                   # 1000 requests, concurrency 16, both modes, every endpoint
    python bench/serve_load.py --requests 200 --modes batched --endpoints chat,chat_stream --overrides serve.batch_wait_ms=2

Every request goes to 127.0.0.1; the run is bounded by --requests and by --max-seconds per mode and endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(overrides: list[str], workdir: Path, startup_s: float = 300) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", WANDB_MODE="offline", PYTHONWARNINGS="ignore")
    log = (workdir / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "serve",
            "model_component=tiny_random",
            f"serve.port={port}",
            f"hydra.run.dir={workdir / str(port)}",
            "serve.log_level=warning",
            *overrides,
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(url + "/ready", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.terminate()
    raise RuntimeError(f"server not ready after {startup_s}s")


def question(i: int) -> tuple[str, int]:
    rng = random.Random(i)
    a, b = rng.randint(0, 99), rng.randint(0, 99)
    return f"What is {a} + {b}?", a + b


def generate_body(i: int, max_new_tokens: int, rollouts: int, model: str) -> dict:
    q, answer = question(i)
    return {
        "prompt": q,
        "num_rollouts": rollouts,
        "temperature": 0.7,
        "ground_truth": str(answer),
        "max_new_tokens": max_new_tokens,
    }


def chat_body(i: int, max_new_tokens: int, rollouts: int, model: str, stream: bool = False) -> dict:
    """What an OpenAI client sends: no ground truth, so no scoring (the /generate requests above are scored)."""
    body = {
        "model": model,
        "messages": [{"role": "user", "content": question(i)[0]}],
        "n": rollouts,
        "temperature": 0.7,
        "max_tokens": max_new_tokens,
    }
    return dict(body, stream=True, stream_options={"include_usage": True}) if stream else body


async def call(
    session: aiohttp.ClientSession, url: str, endpoint: str, payload: dict, timeout
) -> tuple[int, int, float | None]:
    """(status, completion tokens, seconds to the first streamed content or None) of one request."""
    start = time.perf_counter()
    path = "/generate" if endpoint == "generate" else "/v1/chat/completions"
    async with session.post(url + path, json=payload, timeout=timeout) as r:
        if r.status != 200:
            await r.read()
            return r.status, 0, None
        if endpoint == "generate":
            return 200, sum(ro["completion_tokens"] for ro in (await r.json())["rollouts"]), None
        if endpoint == "chat":
            return 200, (await r.json())["usage"]["completion_tokens"], None
        first, tokens = None, 0
        async for line in r.content:  # server-sent events: "data: {...}" lines, then "data: [DONE]"
            if not line.startswith(b"data: {"):
                continue
            chunk = json.loads(line[6:])
            if first is None and any(c["delta"].get("content") for c in chunk["choices"]):
                first = time.perf_counter() - start
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
        return 200, tokens, first


async def drive(
    url: str,
    endpoint: str,
    model: str,
    n: int,
    concurrency: int,
    max_new_tokens: int,
    rollouts: int,
    max_seconds: float,
) -> dict:
    """The load client is aiohttp, not httpx: on this 2-core VM httpx's async client spends ~2.7 ms of CPU per
    request (370 GET /health per second with its core at 100%) against aiohttp's ~0.25 ms (3,400/s), and a client
    that saturates its core adds its own queueing to every latency it reports."""
    latencies: list[float] = []
    first_tokens: list[float] = []
    statuses: dict[int, int] = {}
    tokens = 0
    counter = iter(range(n))
    deadline = time.monotonic() + max_seconds
    timeout = aiohttp.ClientTimeout(total=60)
    make = {"generate": generate_body, "chat": chat_body, "chat_stream": lambda *a: chat_body(*a, stream=True)}[
        endpoint
    ]

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal tokens
        for i in counter:  # shared iterator: exactly n requests in all
            if time.monotonic() > deadline:
                statuses[-1] = statuses.get(-1, 0) + 1  # not sent: the time bound ran out
                continue
            start = time.perf_counter()
            try:
                code, got, first = await call(session, url, endpoint, make(i, max_new_tokens, rollouts, model), timeout)
            except (TimeoutError, aiohttp.ClientError):
                code, got, first = 0, 0, None
            latencies.append(time.perf_counter() - start)
            statuses[code] = statuses.get(code, 0) + 1
            tokens += got
            if first is not None:
                first_tokens.append(first)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return summary(endpoint, n, statuses, wall, tokens, latencies, first_tokens)


def summary(endpoint, n, statuses, wall, tokens, latencies, first_tokens) -> dict:
    """One load run's record: counts, throughput, latency and time-to-first-token percentiles."""
    ok = statuses.get(200, 0)
    q = percentiles(latencies)
    out = {
        "endpoint": endpoint,
        "requests": n,
        "ok": ok,
        "failures": n - ok,
        "statuses": statuses,
        "wall_s": round(wall, 2),
        "requests_per_s": round(ok / wall, 1),
        "tokens_per_s": round(tokens / wall, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "mean_completion_tokens": round(tokens / max(ok, 1), 1),
    }
    if first_tokens:
        f = percentiles(first_tokens)
        out.update(ttft_p50_ms=round(f[49] * 1000, 1), ttft_p99_ms=round(f[98] * 1000, 1))
    return out


def process_tree(pid: int) -> list[psutil.Process]:
    """The server and its children (the model process, serve.engine_process=true)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def rss_mb(pid: int) -> float:
    return round(sum(p.memory_info().rss for p in process_tree(pid)) / 2**20, 1)


def cpu_s(pid: int) -> float:
    """CPU seconds of the server's processes (100% = one core busy)."""
    return sum(t.user + t.system for t in (p.cpu_times() for p in process_tree(pid)))


def percentiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [float("nan")] * 99


class HealthProbe:
    """GET /health every 100 ms from a thread while the load runs, as a Kubernetes liveness probe would: a server
    whose event loop starves under load answers it late (and gets restarted)."""

    def __init__(self, url: str) -> None:
        self.url, self.latencies, self.failures = url, [], 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.done.wait(0.1):
                start = time.perf_counter()
                try:
                    ok = client.get(self.url + "/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.perf_counter() - start)
                self.failures += not ok

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        q = percentiles(self.latencies)
        return {
            "health_p50_ms": round(q[49] * 1000, 1),
            "health_p99_ms": round(q[98] * 1000, 1),
            "health_max_ms": round(max(self.latencies, default=float("nan")) * 1000, 1),
            "health_failures": self.failures,
        }


def own_cpu_s() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def batch_counters(url: str) -> dict[str, float]:
    return {
        line.split()[0]: float(line.split()[-1])
        for line in httpx.get(url + "/metrics").text.splitlines()
        if line.startswith(("serve_batch_requests_", "serve_generate_seconds_"))
    }


def run_endpoint(url: str, pid: int, endpoint: str, model: str, args: argparse.Namespace) -> dict:
    load = (url, endpoint, model)
    asyncio.run(drive(*load, args.warmup, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
    before = rss_mb(pid)
    load_before = os.getloadavg()
    counters = batch_counters(url)
    cpu_before, client_before, start = cpu_s(pid), own_cpu_s(), time.perf_counter()
    probe = HealthProbe(url)
    result = asyncio.run(
        drive(*load, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds)
    )
    result.update(probe.stop())
    elapsed = time.perf_counter() - start
    cpu = {
        "server_cpu_percent": round((cpu_s(pid) - cpu_before) / elapsed * 100),
        "client_cpu_percent": round((own_cpu_s() - client_before) / elapsed * 100),
    }
    after = rss_mb(pid)
    # This endpoint's share of the counters: the difference over its measured requests only.
    delta = {k: v - counters.get(k, 0.0) for k, v in batch_counters(url).items()}
    rounds = [after]
    for _ in range(args.extra_rounds):  # a leak keeps growing round after round; allocator warm-up does not
        asyncio.run(drive(*load, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
        rounds.append(rss_mb(pid))
    calls = max(delta["serve_batch_requests_count"], 1)
    return dict(
        result,
        **cpu,
        rss_before_mb=before,
        rss_after_mb=after,
        rss_after_each_round_mb=rounds,
        mean_requests_per_call=round(delta["serve_batch_requests_sum"] / calls, 2),
        mean_generate_call_ms=round(delta["serve_generate_seconds_sum"] / calls * 1000, 1),
        load_avg_1m=[round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    )


def run_mode(name: str, overrides: list[str], args: argparse.Namespace, workdir: Path) -> list[dict]:
    proc, url = start_server(overrides, workdir)
    try:
        model = httpx.get(url + "/v1/models").json()["data"][0]["id"]
        results = []
        for endpoint in args.endpoints.split(","):
            results.append(dict(run_endpoint(url, proc.pid, endpoint, model, args), mode=name))
            print(json.dumps(results[-1]), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--rollouts", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument(
        "--extra-rounds", type=int, default=0, help="repeat the load this many times, recording RSS after each"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900, help="per mode: requests not sent by then count as failures"
    )
    parser.add_argument("--modes", default="batched,unbatched")
    parser.add_argument("--endpoints", default="generate,chat,chat_stream", help="any of generate, chat, chat_stream")
    parser.add_argument("--overrides", nargs="*", default=[], help="extra conf/serve.yaml overrides for both modes")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    modes = {"batched": ["serve.batching=true"], "unbatched": ["serve.batching=false"]}
    results = []
    with tempfile.TemporaryDirectory(prefix="serve_load_") as tmp:
        for name in args.modes.split(","):
            results += run_mode(name, modes[name] + args.overrides, args, Path(tmp))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()} "
        f"{platform.machine()} {psutil.cpu_count()} CPUs {round(psutil.virtual_memory().total / 2**30)} GiB",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "results": results,
    }
    by = {(r["mode"], r["endpoint"]): r["requests_per_s"] for r in results}
    report["batching_speedup"] = {
        e: round(by[("batched", e)] / max(by[("unbatched", e)], 1e-9), 2)
        for m, e in by
        if m == "batched" and ("unbatched", e) in by
    }
    print(json.dumps({k: v for k, v in report.items() if k != "results"}))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
