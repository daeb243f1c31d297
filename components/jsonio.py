"""JSON and JSONL files, one way everywhere: read JSONL, append JSONL, write JSON atomically, clean NaN; and
`lookup(tree, "train.max_steps")`, a dotted key in nested JSON-like data (a resolved config, a run's config).

JSON has no NaN or infinity: `clean` turns them into null at any depth, so every file written here parses with
any JSON reader. Bad input is a one-line ValueError naming the file and row. Who may write into a run dir under
a multi-process launch (rank 0 only) is decided by the callers in components/runtime.py and
components/evaluation/history.py, not here.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def lookup(tree: Mapping[str, Any], dotted: str) -> Any:
    """The value at `dotted` ("reward.reward_functions") in nested mappings; None when a part is missing."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def clean(value: Any) -> Any:
    """NaN and +-inf -> None, inside dicts and lists too (`json.dumps` would write invalid JSON for them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def read_jsonl(path: str | Path) -> list[dict]:
    """Rows of a .jsonl or .jsonl.gz file; one-line ValueError naming file and line on bad input."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"input file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: row {n}: invalid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}: row {n}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append one cleaned JSON object per row; the file only ever grows."""
    with open(path, "a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(clean(row), ensure_ascii=False, default=str) + "\n")


def write_json(path: str | Path, data: Any, indent: int | None = 2) -> None:
    """Write atomically (a temp file renamed over the target): a crash never leaves a half-written file."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(clean(data), indent=indent, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_jsonl_new(path: str | Path, rows: Iterable[dict]) -> None:
    """Write rows to a NEW file atomically: temp file in the same dir, then a no-clobber link."""
    path = Path(path)
    if path.exists():
        raise ValueError(f"output file already exists (not overwritten): {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        try:
            os.link(tmp, path)  # fails if path appeared meanwhile: never clobbers
        except FileExistsError:
            raise ValueError(f"output file already exists (not overwritten): {path}") from None
    finally:
        os.unlink(tmp)
