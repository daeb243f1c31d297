"""Griffe extension: show the `>>>` examples of our docstrings as Python code in the API reference.

The project's docstrings carry bare doctest lines (STYLE.md: every reward has a `>>>` example). Markdown would
read them as nested quotes and their `[...]` outputs as links, so each run of `>>>` lines and the output lines
after it is wrapped in a fenced `pycon` block before mkdocstrings renders the docstring.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    out, in_block = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>") and not in_block:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            in_block = True
        elif in_block and not stripped:
            out.append(f"{indent}```")
            in_block = False
        out.append(line)
    if in_block:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
