"""Scaling: GRPO step time and peak memory vs num_generations and completion length.

    python bench/scaling.py                                    # tiny random model, quick
    python bench/scaling.py --model smollm2 --generations 4 8 16 --lengths 16 32 64 --steps 3

Each configuration runs in its own process (so peak RSS is that configuration's), through the pipeline's
components (run_pipeline.train's build path), with 2 prompts per step (per_device_train_batch_size =
2 x num_generations). Completions are forced to exactly L tokens (generation_kwargs.min_new_tokens=L) so the
work per step is what the row says. Reported: median step time (first step dropped), seconds per completion
token, and peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import TINY, compose, median, peak_rss_mib, print_machine, step_timer


def child(model: str, generations: int, length: int, steps: int) -> dict:
    import tempfile

    from components.runtime import build, seed_everything

    base = TINY if model == "tiny" else ["model_component=smollm2_135m"]
    cfg = compose(
        base
        + [
            f"train.num_generations={generations}",
            f"train.per_device_train_batch_size={2 * generations}",
            f"train.max_completion_length={length}",
            f"train.generation_kwargs={{min_new_tokens:{length}}}",
            f"train.max_steps={steps}",
            "train.save_final_model=false",
            "train.preflight=false",  # forced full-length completions would trip the truncation guard
        ]
    )
    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    loop = build(cfg.train, output_dir=tempfile.mkdtemp(prefix="bench_scaling_"))
    splits = build(cfg.data).load(build(cfg.prompts))
    loaded = build(cfg.model).load()
    rss_loaded = peak_rss_mib()
    timer = step_timer()
    loop.fit(loaded, splits.train, reward, callbacks=[timer])
    step = median(timer.wall[1:])
    return {
        "generations": generations,
        "length": length,
        "step_s": step,
        "s_per_completion_token": step / (2 * generations * length),
        "peak_rss_mib": peak_rss_mib(),
        "rss_after_load_mib": rss_loaded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["tiny", "smollm2"], default="tiny")
    parser.add_argument("--generations", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--lengths", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--base-generations", type=int, default=8, help="fixed while lengths vary")
    parser.add_argument("--base-length", type=int, default=32, help="fixed while generations vary")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--child", nargs=2, type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    opts = parser.parse_args()
    if opts.child:
        print("RESULT " + json.dumps(child(opts.model, *opts.child, opts.steps)), flush=True)
        return
    result = {"machine_before": print_machine(), "model": opts.model, "rows": []}
    grid = [(g, opts.base_length) for g in opts.generations]
    grid += [(opts.base_generations, n) for n in opts.lengths if (opts.base_generations, n) not in grid]
    for g, n in grid:
        proc = subprocess.run(
            [sys.executable, __file__, "--model", opts.model, "--steps", str(opts.steps), "--child", str(g), str(n)],
            capture_output=True,
            text=True,
        )
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"configuration generations={g} length={n} failed:\n{proc.stderr[-2000:]}")
        row = json.loads(line[len("RESULT ") :])
        result["rows"].append(row)
        print(
            f"generations {g:3d} length {n:4d}: step {row['step_s']:.2f}s, "
            f"{row['s_per_completion_token'] * 1e3:.2f} ms/completion-token, peak RSS {row['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
