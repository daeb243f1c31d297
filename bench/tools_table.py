"""BENCHMARKS.md's tool-use table (the base model with and without the calculator), rendered from
results/tools_multiply_base.json. bench/render_docs.py writes it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _share(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render(r: dict) -> str:
    lines = [
        "| base model, evaluated | accuracy | tool-call rate | turns / episode | tool errors (share of calls) | malformed "
        "calls (share of episodes) | truncated | eval time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        acc = f"{_share(row['right'] / row['rows'])} ({row['right']}/{row['rows']})"
        acc = f"**{acc.split(' ')[0]}** {acc.split(' ')[1]}" if row["bold"] else acc
        lines.append(
            f"| {row['setting']} | {acc} | {_share(row['tool_call_rate'])} | {row['turns_per_episode']} "
            f"| {_share(row['tool_error_share'])} | {_share(row['malformed_share'])} | {_share(row['truncated'])} "
            f"| {row['eval_s']} s |"
        )
    v = r["versions"]
    runs = "; ".join(
        f"{row['setting']}: {row['started_utc'][11:]} UTC, load {row['load_average']}" for row in r["rows"]
    )
    lines += [
        "",
        f"{r['date']}, commit {r['rows'][0]['git_commit'][:7]}, torch {v['torch']}, transformers {v['transformers']}, "
        f"trl {v['trl']}; CPU: {r['machine']['cpu']}, {r['machine']['torch_threads']} torch thread. {runs}. "
        "Record: `results/tools_multiply_base.json`.",
    ]
    return "\n".join(lines)


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render(r), [REPO / "BENCHMARKS.md"])}
