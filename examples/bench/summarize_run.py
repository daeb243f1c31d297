"""One benchmark row from a finished run dir: step time, training tokens/s, peak GPU memory, preflight estimate.

    python examples/bench/summarize_run.py <run_dir> [nvidia_smi_memory.csv]
Step 1 is left out of the means (CUDA kernels compile and caches fill there). tokens/s counts what TRL logs as
`num_tokens` (prompt + completion tokens trained on) per second of `step_time` (generation + optimisation).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def summarize(run_dir: Path, mem_csv: Path | None = None) -> dict:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "train/step_time" in r and r["step"] >= 2]
    first = next(r for r in rows if "train/num_tokens" in r and r["step"] == steps[0]["step"] - 1)
    seconds = sum(r["train/step_time"] for r in steps)
    out = {
        "steps_timed": len(steps),
        "step_time_s": round(seconds / len(steps), 3),
        "train_tokens_per_s": round((steps[-1]["train/num_tokens"] - first["train/num_tokens"]) / seconds, 1),
        "mean_completion_len": round(sum(r["train/completions/mean_length"] for r in steps) / len(steps), 1),
    }
    if mem_csv and mem_csv.exists():
        used = [int(x) for x in re.findall(r"\d+", mem_csv.read_text())]
        out["peak_gpu_mib_nvidia_smi"] = max(used) if used else None
    log = (run_dir / "run_pipeline.log").read_text() if (run_dir / "run_pipeline.log").exists() else ""
    found = re.search(r"Memory preflight: needs ~([\d.]+) GiB", log)
    out["preflight_estimate_gib"] = float(found.group(1)) if found else None
    summary = run_dir / "summary.json"
    if summary.exists():
        out["world_size"] = json.loads(summary.read_text()).get("world_size")
    return out


if __name__ == "__main__":
    print(json.dumps(summarize(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)))
