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
import time
from datetime import datetime, timezone
from pathlib import Path

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
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    tokens = 0
    counter = iter(range(n))
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal tokens
        for i in counter:  # shared iterator: exactly n requests in all
            if time.monotonic() > deadline:
                statuses[-1] = statuses.get(-1, 0) + 1  # not sent: the time bound ran out
                continue
            start = time.perf_counter()
            try:
                r = await client.post(url + "/generate", json=body(i, max_new_tokens, rollouts), timeout=60)
                code = r.status_code
                if code == 200:
                    tokens += sum(ro["completion_tokens"] for ro in r.json()["rollouts"])
            except httpx.HTTPError:
                code = 0
            latencies.append(time.perf_counter() - start)
            statuses[code] = statuses.get(code, 0) + 1

    async with httpx.AsyncClient(limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ok = statuses.get(200, 0)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {"requests": n, "ok": ok, "failures": n - ok, "statuses": statuses, "wall_s": round(wall, 2),
            "requests_per_s": round(ok / wall, 1), "tokens_per_s": round(tokens / wall, 1),
            "p50_ms": round(q[49] * 1000, 1), "p99_ms": round(q[98] * 1000, 1),
            "mean_completion_tokens": round(tokens / max(ok, 1), 1)}


def rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 2**20, 1)


def run_mode(name: str, overrides: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    proc, url = start_server(overrides, workdir)
    try:
        asyncio.run(drive(url, args.warmup, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
        before = rss_mb(proc.pid)
        load_before = os.getloadavg()
        result = asyncio.run(drive(url, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
        after = rss_mb(proc.pid)
        rounds = [after]
        for _ in range(args.extra_rounds):  # a leak keeps growing round after round; allocator warm-up does not
            asyncio.run(drive(url, args.requests, args.concurrency, args.max_new_tokens, args.rollouts, args.max_seconds))
            rounds.append(rss_mb(proc.pid))
        batch = [line for line in httpx.get(url + "/metrics").text.splitlines() if line.startswith("serve_batch_requests_")]
        calls = next(float(x.split()[-1]) for x in batch if x.startswith("serve_batch_requests_count"))
        total = next(float(x.split()[-1]) for x in batch if x.startswith("serve_batch_requests_sum"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return dict(result, mode=name, rss_before_mb=before, rss_after_mb=after, rss_after_each_round_mb=rounds, mean_requests_per_call=round(total / calls, 2),
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
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": f"{platform.node()} "
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
