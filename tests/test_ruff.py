"""`ruff check` passes on the whole tree (rules and line length: [tool.ruff] in pyproject.toml), so CI enforces
what the config says, and `ruff format --check` passes (the tree is formatted by ruff at that line length)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_check_passes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_check_passes() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, "run `.venv/bin/ruff format .`:\n" + out.stdout[-4000:] + out.stderr[-2000:]
