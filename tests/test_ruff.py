"""`ruff check` passes on the whole tree (rules and line length: [tool.ruff] in pyproject.toml), so CI enforces
what the config says. Formatting (`ruff format --check`) is not enforced yet."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_check_passes() -> None:
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
