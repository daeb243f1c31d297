"""Thread settings: torch threads x OMP_WAIT_POLICY on a decode-shaped and a train-shaped workload.

    python bench/threads.py                      # threads 1 and all cores, OMP_WAIT_POLICY unset and PASSIVE
    taskset -c 0,1 python bench/threads.py       # what a 2-core machine sees

The workload is pure torch with SmolLM2-135M's shapes (30 layers, hidden 576, MLP 1536, vocab 49152; fp32):
one decode step at batch 1 and 16 (what generation does 32 times per GRPO step) and one forward over
16 x 64 tokens (what the log-prob pass does). Each setting runs in a fresh process, because OpenMP reads
OMP_WAIT_POLICY only at start-up. On a shared, oversubscribed machine OpenMP's default spin-waiting makes a
2-thread pool wait on a descheduled partner at every op; PASSIVE makes idle threads sleep instead.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

LAYERS, HIDDEN, MLP, VOCAB = 30, 576, 1536, 49152


def workload(threads: int, repeats: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    layers = [
        [torch.randn(HIDDEN, n, generator=g) * 0.02 for n in (3 * HIDDEN, HIDDEN, 2 * MLP)]
        + [torch.randn(MLP, HIDDEN, generator=g) * 0.02]
        for _ in range(LAYERS)
    ]
    head = torch.randn(HIDDEN, VOCAB, generator=g) * 0.02

    def forward(x):
        for qkv, out, up, down in layers:
            h = torch.nn.functional.rms_norm(x, (HIDDEN,))
            x = x + (h @ qkv)[..., :HIDDEN] @ out
            h = torch.nn.functional.rms_norm(x, (HIDDEN,))
            a, b = (h @ up).chunk(2, dim=-1)
            x = x + (torch.nn.functional.silu(a) * b) @ down
        return x[..., -1, :] @ head

    out = {}
    with torch.no_grad():
        for name, shape in (
            ("decode_b1_ms", (1, 1, HIDDEN)),
            ("decode_b16_ms", (16, 1, HIDDEN)),
            ("forward_16x64_ms", (16, 64, HIDDEN)),
        ):
            x = torch.randn(*shape, generator=g)
            forward(x)
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                forward(x)
                best = min(best, time.perf_counter() - start)
            out[name] = best * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=None, help="default: 1 and all usable cores")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--env",
        nargs="+",
        default=["unset", "OMP_WAIT_POLICY=PASSIVE"],
        help="OpenMP settings to compare: 'unset' or NAME=VALUE, e.g. GOMP_SPINCOUNT=10000",
    )
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        print("RESULT " + json.dumps(workload(opts.child, opts.repeats)), flush=True)
        return
    cores = len(os.sched_getaffinity(0))
    print(f"usable cores {cores}, load average {os.getloadavg()}", flush=True)
    for threads in opts.threads or sorted({1, cores}):
        for setting in opts.env:
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
            if setting != "unset":
                name, _, value = setting.partition("=")
                env[name] = value
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(threads), "--repeats", str(opts.repeats)],
                env=env,
                capture_output=True,
                text=True,
            )
            line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(proc.stderr[-2000:])
            got = json.loads(line[7:])
            print(f"threads {threads} {setting}: " + ", ".join(f"{k} {v:.1f}" for k, v in got.items()), flush=True)


if __name__ == "__main__":
    main()
