"""Small helpers the orchestrator uses: building components, seeding, and writing into the run dir."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from components.distributed import is_main_process
from components.evaluation.history import EVAL_HISTORY, read_history
from components.run_files import write_json
from components.training.checkpoints import checkpoint_step, resolve_resume, rewind_logs
from components.types import EvalResult

log = logging.getLogger("run_pipeline")

# Files a finished run writes; a run dir that already holds one of them belongs to another run.
RUN_FILES = ("metrics.jsonl", "eval_before.json", "eval_after.json", "summary.json")


def choose_openmp_wait_policy(environ=os.environ) -> str | None:
    """Set OMP_WAIT_POLICY=PASSIVE when this process will share its CPU cores; leave OpenMP's default otherwise.

    OpenMP's default spin-waiting is the fastest on idle cores but makes torch many times slower when cores are
    oversubscribed: several ranks on one host, or a machine already busy (the measurements: BENCHMARKS.md,
    Profile, and RECIPE_NOTES.md). Only effective before torch is imported;
    an OMP_WAIT_POLICY the user set always wins.
    """
    if "OMP_WAIT_POLICY" in environ:
        return None
    ranks_on_this_host = int(environ.get("LOCAL_WORLD_SIZE", "1"))
    busy = os.getloadavg()[0] >= (os.cpu_count() or 1)
    if ranks_on_this_host > 1 or busy:
        environ["OMP_WAIT_POLICY"] = "PASSIVE"
        return "PASSIVE"
    return None


def bracket_indices_to_dots(args: list[str]) -> list[str]:
    """`reward.reward_functions[0].params.x=5` -> `reward.reward_functions.0.params.x=5`.

    Hydra 1.3's override grammar rejects `[0]` in keys but accepts `.0`; users (and the seed README) write
    the bracket form, so the entry points rewrite keys (never values) before Hydra parses them.
    """
    out = []
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and not arg.startswith("-"):
            arg = re.sub(r"\[(\d+)\]", r".\1", key) + sep + value
        out.append(arg)
    return out


def build(node: DictConfig, interface: type | None = None, **runtime: Any) -> Any:
    """instantiate() with a log line naming the `_target_`; runtime objects are injected at the call.

    With `interface` (a group's runtime_checkable Protocol or base class), an object lacking part of it is a
    one-line error naming what is missing, before anything runs, instead of an AttributeError mid-run.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    log.info("Building %s", node.get("_target_"))
    try:
        built = instantiate(node, **runtime)
    except InstantiationException as err:
        # Surface our one-line ValueErrors (they name the key) instead of Hydra's wrapper text.
        if isinstance(err.__cause__, ValueError):
            raise err.__cause__ from None
        raise
    if interface is not None and not isinstance(built, interface):
        raise ValueError(
            f"{node.get('_target_')}: does not implement {interface.__module__}.{interface.__qualname__} "
            f"(missing: {', '.join(missing_members(built, interface)) or 'not a subclass'})"
        )
    return built


def missing_members(obj: Any, interface: type) -> list[str]:
    """The attributes and methods of a Protocol (or base class) that `obj` lacks."""
    members = {
        name for name in (*vars(interface), *getattr(interface, "__annotations__", {})) if not name.startswith("_")
    }
    return sorted(name for name in members if not hasattr(obj, name))


def seed_everything(seed: int) -> None:
    from transformers import set_seed

    random.seed(seed)
    set_seed(seed)


def prepare_run_dir(resume_from_checkpoint: Any = None) -> Path:
    """The Hydra run dir, guarded: a new run never writes into another run's files.

    Resuming (`train.resume_from_checkpoint` set) is the one way back into a used dir: logs are rewound to the
    checkpoint's step (rows a killed run wrote after it are logged again), and what the resumed run writes
    anew (summary.json of an interrupted attempt, a stale eval_after.json) is moved aside, never overwritten.
    """
    from hydra.core.hydra_config import HydraConfig

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    # Only rank 0 checks and rewrites: by the time a slow rank looks, rank 0 may already have written.
    if not is_main_process():
        return run_dir
    if resume_from_checkpoint is None:
        taken = [name for name in RUN_FILES if (run_dir / name).exists()]
        if taken:
            raise ValueError(
                f"hydra.run.dir={run_dir} already holds a run ({taken[0]}); choose a new directory, "
                "or continue it with train.resume_from_checkpoint=auto"
            )
        return run_dir
    summary = run_dir / "summary.json"
    if summary.exists() and json.loads(summary.read_text(encoding="utf-8")).get("status") in (None, "finished"):
        raise ValueError(f"hydra.run.dir={run_dir} holds a finished run (summary.json); nothing to resume")
    step = checkpoint_step(resolve_resume(resume_from_checkpoint, run_dir))
    for name in ("summary.json", "eval_after.json"):
        if (run_dir / name).exists():
            os.replace(run_dir / name, _free_name(run_dir / f"{Path(name).stem}.before_resume_{step}.json"))
    rewind_logs(run_dir, step)
    log.info("Resuming the run in %s from step %d", run_dir, step)
    return run_dir


def _free_name(path: Path) -> Path:
    n = 1
    while path.exists():
        path, n = path.with_name(f"{path.stem.rsplit('~', 1)[0]}~{n}{path.suffix}"), n + 1
    return path


def reuse_eval_before(run_dir: Path) -> Any:
    """A resumed run's evaluation before training (EvalResult), read back instead of re-run; None for a new run."""

    path = run_dir / "eval_before.json"
    if not path.exists():
        return None
    rows = read_history(run_dir / EVAL_HISTORY)
    samples = sorted(
        (r for r in rows if r.get("tag") == "before" and r.get("sample") is None), key=lambda r: r["index"]
    )
    log.info("Resumed run: reusing %s", path)
    return EvalResult(json.loads(path.read_text(encoding="utf-8")), samples)


def finish_stopped(run_dir: Path, stop: Any) -> None:
    """Training stopped on purpose (Ctrl-C, non-finite loss, failed preflight): summary.json says so, and the
    process exits non-zero with the reason on one line."""
    write_json(run_dir / "summary.json", dict(stop.summary(), run_dir=str(run_dir)))
    log.error("%s", stop)
    print(f"stopped ({stop.status}): {stop}", file=sys.stderr)
    raise SystemExit(stop.exit_code)


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg, resolve=True)
