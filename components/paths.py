"""Paths a user typed on the command line: relative to where the command ran, not to Hydra's run directory."""

from __future__ import annotations

from pathlib import Path

from hydra.utils import to_absolute_path


def command_path(path: str | Path) -> Path:
    """``path`` made absolute against the directory the command was started in (Hydra may have changed cwd).

    >>> command_path("/data/x.jsonl")
    PosixPath('/data/x.jsonl')
    """
    return Path(to_absolute_path(str(path)))
