"""Figures rendered from committed result records: a block in the docs that differs from its record fails.

bench/render_docs.py lists every record under results/ with its renderer; each renders Markdown blocks that the
docs hold between `<!-- <record>:<block> -->` markers. A record names what produced its figures (commands, commit,
date, machine, versions), so a figure in the docs can be traced and redone.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import doc_blocks  # noqa: E402
import render_docs  # noqa: E402

FIX = "run `python bench/render_docs.py` (make docs runs it)"


RENDERED = render_docs.rendered()


@pytest.mark.parametrize("name,block,expected,doc", RENDERED, ids=[f"{n}:{b}:{d.name}" for n, b, _, d in RENDERED])
def test_every_block_is_its_record_rendered(name, block, expected, doc) -> None:
    got = doc_blocks.read_block(doc.read_text(encoding="utf-8"), name, block, doc.name)
    assert got == expected, f"{doc.name}, block {name}:{block}: differs from its record; {FIX}"


def test_every_record_under_results_is_rendered() -> None:
    records = {p.resolve() for p in (REPO / "results").glob("*.json")}
    assert records == {path.resolve() for path, _ in render_docs.RECORDS.values()}, (
        "a results/*.json record that bench/render_docs.py does not render (add it to RECORDS)"
    )


@pytest.mark.parametrize("name", sorted(render_docs.RECORDS))
def test_the_record_names_its_commands_commit_date_machine_and_versions(name) -> None:
    record = json.loads(render_docs.RECORDS[name][0].read_text(encoding="utf-8"))
    text = json.dumps(record)
    assert '"command' in text, f"{name}: no command"
    machine = record["machine"]
    date = record.get("date") or machine.get("date", "")  # a benchmark script writes it with the machine
    commits = [record["git_commit"]] if "git_commit" in record else [row["git_commit"] for row in record["rows"]]
    assert all(len(c) == 40 for c in commits) and date.startswith("20"), f"{name}: no full commit or date"
    if "rows" in record and "command" not in record:  # one run per row: each names its command
        assert all(row["command"] for row in record["rows"]), f"{name}: a row without its command"
    assert {"cpu", "cores", "torch_threads"} <= set(machine) and machine["cpu"], f"{name}: machine incomplete"
    assert {"transformers", "trl"} <= set(record["versions"]), f"{name}: versions incomplete"
    assert "torch" in record["versions"] or "torch" in machine, f"{name}: no torch version"


def test_a_changed_figure_fails() -> None:
    """The check can fail: a record whose figure moved renders a block the docs do not hold."""
    path, blocks = render_docs.RECORDS["default_run"]
    record = json.loads(path.read_text(encoding="utf-8"))
    record["fresh_clone"]["accuracy_after"] = 0.5
    body, docs = blocks(record)["table"]
    assert doc_blocks.read_block(docs[0].read_text(encoding="utf-8"), "default_run", "table", "README") != body.strip()


def test_the_gpt3_tasks_are_all_there() -> None:
    record = json.loads((REPO / "results" / "gpt3_arithmetic.json").read_text(encoding="utf-8"))
    assert set(record["commands"]) == {"base", "sft", "grpo"} and len(record["tasks"]) == 10


def test_every_benchmarks_table_is_rendered_from_a_record() -> None:
    """BENCHMARKS.md holds no hand-typed table: each sits in a `<!-- record:block -->` block rendered from results/."""
    inside, previous, loose = False, "", []
    for n, line in enumerate((REPO / "BENCHMARKS.md").read_text(encoding="utf-8").splitlines(), 1):
        if re.fullmatch(r"<!-- /?[\w]+:[\w]+ -->", line):
            inside = not line.startswith("<!-- /")
        if line.startswith("|") and not previous.startswith("|") and not inside:
            loose.append(f"BENCHMARKS.md:{n}: {line[:80]}")
        previous = line
    assert not loose, "tables typed by hand; give each a record under results/ (bench/render_docs.py):\n" + "\n".join(
        loose
    )


def test_the_generator_checks_from_the_command_line() -> None:
    """`python bench/render_docs.py --check` (what a maintainer runs) agrees with this test: exit 0, nothing stale."""
    proc = subprocess.run(
        [sys.executable, "bench/render_docs.py", "--check"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and "matches its record" in proc.stdout, proc.stdout + proc.stderr
