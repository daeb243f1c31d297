"""Test helper: run the pipeline, but SIGKILL the process right after checkpoint-<RLVR_KILL_AFTER_STEP> is saved.

A hard kill at an exact, known point (not a timer), so the resume test is deterministic. Used only by tests.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from transformers import TrainerCallback  # noqa: E402

from components.runtime import bracket_indices_to_dots  # noqa: E402
from components.training import grpo  # noqa: E402

KILL_STEP = int(os.environ["RLVR_KILL_AFTER_STEP"])


class KillAfterSave(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        if state.global_step == KILL_STEP:
            import torch.distributed as dist

            if dist.is_initialized():  # several ranks: every rank's checkpoint shards are written before any dies
                dist.barrier()
            os.kill(os.getpid(), signal.SIGKILL)


_fit = grpo.GRPOTrainingLoop.fit


def fit_then_die(self, loaded, train_dataset, reward, callbacks):
    return _fit(self, loaded, train_dataset, reward, [*callbacks, KillAfterSave()])


grpo.GRPOTrainingLoop.fit = fit_then_die
sys.argv = bracket_indices_to_dots([str(REPO / "run_pipeline.py"), *sys.argv[1:]])
runpy.run_path(str(REPO / "run_pipeline.py"), run_name="__main__")
