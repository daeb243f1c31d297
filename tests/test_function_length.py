"""No function outside tests/ is longer than 60 lines (from `def` to its last line, decorators aside)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

LIMIT = 60
SKIP = {".venv", "site", "tests", "node_modules", ".git"}


def function_lengths(path: Path) -> dict[str, int]:
    """qualname -> lines, for every function and method in the file (nested ones by their dotted path)."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lengths[name] = child.end_lineno - child.lineno + 1
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return lengths


def all_lengths() -> dict[str, int]:
    found = {}
    for path in sorted(REPO.rglob("*.py")):
        rel = path.relative_to(REPO)
        if SKIP.intersection(rel.parts) or rel.parts[0].startswith("."):
            continue
        found.update({f"{rel.as_posix()}:{name}": n for name, n in function_lengths(path).items()})
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    lengths = all_lengths()
    too_long = [f"{k} ({n} lines)" for k, n in lengths.items() if n > LIMIT]
    assert not too_long, f"split these into functions of <= {LIMIT} lines:\n" + "\n".join(too_long)


def test_the_length_check_measures_nested_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "class A:\n    def f(self):\n        def g():\n            pass\n        return g\n", encoding="utf-8"
    )
    assert function_lengths(sample) == {"A.f": 4, "A.f.g": 2}
