"""BENCHMARKS.md's evaluation-generation table (quiet machine), rendered from results/eval_generation.json.
bench/render_docs.py writes it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def render(r: dict) -> str:
    naive, roof = r["naive_tokens_per_s"], r["roofline"]
    lines = [
        "| | tokens/s (useful tokens) | x naive |",
        "|---|---|---|",
        f"| naive loop (one prompt per `generate`, mean of a run before and after) | {naive} | 1.0 |",
    ]
    for b in r["batched"]:
        ratio = f"{b['tokens_per_s'] / naive:.1f}"
        if "target" in b:
            met = "**met**" if b["tokens_per_s"] / naive >= b["target"] else "not met"
            ratio = f"**{ratio}** (target >= {b['target']}: {met})"
        note = f" ({b['note']})" if "note" in b else ""
        lines.append(f"| `generation.py` batch {b['batch_size']}{note} | {b['tokens_per_s']} | {ratio} |")
    lines += [
        f"| roofline, batch 1: copy bandwidth {roof['copy_gb_s']} GB/s / {roof['weights_mb']} MB of fp32 weights "
        f"| {roof['bandwidth_tokens_per_s']} | |",
        f"| roofline, compute: matmul {roof['matmul_gflop_s']} GFLOP/s / (2 x {roof['params_m']} M params) "
        f"| {roof['compute_tokens_per_s']} | |",
        "",
        f"`{r['command']}`; {r['date']}, commit {r['git_commit'][:7]}, {r['machine']['cpu']}, load average "
        f"{r['machine']['load_average']}, {r['wall_s']} s, torch {r['versions']['torch']}. "
        "Record: `results/eval_generation.json`.",
    ]
    return "\n".join(lines)


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render(r), [REPO / "BENCHMARKS.md"])}
