"""BENCHMARKS.md's reward-throughput table, rendered from results/reward_throughput.json.
bench/render_docs.py writes it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def render(r: dict) -> str:
    lines = [
        "| reward | input | throughput (1 scorer thread) | per CPU-second |",
        "|---|---|---|---|",
    ]
    for row in r["rows"]:
        rate = f"{row['per_s']:,}" if isinstance(row["per_s"], int) else f"{row['per_s']}"
        lines.append(f"| {row['reward']} | {row['input']} | {rate} {row['unit']}/s | {row['per_cpu_s']} |")
    m = r["machine"]
    lines += [
        "",
        f"{r['date']}, commit {r['git_commit'][:7]}, {m['cpu']}, load average {m['load_average']}, Python {m['python']}, "
        f"math-verify {r['versions']['math-verify']}. Record: `results/reward_throughput.json`.",
    ]
    return "\n".join(lines)


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render(r), [REPO / "BENCHMARKS.md"])}
