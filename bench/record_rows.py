"""A record of several runs of one benchmark: results/<benchmark>.json holds one row per run (its own command,
commit, machine and versions) and, at the top, the machine and versions of the newest row, so the docs' table of
all runs renders from one file (bench/render_docs.py). A rerun with the same key replaces its row."""

from __future__ import annotations

import json
from pathlib import Path


def upsert_row(path: Path, benchmark: str, row: dict, key: str) -> dict:
    record = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"benchmark": benchmark, "rows": []}
    if record.get("benchmark") != benchmark:
        raise ValueError(f"{path}: a record of {record.get('benchmark')!r}, not {benchmark!r}")
    record["rows"] = [r for r in record["rows"] if r.get(key) != row[key]] + [row]
    record["machine"], record["versions"] = row["machine"], row["versions"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
