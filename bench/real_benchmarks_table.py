"""The real benchmarks' summary tables (README and BENCHMARKS.md), rendered from results/real_benchmarks.json;
BENCHMARKS' first row, the default recipe, comes from results/default_run.json. bench/render_docs.py writes them."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD_NAME = "real_benchmarks"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _acc(row: dict) -> tuple[str, str]:
    return _pct(row["right_before"] / row["rows"]), _pct(row["right_after"] / row["rows"])


def _gain(row: dict) -> str:
    if row["gain_ci95"] is None:
        return "0"
    gain = (row["right_after"] - row["right_before"]) / row["rows"]
    low, high = row["gain_ci95"]
    return f"{100 * gain:+.1f} [{_pct(low)}, {_pct(high)}]"


def _p(row: dict) -> str:
    return "n/a" if row["mcnemar_p"] is None else f"{row['mcnemar_p']:.2g}"


def _truncated(row: dict) -> str:
    after = "n/a" if row["truncation_after"] is None else f"{_pct(row['truncation_after'])}%"
    return f"{_pct(row['truncation_before'])}% / {after}"


def provenance(r: dict) -> str:
    v, m = r["versions"], r["machine"]
    runs = "; ".join(
        f"{row['name']} {row['started_utc'][11:]} UTC, commit {row['git_commit'][:7]}" for row in r["rows"]
    )
    return (
        f"{r['date']}, torch {v['torch']}, transformers {v['transformers']}, trl {v['trl']}, peft {v['peft']}; CPU: "
        f"{m['cpu']}. Runs: {runs}. Record: `results/real_benchmarks.json`."
    )


def render_readme(r: dict) -> str:
    lines = [
        "| benchmark (held-out) | steps | eval budget | before → after | McNemar p | what limited it |",
        "|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        before, after = _acc(row)
        lines.append(
            f"| {row['name']} ({row['held_out']}){row.get('label_suffix', '')} | {row['steps_readme']} "
            f"| {row['eval_max_new_tokens']} tok | {before}% → {after}% | {_p(row)} | {row['limit_readme']} |"
        )
    return "\n".join([*lines, "", provenance(r)])


def render_benchmarks(r: dict) -> str:
    d = json.loads((REPO / "results" / "default_run.json").read_text(encoding="utf-8"))
    f = d["fresh_clone"]
    lines = [
        "| benchmark (held-out) | steps | eval budget | grader | before → after | gain [95% CI] | McNemar p | truncated "
        "before / after | what limited it |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| default: 2-digit addition ({d['eval']['rows']}) | {f['steps']} | {d['eval']['max_new_tokens']} tok "
        f"| `gsm8k` (last answer) | {_pct(f['accuracy_before'])}% → **{_pct(f['accuracy_after'])}%** "
        f"| **{100 * (f['accuracy_after'] - f['accuracy_before']):+.1f}** [{_pct(f['gain_ci95'][0])}, "
        f"{_pct(f['gain_ci95'][1])}] | **{f['mcnemar_p']:.0e}** | {_pct(f['truncation_before'])}% / "
        f"{_pct(f['truncation_after'])}% | a real gain (README; `results/default_run.json`) |".replace("e-0", "e-"),
    ]
    for row in r["rows"]:
        before, after = _acc(row)
        lines.append(
            f"| {row['name']} ({row['held_out']}) | {row['steps']} | {row['eval_max_new_tokens']} tok | {row['grader']} "
            f"| {before}% → {after}% | {_gain(row)} | {_p(row)} | {_truncated(row)} | {row['limit']} |"
        )
    return "\n".join([*lines, "", provenance(r)])


def render_suite_table(table: dict) -> str:
    """One run's row as bench/run_benchmarks.py printed it, with the run's command, start and commit."""
    lines = ["| " + " | ".join(table["columns"]) + " |", "|" + "---|" * len(table["columns"])]
    lines += ["| " + " | ".join(row) + " |" for row in table["rows"]]
    return "\n".join(
        [*lines, "", f"`{table['command']}`: {table['started_utc']} UTC, commit {table['git_commit'][:7]}."]
    )


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    bench = REPO / "BENCHMARKS.md"
    out = {"readme": (render_readme(r), [REPO / "README.md"]), "summary": (render_benchmarks(r), [bench])}
    for row in r["rows"]:
        for i, table in enumerate(row.get("suite_tables", [])):
            out[f"suite_{row['experiment']}_{i}"] = (render_suite_table(table), [bench])
    return out
