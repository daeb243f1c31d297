"""The report's PNG plots (matplotlib, Agg backend: no display needed). Each returns its path, or None
when the run holds no data for it (a mode=eval run has no training curves)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TRAIN_REWARD, TRAIN_LENGTH, TRAIN_MAX_LENGTH = "reward", "train/completions/mean_length", "train/completions/max_length"
PROBE_MARKER = "eval/best_accuracy"  # only probe rows carry it; the final full evaluation does not


def _series(rows: list[dict], key: str, where=lambda r: True) -> tuple[list[int], list[float]]:
    points = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float)) and where(r)]
    return [p[0] for p in points], [p[1] for p in points]


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def training_curves(rows: list[dict], before: dict | None, after: dict | None, path: Path) -> Path | None:
    """Top: training reward (total and per function). Bottom: probe accuracy, plus before/after accuracy."""
    steps, reward = _series(rows, TRAIN_REWARD)
    if not steps:
        return None
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    top.plot(steps, reward, marker=".", label="train reward (weighted total)", color="tab:blue")
    for key in sorted({k for r in rows for k in r if k.startswith("reward/") and k.count("/") == 1}):
        top.plot(*_series(rows, key), linestyle="--", alpha=0.7, label=key)
    top.set_ylabel("reward")
    top.set_title("Reward and accuracy over training steps")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    probe_steps, probe_acc = _series(rows, "eval/accuracy", lambda r: PROBE_MARKER in r)
    if probe_steps:
        bottom.plot(
            probe_steps, probe_acc, marker="o", color="tab:green", label="probe accuracy (greedy, probe subset)"
        )
    if before and after:
        bottom.scatter(
            [0, steps[-1]],
            [before["accuracy"], after["accuracy"]],
            marker="D",
            color="tab:red",
            zorder=3,
            label="before / after accuracy (full eval split)",
        )
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_xlabel("training step")
    bottom.set_ylabel("accuracy")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    return _save(fig, path)


def completion_lengths(rows: list[dict], path: Path) -> Path | None:
    steps, mean = _series(rows, TRAIN_LENGTH)
    probe_steps, probe_len = _series(rows, "eval/mean_completion_length", lambda r: PROBE_MARKER in r)
    if not steps and not probe_steps:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.8))
    if steps:
        ax.plot(steps, mean, marker=".", label="train: mean completion length")
        ax.plot(*_series(rows, TRAIN_MAX_LENGTH), linestyle="--", alpha=0.6, label="train: max completion length")
    if probe_steps:
        ax.plot(probe_steps, probe_len, marker="o", label="probe: mean completion length (greedy)")
    ax.set_xlabel("training step")
    ax.set_ylabel("tokens")
    ax.set_title("Completion length over training steps")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def before_after(before: dict, after: dict, comparison: dict, path: Path) -> Path:
    """Accuracy before and after with each arm's 95% Wilson interval; the paired CI and p-value in the title."""
    from scipy.stats import binomtest

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    values, errors = [], [[], []]
    for metrics in (before, after):
        n, acc = int(metrics["num_samples"]), metrics["accuracy"]
        ci = binomtest(round(acc * n), n).proportion_ci(0.95, method="wilson")
        values.append(acc)
        errors[0].append(acc - ci.low)
        errors[1].append(ci.high - acc)
    ax.bar(["before", "after"], values, yerr=errors, capsize=8, color=["tab:gray", "tab:blue"])
    for x, v in enumerate(values):
        ax.text(x, v + 0.02, f"{v:.1%}", ha="center")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy (95% Wilson CI)")
    gain, low, high = (
        comparison["accuracy_gain"],
        comparison["accuracy_gain_ci_low"],
        comparison["accuracy_gain_ci_high"],
    )
    ax.set_title(
        f"gain {gain:+.1%} [{low:+.1%}, {high:+.1%}], McNemar p={comparison['mcnemar_p_value']:.3g}", fontsize=10
    )
    return _save(fig, path)


def reward_distribution(groups: dict[str, list[float]], path: Path) -> Path | None:
    """Histogram of per-completion rewards, one series per group (e.g. before / after / training)."""
    groups = {name: values for name, values in groups.items() if values}
    if not groups:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8))
    low = min(min(v) for v in groups.values())
    high = max(max(v) for v in groups.values())
    names, values = list(groups), list(groups.values())
    # Side-by-side bars of the fraction of each group's completions, so groups of different sizes
    # (64 eval problems vs thousands of training completions) compare directly and none hides another.
    ax.hist(
        values,
        bins=20 if high > low else 1,
        range=(low, high) if high > low else (low - 0.5, low + 0.5),
        weights=[[1 / len(v)] * len(v) for v in values],
        label=[f"{n} (n={len(v)}, mean {sum(v) / len(v):.3f})" for n, v in zip(names, values)],
    )
    ax.set_xlabel("reward per completion")
    ax.set_ylabel("fraction of completions")
    ax.set_title("Reward distribution")
    ax.legend(fontsize=8)
    return _save(fig, path)
