"""Small helpers the orchestrator uses: building components, seeding, and writing into the run dir."""

from __future__ import annotations

import json
import logging
import math
import os
import random
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("run_pipeline")

# Files a finished run writes; a run dir that already holds one of them belongs to another run.
RUN_FILES = ("metrics.jsonl", "eval_before.json", "eval_after.json", "summary.json")


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


def build(node: DictConfig, **runtime: Any) -> Any:
    """instantiate() with a log line naming the `_target_`; runtime objects are injected at the call."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    log.info("Building %s", node.get("_target_"))
    try:
        return instantiate(node, **runtime)
    except InstantiationException as err:
        # Surface our one-line ValueErrors (they name the key) instead of Hydra's wrapper text.
        if isinstance(err.__cause__, ValueError):
            raise err.__cause__ from None
        raise


def seed_everything(seed: int) -> None:
    from transformers import set_seed

    random.seed(seed)
    set_seed(seed)


def prepare_run_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    taken = [name for name in RUN_FILES if (run_dir / name).exists()]
    if taken:
        raise ValueError(f"hydra.run.dir={run_dir} already holds a run ({taken[0]}); choose a new directory")
    return run_dir


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg, resolve=True)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a crash never leaves a half-written file, and an existing file is never replaced."""
    if path.exists():
        raise ValueError(f"{path} already exists; refusing to overwrite it")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_json_safe(data), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
