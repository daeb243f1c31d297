"""The tests that compare floats across batch shapes, chunking, padding or kernels, run again under other CPU kernels
and thread counts: what they assert must hold on any x86 CPU, not only on the one they were written on.

Bit-identity is asserted only where the same computation runs on the same shapes; elsewhere a tolerance says what
is guaranteed (a GEMM over another number of rows, or with another ISA's kernels, rounds differently). Each setting
re-runs those tests in a fresh process, since kernels and thread pools are chosen when torch starts:
  avx2        ATen's vector kernels, MKL's GEMMs and oneDNN limited to AVX2 (as on CPUs without AVX-512)
  threads     another OpenMP/MKL thread count than this run's (other reduction splits): one thread, or every core
              when this run has one (as `make test` gives each of its pytest-xdist workers on a 2-core machine)
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

FLOAT_SENSITIVE = [
    "tests/training/test_shared_prompt.py",
    "tests/training/test_zero_signal_pruning.py",
    "tests/evaluation/test_generation_and_training_hooks.py::test_greedy_batches_match_one_by_one_so_left_padding_is_right",
    "tests/model/test_generation_weights.py",
    "tests/serve/test_sampling.py",
]
THIS_RUN_THREADS = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))
OTHER_THREADS = "1" if THIS_RUN_THREADS > 1 else str(max(2, os.cpu_count() or 1))
SETTINGS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"},
    "threads": {"OMP_NUM_THREADS": OTHER_THREADS, "MKL_NUM_THREADS": OTHER_THREADS},
}


@pytest.mark.parametrize("setting", SETTINGS)
def test_float_sensitive_tests_hold_under_other_kernels_and_threads(setting: str) -> None:
    env = dict(os.environ, **SETTINGS[setting], PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore", *FLOAT_SENSITIVE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"{setting}: {proc.stdout[-3000:]}"
    assert " passed" in proc.stdout.splitlines()[-1] and "failed" not in proc.stdout.splitlines()[-1]
