"""Same seed, same metrics: two CPU runs in separate processes log identical metrics.jsonl apart from timings."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_pipeline

# Wall-clock dependent keys; everything else (losses, rewards, grad norms, token counts) must match exactly.
TIMING_WORDS = ("time", "runtime", "per_second", "seconds", "_s", "hours", "usd")

# A "starts with a digit" reward gives the tiny model's random completions different rewards, so GRPO has non-zero
# advantages and the two runs really train (identical all-zero losses would prove nothing).
TRAINING = [
    "experiment=smoke",
    "reward_component=format",
    "reward.reward_functions[0].params.tags=[]",
    "reward.reward_functions[0].params.regex='^[0-9]'",
    "train.max_steps=2",
    "train.per_device_train_batch_size=8",
    "train.num_generations=4",
    "train.max_completion_length=16",
    "seed=7",
]


def _untimed(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in row.items() if not k.endswith(TIMING_WORDS) and "time" not in k} for row in rows]


def test_same_seed_gives_identical_metrics(tmp_path: Path) -> None:
    # Two joblib workers: separate fresh processes (own hash seeds), the same overrides.
    proc = run_pipeline(
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        *TRAINING,
        "train.learning_rate=1e-3,1e-3",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = _untimed(tmp_path / "0" / "metrics.jsonl"), _untimed(tmp_path / "1" / "metrics.jsonl")
    train_rows = [r for r in first if "train/loss" in r]
    assert len(train_rows) == 2
    assert any(r["train/reward_std"] > 0 for r in train_rows), "rewards never differed: the test would prove nothing"
    assert first == second
