"""A table record: one measurement's table as published (columns, rows of cells) beside its command, commit, date,
machine and versions, rendered with a provenance line. For tables whose figures were converted by hand from a run's
printed output; a script that writes its own structured record gets its own renderer (default_run_table.py, ...).
bench/render_docs.py lists each such record with the doc that holds it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _row(cells: list[str]) -> str:
    """A Markdown table row; an empty cell is written `| |`, as the tables were published."""
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def render(r: dict) -> str:
    t, m, v = r["table"], r["machine"], r["versions"]
    lines = [_row(t["columns"]), "|" + "---|" * len(t["columns"])] + [_row(row) for row in t["rows"]]
    lines += [
        "",
        f"{r['date']}, commit {r['git_commit'][:7]}, CPU: {m['cpu']}, torch {v['torch']}, transformers "
        f"{v['transformers']}, trl {v['trl']}. Record: `results/{r['name']}.json`.",
    ]
    return "\n".join(lines)


def blocks_in(doc: str):
    """blocks(record) for a table record shown in `doc` (a path relative to the repo)"""

    def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
        return {"table": (render(r), [REPO / doc])}

    return blocks
