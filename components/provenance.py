"""What a run was made from: `<run_dir>/provenance.json` and `<run_dir>/config_resolved.yaml`.

provenance.json holds the git commit (and whether tracked files had uncommitted changes), the sha256 of
poetry.lock, key package versions, the Python version, the command line and the Hydra overrides; with the
resolved config next to it, a run can be repeated and two runs compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

REPO = Path(__file__).resolve().parents[1]
LOCK_FILE = REPO / "poetry.lock"
PACKAGES = (
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "tokenizers",
    "bitsandbytes",
    "math-verify",
    "hydra-core",
    "omegaconf",
    "numpy",
)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def collect() -> dict[str, Any]:
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),  # uncommitted changes to tracked files
        "lock_file": LOCK_FILE.name,
        "lock_sha256": hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest() if LOCK_FILE.exists() else None,
        "packages": {name: _version(name) for name in PACKAGES},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "overrides": _overrides(),
    }


def write_provenance(run_dir: Path, cfg: DictConfig) -> dict[str, Any]:
    """Write provenance.json and config_resolved.yaml into the run dir; returns the provenance record."""
    record = collect()
    _write(Path(run_dir) / "config_resolved.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    _write(Path(run_dir) / "provenance.json", json.dumps(record, indent=2) + "\n")
    return record


def _write(path: Path, text: str) -> None:
    # Replaced atomically: these describe the run being started, also when a crashed run left older copies.
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
