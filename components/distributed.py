"""Rank awareness for multi-process launches (torchrun, accelerate launch): who writes, and one run dir.

Launchers set RANK / WORLD_SIZE / LOCAL_RANK before Python starts, so these helpers read the environment and
need no process group: they work before Hydra composes, and a plain single process is rank 0 of 1.
Training itself is distributed by accelerate inside trl.GRPOTrainer; nothing here re-implements that.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping

RUN_DIR_ENV = "RLVR_RUN_DIR"  # set it (same value on every rank/node) to pin the run dir from a launcher script
RUN_DIR_KEYS = ("hydra.run.dir=", "+hydra.run.dir=", "++hydra.run.dir=")
STORE_TIMEOUT = datetime.timedelta(seconds=300)  # rank 0 may still be importing torch when the others ask


def rank(environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get("RANK", "0"))


def world_size(environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get("WORLD_SIZE", "1"))


def local_rank(environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get("LOCAL_RANK", "0"))


def is_main_process(environ: Mapping[str, str] = os.environ) -> bool:
    """Rank 0 alone writes reports, JSON files and observer output; the other ranks only train."""
    return rank(environ) == 0


def default_run_dir(now: datetime.datetime | None = None) -> str:
    """Hydra's own default run dir (outputs/<date>/<time>), fixed once so that every rank can share it."""
    now = now or datetime.datetime.now()
    return f"outputs/{now:%Y-%m-%d}/{now:%H-%M-%S}"


def _store_broadcast(environ: Mapping[str, str], value: str) -> str:
    """Rank 0's `value`, read by every rank from the launcher's own TCP store (torchrun / accelerate launch)."""
    from torch.distributed import TCPStore

    store = TCPStore(environ["MASTER_ADDR"], int(environ["MASTER_PORT"]), is_master=False, timeout=STORE_TIMEOUT)
    key = f"rlvr/run_dir/{environ.get('TORCHELASTIC_RUN_ID', '')}/{environ.get('TORCHELASTIC_RESTART_COUNT', '0')}"
    if rank(environ) == 0:
        store.set(key, value)
    return store.get(key).decode()


def agree_on_run_dir(argv: list[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """Give every rank the same `hydra.run.dir` and keep Hydra's own files to rank 0.

    Hydra's default run dir holds a timestamp, so two ranks started a second apart would pick two dirs. Order:
    an explicit `hydra.run.dir=` override, else $RLVR_RUN_DIR, else rank 0's choice shared through the
    launcher's store. Ranks > 0 also skip `.hydra/` and log to `run_pipeline_rank<N>.log`.
    """
    if world_size(environ) <= 1 or {"-m", "--multirun"} & set(argv):
        return argv
    extra = []
    if not any(arg.startswith(RUN_DIR_KEYS) for arg in argv[1:]):
        if environ.get(RUN_DIR_ENV):
            run_dir = environ[RUN_DIR_ENV]
        elif environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True" and "MASTER_PORT" in environ:
            run_dir = _store_broadcast(environ, default_run_dir())
        else:
            raise SystemExit(
                f"error: WORLD_SIZE={world_size(environ)} but this launcher gives the ranks no shared store to agree "
                f"on a run dir: pass hydra.run.dir=<dir> or set {RUN_DIR_ENV}=<dir> (same value on every rank)"
            )
        extra.append(f"hydra.run.dir={run_dir}")
    if not is_main_process(environ):
        extra += ["hydra.output_subdir=null", f"hydra.job.name=run_pipeline_rank{rank(environ)}"]
    return [*argv, *extra]


def sharding_engine(environ: Mapping[str, str] = os.environ) -> str | None:
    """ "deepspeed" / "fsdp" when `accelerate launch` was given a ZeRO / FSDP config (it says so in the env), else None.

    TrainingArguments.deepspeed / .fsdp stay empty under such a launch, so the launch's env is what tells.
    """
    for engine in ("deepspeed", "fsdp"):
        if environ.get(f"ACCELERATE_USE_{engine.upper()}", "false").lower() == "true":
            return engine
    return None


def needs_cpu_backend(environ: Mapping[str, str] = os.environ) -> bool:
    """Several ranks on a machine without CUDA: accelerate must be told `use_cpu` to pick gloo.

    Without it each torchrun rank silently trains alone (accelerate's DistributedType.NO, world_size 1).
    """
    import torch

    return world_size(environ) > 1 and not torch.cuda.is_available()
