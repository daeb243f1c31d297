"""The layer order of ARCHITECTURE.md ("Layers") holds: `lint-imports` keeps every contract in .importlinter,
each module of components/ imports nothing from serve/ or bench/, and every `components.*` import placed inside
a function says why it is there (an optional heavy dependency), so none of them hides a cycle."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    out = subprocess.run([lint, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


# One process imports every module in turn and reports the first that pulls in serve/ or bench/: a module that
# did would leave them in sys.modules right after its own import (one process per module would cost minutes).
_IMPORT_EACH = """
import importlib, pkgutil, sys
import components
for info in sorted(pkgutil.walk_packages(components.__path__, "components."), key=lambda m: m.name):
    importlib.import_module(info.name)
    above = sorted(m for m in sys.modules if m.split(".")[0] in ("serve", "bench"))
    if above:
        sys.exit(f"{info.name} imports {above[0]}")
print("modules:", len(list(pkgutil.walk_packages(components.__path__, "components."))))
"""


def test_no_component_module_imports_serve_or_bench() -> None:
    out = subprocess.run([sys.executable, "-c", _IMPORT_EACH], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split("modules:")[1]) > 100  # the walk found the package, not an empty path


def _function_level_component_imports(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for fn in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name.split(".")[0] == "components" for name in names):
                found.append((node.lineno, lines[node.lineno - 1]))
    return found


def test_function_level_component_imports_say_why() -> None:
    bare = [
        f"{path.relative_to(REPO)}:{lineno}: {line.strip()}"
        for path in sorted((REPO / "components").rglob("*.py"))
        for lineno, line in _function_level_component_imports(path)
        if "#" not in line
    ]
    assert not bare, "hoist these imports, or say on the line why they wait (an optional heavy dependency):\n" + (
        "\n".join(bare)
    )


def test_the_import_check_sees_a_bare_function_level_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from components.types import EvalResult\n    import os\n", encoding="utf-8")
    assert _function_level_component_imports(sample) == [(2, "    from components.types import EvalResult")]


def test_lint_imports_fails_on_an_upward_import_inside_a_function(tmp_path: Path) -> None:
    """The check has teeth: a lower layer importing a higher one, even from inside a function, breaks it."""
    package = tmp_path / "layered"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "high.py").write_text("from layered import low\n", encoding="utf-8")
    (package / "low.py").write_text("def f():\n    from layered import high\n", encoding="utf-8")
    config = tmp_path / ".importlinter"
    config.write_text(
        "[importlinter]\nroot_package = layered\n\n[importlinter:contract:one]\nname = layers\ntype = layers\n"
        "layers =\n    layered.high\n    layered.low\n",
        encoding="utf-8",
    )
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([lint, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1 and "1 broken" in out.stdout, out.stdout[-2000:]
