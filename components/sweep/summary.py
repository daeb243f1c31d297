"""After a multirun: rank every job of the sweep by one summary.json metric, with the overrides that made it.

Writes `sweep_summary.csv`, `sweep_summary.md` and `sweep_summary.png` into the sweep dir. Configured as a Hydra
callback in conf/config.yaml (`hydra.callbacks.sweep_summary`), so it runs after any launcher/sweeper
(basic, joblib, submitit, Optuna). Jobs without a summary.json (failed or still running) are listed last.
Also usable by hand: `python -m components.sweep.summary multirun/2025-01-01/12-00-00`.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class SweepSummaryCallback(Callback):
    def __init__(self, metric: str = "accuracy_after", mode: str = "max", columns: list[str] | None = None) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"hydra.callbacks.sweep_summary.mode={mode}: use max or min")
        self.metric, self.mode = metric, mode
        self.columns = list(columns or [])  # further summary.json keys shown beside the metric

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        rows = summarize(sweep_dir, self.metric, self.mode, self.columns)
        if rows:
            log.info(
                "Sweep summary (%d runs, best %s=%s): %s",
                len(rows),
                self.metric,
                rows[0].get(self.metric),
                sweep_dir / "sweep_summary.md",
            )


def collect(sweep_dir: Path, metric: str, columns: list[str]) -> list[dict[str, Any]]:
    """One row per job dir (a folder holding .hydra/overrides.yaml) under the sweep dir."""
    rows = []
    for overrides_file in sorted(sweep_dir.glob("**/.hydra/overrides.yaml")):
        job_dir = overrides_file.parent.parent
        summary_file = job_dir / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
        overrides = OmegaConf.to_container(OmegaConf.load(overrides_file)) or []
        row = {
            "job": str(job_dir.relative_to(sweep_dir)),
            "status": "ok" if summary else "failed",
            "overrides": " ".join(overrides),
            metric: summary.get(metric),
        }
        row.update({key: summary.get(key) for key in columns if key != metric})
        rows.append(row)
    return rows


def rank(rows: list[dict[str, Any]], metric: str, mode: str) -> list[dict[str, Any]]:
    def key(row: dict[str, Any]) -> tuple[int, float]:
        value = row.get(metric)
        if not isinstance(value, (int, float)) or math.isnan(value):
            return (1, 0.0)  # no number: last
        return (0, -value if mode == "max" else value)

    ranked = sorted(rows, key=key)
    for i, row in enumerate(ranked, 1):
        row["rank"] = i
    return ranked


def summarize(
    sweep_dir: Path, metric: str = "accuracy_after", mode: str = "max", columns: list[str] | None = None
) -> list[dict[str, Any]]:
    columns = list(columns or [])
    rows = rank(collect(sweep_dir, metric, columns), metric, mode)
    if not rows:
        log.warning("sweep summary: no job dirs with .hydra/overrides.yaml under %s", sweep_dir)
        return rows
    fields = ["rank", "job", "status", metric, *[c for c in columns if c != metric], "overrides"]
    with open(sweep_dir / "sweep_summary.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    (sweep_dir / "sweep_summary.md").write_text(markdown(rows, fields, metric, mode), encoding="utf-8")
    plot(rows, metric, sweep_dir / "sweep_summary.png")
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value).replace("|", "\\|")


def markdown(rows: list[dict[str, Any]], fields: list[str], metric: str, mode: str) -> str:
    lines = [
        f"# Sweep summary: {len(rows)} runs ranked by {metric} ({mode})",
        "",
        "| " + " | ".join(fields) + " |",
        "|" + "---|" * len(fields),
    ]
    lines += ["| " + " | ".join(_fmt(row.get(f)) for f in fields) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _short(label: str, width: int = 70) -> str:
    return label if len(label) <= width else "..." + label[-(width - 3) :]


def plot(rows: list[dict[str, Any]], metric: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on clusters or CI
    import matplotlib.pyplot as plt

    scored = [r for r in rows if isinstance(r.get(metric), (int, float))]
    labels = [_short(r["overrides"] or r["job"]) for r in scored]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(scored) + 1.5))
    ax.barh(range(len(scored)), [r[metric] for r in scored], color="tab:blue")
    ax.set_yticks(range(len(scored)), labels, fontsize=8)
    ax.invert_yaxis()  # rank 1 on top
    ax.set_xlabel(metric)
    ax.set_title(f"Sweep: {len(scored)} of {len(rows)} runs with {metric}")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    summarize(Path(sys.argv[1]), *sys.argv[2:3])
