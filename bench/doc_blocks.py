"""Rendered blocks in the docs: the text between `<!-- <record>:<block> -->` and `<!-- /<record>:<block> -->`.

A generator (bench/render_docs.py) writes each block from its committed record under results/;
tests/docs/test_rendered_results.py fails when a block in a doc differs from what its record renders.
"""

from __future__ import annotations


def markers(record: str, block: str) -> tuple[str, str]:
    return f"<!-- {record}:{block} -->", f"<!-- /{record}:{block} -->"


def read_block(text: str, record: str, block: str, where: str) -> str:
    start, end = markers(record, block)
    if start not in text or end not in text:
        raise ValueError(f"{where}: no {start} ... {end} block")
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def replace_block(text: str, record: str, block: str, body: str, where: str) -> str:
    """A one-line body goes inline (`<!-- a:b -->body<!-- /a:b -->`): a marker alone at the start of a line would end
    the paragraph in Markdown. A table or list keeps its markers on lines of their own."""
    read_block(text, record, block, where)
    start, end = markers(record, block)
    head, rest = text.split(start, 1)
    sep = "" if "\n" not in body else "\n"
    return f"{head}{start}{sep}{body}{sep}{end}{rest.split(end, 1)[1]}"
