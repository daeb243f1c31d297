"""BENCHMARKS.md's sandbox-isolation table (bubblewrap on / off), rendered from results/sandbox_isolation.json.
bench/render_docs.py writes it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def render(r: dict) -> str:
    lines = [
        "| run (load average) | workers=1 on / off | workers=2 on / off | empty program on / off (median) |",
        "|---|---|---|---|",
    ]
    for run in r["runs"]:
        empty = "-" if run["empty_ms"] is None else f"{run['empty_ms'][0]} / {run['empty_ms'][1]} ms"
        lines.append(
            f"| {run['run']} ({run['load']}) | {run['w1'][0]} / {run['w1'][1]} programs/s | {run['w2'][0]} / "
            f"{run['w2'][1]} programs/s | {empty}{run.get('empty_note', '')} |"
        )
    m = r["machine"]
    lines += [
        "",
        f"{r['date']}, commit {r['git_commit'][:7]}, {m['cpu']}, {m['os']}, bubblewrap {m['bubblewrap']}, Python "
        f"{m['python']}. Record: `results/sandbox_isolation.json`.",
    ]
    return "\n".join(lines)


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render(r), [REPO / "BENCHMARKS.md"])}
