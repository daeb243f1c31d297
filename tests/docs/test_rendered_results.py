"""Figures rendered from committed result records: a block in the docs that differs from its record fails."""

from __future__ import annotations

import json
import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import gpt3_arithmetic_table as table  # noqa: E402

RECORD = REPO / "results" / "gpt3_arithmetic.json"


def test_every_gpt3_arithmetic_block_is_its_record_rendered() -> None:
    fix = f"python bench/gpt3_arithmetic_table.py {RECORD.relative_to(REPO)} --write-docs"
    for block, (expected, docs) in table.blocks(json.loads(RECORD.read_text(encoding="utf-8"))).items():
        for doc in docs:
            got = table.read_block(doc.read_text(encoding="utf-8"), block, doc.name)
            assert got == expected.strip(), f"{doc.name}, block {block}: differs from its record; run {fix}"


def test_the_record_names_its_commands_commit_date_and_machine() -> None:
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    assert set(record["commands"]) == {"base", "sft", "grpo"} and record["git_commit"]
    assert {"cpu", "cores", "torch_threads", "date"} <= set(record["machine"]) and record["versions"]["trl"]
    assert len(record["tasks"]) == 10


def test_the_lm_eval_agreement_rows_in_the_docs_state_their_records() -> None:
    """README and BENCHMARKS type these rows by hand: each must carry its record's figures (bench/lm_eval_agreement.py)."""
    records = sorted((REPO / "results" / "lm_eval_agreement").glob("*.json"))
    assert records, "no lm-eval agreement record"
    for path in records:
        r = json.loads(path.read_text(encoding="utf-8"))
        n, same = r["rows"], r["rows"] - len(r["rows_where_verdicts_differ"])
        cells = [
            f"{r['project_accuracy']:.3f} ({r['project_correct']}/{n})",
            f"{r['lm_eval_accuracy']:.3f} ({r['lm_eval_correct']}/{n})",
            f"{same}/{n}",
            f"{r['identical_completions']}/{n}",
        ]
        for doc in ("README.md", "BENCHMARKS.md"):
            rows = [line for line in (REPO / doc).read_text().splitlines() if line.startswith(f"| `{r['task']}`")]
            assert any(all(cell in row for cell in cells) for row in rows), (
                f"{doc}: no {r['task']} row states {path.name}"
            )
