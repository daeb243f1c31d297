"""Run-dir JSON files (eval.json, summary.json, power_check.json, ...): rank 0 writes each one once.

Below the components that write run files (training's power check, modes, the orchestrator, serve's drift
baseline), so none of them needs the orchestration helpers in runtime.py to write one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components import jsonio
from components.distributed import is_main_process


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a crash never leaves a half-written file, and an existing file is never replaced.

    Under a multi-process launch only rank 0 writes (the ranks share one run dir).
    """
    if not is_main_process():
        return
    if path.exists():
        raise ValueError(f"{path} already exists; refusing to overwrite it")
    jsonio.write_json(path, data)
