"""Figures rendered from committed result records: a table in the docs that differs from its record fails."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import gpt3_arithmetic_table as table  # noqa: E402

RECORD = REPO / "results" / "gpt3_arithmetic.json"


@pytest.mark.parametrize("doc", table.DOCS, ids=lambda p: p.name)
def test_the_gpt3_arithmetic_table_is_its_record_rendered(doc) -> None:
    text = doc.read_text(encoding="utf-8")
    block = text.split(table.START, 1)[1].split(table.END, 1)[0].strip()
    expected = table.render_markdown(json.loads(RECORD.read_text(encoding="utf-8")))
    assert block == expected, (
        f"{doc.name}: run python bench/gpt3_arithmetic_table.py {RECORD.relative_to(REPO)} --write-docs"
    )


def test_the_record_names_its_commands_commit_date_and_machine() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert set(record["commands"]) == {"base", "sft", "grpo"} and record["git_commit"]
    assert {"cpu", "cores", "torch_threads", "date"} <= set(record["machine"]) and record["versions"]["trl"]
    assert len(record["tasks"]) == 10
