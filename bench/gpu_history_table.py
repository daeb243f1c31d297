"""BENCHMARKS.md's GPU table (history: the one H100 run on record), rendered from results/gpu_h100_history.json.
bench/render_docs.py writes it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def render(r: dict) -> str:
    lines = [
        "| run | command | step time | train tokens/s | peak GPU memory | preflight estimate |",
        "|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        if row["step_time_s"] is None:
            lines.append(f"| {row['run']} | `{row['command']}` | not run | | | |")
            continue
        lines.append(
            f"| {row['run']} | `{row['command']}` | {row['step_time_s']:.2f} s | {row['train_tokens_per_s']} "
            f"| {row['peak_gpu_mib']:,} MiB | {row['preflight_estimate_gib']:.2f} GiB |"
        )
    v = r["versions"]
    lines += [
        "",
        f"{r['date']}, commit {r['git_commit'][:7]}, {r['machine']['gpu']}, torch {v['torch']}, transformers "
        f"{v['transformers']}, trl {v['trl']}. Record: `results/gpu_h100_history.json`.",
    ]
    return "\n".join(lines)


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render(r), [REPO / "BENCHMARKS.md"])}
