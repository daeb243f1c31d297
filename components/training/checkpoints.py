"""Checkpoints in `<run_dir>/checkpoints` and resuming from them, exactly.

TRL/HF save `checkpoint-<step>/` (weights or LoRA adapter, optimizer, scheduler, RNG states, trainer_state.json)
every `train.save_steps`; `trainer.train(resume_from_checkpoint=path)` restores all of it and replays the
seeded sampler to the same batch. What TRL does not do is resolve `auto` (it takes a path or a bool) or clean
up what a killed run logged after its last checkpoint; both live here. No torch import: the run-dir guard
calls this before any heavy library loads.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)

CHECKPOINTS = "checkpoints"  # under the run dir; GRPOConfig.output_dir points here
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
AUTO = ("auto", "latest", "true")


def checkpoints_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / CHECKPOINTS


def is_checkpoint(path: Path) -> bool:
    # trainer_state.json is written last by HF's _save_checkpoint, so its presence marks a complete one.
    return (path / "trainer_state.json").is_file()


def latest_checkpoint(folder: Path) -> Path | None:
    """The complete `checkpoint-<step>` with the highest step, or None."""
    if not folder.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _CHECKPOINT.match(p.name)) and is_checkpoint(p)]
    return max(found)[1] if found else None


def resolve_resume(value: object, run_dir: str | Path) -> Path | None:
    """`train.resume_from_checkpoint`: null -> None; auto -> the latest checkpoint of this run (None if none yet);
    a path -> that checkpoint, which must exist."""
    if value is None or value is False or str(value).strip().lower() in ("", "null", "none", "false"):
        return None
    if value is True or str(value).strip().lower() in AUTO:
        found = latest_checkpoint(checkpoints_dir(run_dir))
        if found is None:
            log.info(
                "train.resume_from_checkpoint=auto: no checkpoint in %s yet; starting from step 0",
                checkpoints_dir(run_dir),
            )
        return found
    path = Path(str(value)).expanduser()
    if not is_checkpoint(path):
        raise ValueError(
            f"train.resume_from_checkpoint={value}: not a checkpoint directory (no trainer_state.json); "
            "use auto or a <run_dir>/checkpoints/checkpoint-<step> path"
        )
    return path


def checkpoint_step(path: Path | None) -> int:
    if path is None:
        return 0
    return int(json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))["global_step"])


def drop_rows_after(path: Path, step: int) -> int:
    """Rewrite a JSONL log without rows whose `step` is past `step` (what a killed run logged after its last
    checkpoint, which the resumed run logs again). Atomic; returns how many rows were dropped."""
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row_step = json.loads(line).get("step")
        except (json.JSONDecodeError, AttributeError):
            dropped += 1  # a line cut short by the kill
            continue
        if isinstance(row_step, int) and row_step > step:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(tmp, path)
        log.info("%s: dropped %d rows logged after step %d (they are logged again on resume)", path.name, dropped, step)
    return dropped


def rewind_logs(run_dir: str | Path, step: int) -> int:
    """Every step-keyed JSONL log in the run dir (metrics.jsonl, completions_*.jsonl) back to `step`."""
    return sum(drop_rows_after(path, step) for path in sorted(Path(run_dir).glob("*.jsonl")))
