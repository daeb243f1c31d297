"""The fast loop (`make test-fast`: pytest -m "not e2e") passes and imports every module of components/ and serve/.

It runs here, inside `make test`, in a subprocess: the loop a developer runs on each edit must stay green and keep
reaching the whole code base (a module only an end-to-end test touches would escape it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Entry points run as their own processes, never imported by a unit test: covered by the e2e tests named here.
PROCESS_ENTRY_POINTS = {
    "components.reward.sandbox_child": "the sandboxed child process (tests/reward/test_sandbox_isolation.py)",
    "components.reward.math_worker": "math-verify's worker process (tests/reward/test_reward_math.py)",
    "serve.__main__": "`python -m serve` (tests/serve/test_http.py)",
}


def project_modules() -> set[str]:
    names = set()
    for package in ("components", "serve"):
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.slow
def test_the_fast_loop_passes_and_imports_every_module(tmp_path) -> None:
    record = tmp_path / "modules.txt"
    env = dict(os.environ, RLVR_RECORD_MODULES=str(record), PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "not e2e", "-p", "no:cacheprovider", "-W", "ignore"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    imported = set(record.read_text().split())
    missing = sorted(project_modules() - imported - set(PROCESS_ENTRY_POINTS))
    assert not missing, f"no fast test imports {missing}"
