"""Run-dir files: one JSON/JSONL module (components/jsonio.py), and only rank 0 writes into the shared run dir."""

from __future__ import annotations

import gzip
import json

import pytest

from components import jsonio
from components.evaluation.history import append_rows, read_history
from components.run_files import write_json


def test_jsonl_round_trip_cleans_nan_at_any_depth(tmp_path) -> None:
    path = tmp_path / "rows.jsonl"
    jsonio.append_jsonl(path, [{"a": float("nan"), "b": {"c": [1.0, float("inf")]}}])
    jsonio.append_jsonl(path, [{"a": 2}])
    assert jsonio.read_jsonl(path) == [{"a": None, "b": {"c": [1.0, None]}}, {"a": 2}]
    json.loads(path.read_text().splitlines()[0])  # strict JSON: no NaN literal
    packed = tmp_path / "rows.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as f:
        f.write('{"x": 1}\n\n[1]\n')
    with pytest.raises(ValueError, match=r"rows.jsonl.gz: row 3: expected a JSON object, got list"):
        jsonio.read_jsonl(packed)


def test_atomic_json_and_new_jsonl_never_clobber(tmp_path) -> None:
    jsonio.write_json(tmp_path / "x.json", {"loss": float("nan")})
    assert json.loads((tmp_path / "x.json").read_text()) == {"loss": None}
    assert not list(tmp_path.glob("*.tmp"))
    jsonio.write_jsonl_new(tmp_path / "out.jsonl", [{"a": 1}])
    with pytest.raises(ValueError, match="already exists"):
        jsonio.write_jsonl_new(tmp_path / "out.jsonl", [{"a": 2}])
    assert jsonio.read_jsonl(tmp_path / "out.jsonl") == [{"a": 1}]


@pytest.mark.parametrize("rank,written", [("0", True), ("1", False)])
def test_only_rank_0_writes_run_dir_files(tmp_path, monkeypatch, rank: str, written: bool) -> None:
    monkeypatch.setenv("RANK", rank)
    write_json(tmp_path / "summary.json", {"a": 1})
    append_rows(tmp_path / "completions_train.jsonl", [{"step": 1}])
    assert (tmp_path / "summary.json").exists() is written
    assert read_history(tmp_path / "completions_train.jsonl") == ([{"step": 1}] if written else [])
