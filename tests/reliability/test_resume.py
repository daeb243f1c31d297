"""Resume is exact: 4 steps straight == 2 steps, SIGKILL, resume with train.resume_from_checkpoint=auto, 2 more.

Same logged training metrics at every step (none duplicated, none missing) and the same final LoRA weights.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import TINY_TRAIN, run_pipeline

STEPS, KILL_AT = 4, 2
ARGS = [
    *[a for a in TINY_TRAIN if not a.startswith("train.max_steps")],
    f"train.max_steps={STEPS}",
    "train.save_strategy=steps",
    "train.save_steps=2",
    "train.preflight=false",  # this test is about resuming; the tiny random model truncates most completions
    "eval.probe_every_steps=0",
    "data.num_eval=4",
]
# Wall-clock and cost keys differ between any two runs; everything else TRL logs must match.
VOLATILE = ("time", "runtime", "per_second", "cost/", "flos")


def train_rows(run_dir: Path) -> dict[int, dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in rows if "train/loss" in r]
    assert len(steps) == len(set(steps)), f"duplicated steps in metrics.jsonl: {steps}"
    return {
        r["step"]: {k: v for k, v in r.items() if not any(x in k for x in VOLATILE)} for r in rows if "train/loss" in r
    }


def adapter(run_dir: Path):
    from safetensors.torch import load_file

    return load_file(str(run_dir / "model" / "adapter_model.safetensors"))


@pytest.mark.slow
def test_killed_and_resumed_run_matches_a_straight_run(tmp_path: Path) -> None:
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    out = run_pipeline(*ARGS, f"hydra.run.dir={straight}", timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]

    os.environ["RLVR_KILL_AFTER_STEP"] = str(KILL_AT)
    try:
        out = run_pipeline(
            *ARGS, f"hydra.run.dir={resumed}", timeout=600, script="tests/reliability/kill_after_save.py"
        )
    finally:
        del os.environ["RLVR_KILL_AFTER_STEP"]
    assert out.returncode == -signal.SIGKILL, out.stderr[-3000:]
    assert (resumed / "checkpoints" / f"checkpoint-{KILL_AT}" / "trainer_state.json").is_file()
    assert not (resumed / "summary.json").exists()

    # Re-running without resume must refuse the used dir; with resume it continues it.
    out = run_pipeline(*ARGS, f"hydra.run.dir={resumed}", timeout=120)
    assert out.returncode != 0 and "resume_from_checkpoint=auto" in out.stderr, out.stderr[-2000:]
    out = run_pipeline(*ARGS, "train.resume_from_checkpoint=auto", f"hydra.run.dir={resumed}", timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]

    a, b = train_rows(straight), train_rows(resumed)
    assert sorted(a) == sorted(b) == list(range(1, STEPS + 1))
    for step in a:
        assert a[step].keys() == b[step].keys(), step
        for key, value in a[step].items():
            assert value == pytest.approx(b[step][key], rel=1e-4, abs=1e-6), (step, key, value, b[step][key])
    wa, wb = adapter(straight), adapter(resumed)
    assert wa.keys() == wb.keys()
    for name in wa:
        assert (wa[name] - wb[name]).abs().max().item() < 1e-5, name
    summary = json.loads((resumed / "summary.json").read_text())
    assert summary["global_step"] == STEPS
    eval_before = [
        r for r in map(json.loads, (resumed / "metrics.jsonl").read_text().splitlines()) if "eval_before/accuracy" in r
    ]
    assert len(eval_before) == 1  # reused on resume, not logged twice
