"""Load benchmark of the policy server: N requests at concurrency C against a real `python -m serve` process on
127.0.0.1, with and without dynamic batching. Reports p50/p99 latency, requests/s, failures and the server's
RSS before and after (memory must stay flat).

    python bench/serve_load.py                                   # 1000 requests, concurrency 16, both modes
    python bench/serve_load.py --requests 200 --modes batched --overrides serve.batch_wait_ms=2

Every request goes to 127.0.0.1; the run is bounded by --requests and by --max-seconds per mode.
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
        [sys.executable, "-m", "serve", "model_component=tiny_random", f"serve.port={port}",
         f"hydra.run.dir={workdir / str(port)}", "serve.log_level=warning", *overrides],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
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


def body(i: int, max_new_tokens: int, rollouts: int) -> dict:
    rng = random.Random(i)
    a, b = rng.randint(0, 99), rng.randint(0, 99)
    return {"prompt": f"What is {a} + {b}?", "num_rollouts": rollouts, "temperature": 0.7,
            "ground_truth": str(a + b), "max_new_tokens": max_new_tokens}


async def drive(url: str, n: int, concurrency: int, max_new_tokens: int, rollouts: int, max_seconds: float) -> dict:
    """The load client is aiohttp, not httpx: on this 2-core VM httpx's async client spends ~2.7 ms of CPU per
    request (370 GET /health per second with its core at 100%) against aiohttp's ~0.25 ms (3,400/s), and a client
    that saturates its core adds its own queueing to every latency it reports."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    tokens = 0
    counter = iter(range(n))
    deadline = time.monotonic() + max_seconds
    timeout = aiohttp.ClientTimeout(total=60)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal tokens
        for i in counter:  # shared iterator: exactly n requests in all
            if time.monotonic() > deadline:
                statuses[-1] = statuses.get(-1, 0) + 1  # not sent: the time bound ran out
                continue
            start = time.perf_counter()
            try:
                async with session.post(url + "/generate", json=body(i, max_new_tokens, rollouts), timeout=timeout) as r:
                    code = r.status
                    payload = await r.json() if code == 200 else await r.read()
                if code == 200:
                    tokens += sum(ro["completion_tokens"] for ro in payload["rollouts"])
            except (TimeoutError, aiohttp.ClientError):
                code = 0
            latencies.append(time.perf_counter() - start)
            statuses[code] = statuses.get(code, 0) + 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ok = statuses.get(200, 0)
    q = percentiles(latencies)
    return {"requests": n, "ok": ok, "failures": n - ok, "statuses": statuses, "wall_s": round(wall, 2),
            "requests_per_s": round(ok / wall, 1), "tokens_per_s": round(tokens / wall, 1),
            "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "mean_completion_tokens": round(tokens / max(ok, 1), 1)}


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
        return {"health_p50_ms": round(q[49] * 1000, 1), "health_p99_ms": round(q[98] * 1000, 1),
                "health_max_ms": round(max(self.latencies, default=float("nan")) * 1000, 1), "health_failures": self.failures}


def own_cpu_s() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def run_mode(name: str, overrides: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    proc, url = start_server(overrides, workdir)
    try:
        asyncio.run(drive(url, args.warmup, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
        before = rss_mb(proc.pid)
        load_before = os.getloadavg()
        cpu_before, client_before, start = cpu_s(proc.pid), own_cpu_s(), time.perf_counter()
        probe = HealthProbe(url)
        result = asyncio.run(drive(url, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
        result.update(probe.stop())
        elapsed = time.perf_counter() - start
        cpu = {"server_cpu_percent": round((cpu_s(proc.pid) - cpu_before) / elapsed * 100),
               "client_cpu_percent": round((own_cpu_s() - client_before) / elapsed * 100)}
        after = rss_mb(proc.pid)
        rounds = [after]
        for _ in range(args.extra_rounds):  # a leak keeps growing round after round; allocator warm-up does not
            asyncio.run(drive(url, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
            rounds.append(rss_mb(proc.pid))
        metrics = {line.split()[0]: float(line.split()[-1]) for line in httpx.get(url + "/metrics").text.splitlines()
                   if line.startswith(("serve_batch_requests_", "serve_generate_seconds_"))}
        calls, total = metrics["serve_batch_requests_count"], metrics["serve_batch_requests_sum"]
        generate_ms = metrics["serve_generate_seconds_sum"] / metrics["serve_generate_seconds_count"] * 1000
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return dict(result, **cpu, mode=name, rss_before_mb=before, rss_after_mb=after, rss_after_each_round_mb=rounds, mean_requests_per_call=round(total / calls, 2), mean_generate_call_ms=round(generate_ms, 1),
                load_avg_1m=[round(load_before[0], 2), round(os.getloadavg()[0], 2)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--rollouts", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument("--extra-rounds", type=int, default=0, help="repeat the load this many times, recording RSS after each")
    parser.add_argument("--max-seconds", type=float, default=900, help="per mode: requests not sent by then count as failures")
    parser.add_argument("--modes", default="batched,unbatched")
    parser.add_argument("--overrides", nargs="*", default=[], help="extra conf/serve.yaml overrides for both modes")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    modes = {"batched": ["serve.batching=true"], "unbatched": ["serve.batching=false"]}
    results = []
    with tempfile.TemporaryDirectory(prefix="serve_load_") as tmp:
        for name in args.modes.split(","):
            results.append(run_mode(name, modes[name] + args.overrides, args, Path(tmp)))
            print(json.dumps(results[-1]), flush=True)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": f"{platform.node()} "
        f"{platform.machine()} {psutil.cpu_count()} CPUs {round(psutil.virtual_memory().total / 2**30)} GiB",
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "results": results,
    }
    if len(results) == 2:
        report["batching_speedup"] = round(results[0]["requests_per_s"] / max(results[1]["requests_per_s"], 1e-9), 2)
    print(json.dumps({k: v for k, v in report.items() if k != "results"}))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
