"""Drift between what a training run produced and what the server produces now.

The training run writes <run_dir>/reference_distribution.json from its final evaluation (rewards and
completion lengths in tokens); the server keeps a sliding window of the same two signals and compares them
with the Population Stability Index and a two-sample Kolmogorov-Smirnov test (scipy).

This module is imported by run_pipeline.py, so it must stay light: no web framework, scipy imported lazily.
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Any

from components.run_files import write_json

REFERENCE_FILE = "reference_distribution.json"
SIGNALS = ("reward", "completion_length")
EPS = 1e-4  # floor for empty bins: PSI's log ratio is undefined at 0


def write_reference_distribution(run_dir: str | Path, samples: list[dict[str, Any]], tokenizer: Any = None) -> Path:
    """<run_dir>/reference_distribution.json from evaluation samples (each with `reward` and `completion_tokens`).

    A sample without `completion_tokens` is measured by re-tokenizing its `completion` text (needs `tokenizer`).
    """
    rewards = [float(s["reward"]) for s in samples if s.get("reward") is not None]
    lengths = []
    for s in samples:
        if s.get("completion_tokens") is not None:
            lengths.append(int(s["completion_tokens"]))
        elif s.get("completion") is not None and tokenizer is not None:
            lengths.append(len(tokenizer(s["completion"], add_special_tokens=False)["input_ids"]))
    path = Path(run_dir) / REFERENCE_FILE
    write_json(
        path, {"source": "eval_after", "num_samples": len(samples), "reward": rewards, "completion_length": lengths}
    )
    return path


def load_reference(path: str | Path) -> dict[str, list[float]]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"serve.drift.reference={path}: cannot read ({err})") from None
    out = {}
    for signal in SIGNALS:
        values = data.get(signal)
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ValueError(f"serve.drift.reference={path}: `{signal}` must be a list of finite numbers")
        out[signal] = [float(v) for v in values]
    return out


def bin_edges(reference: list[float], bins: int) -> list[float]:
    """Interior edges: quantiles of the reference, or one narrow bin per value when it has few distinct ones.

    Rewards are often discrete (0, 0.1, 1, 1.1): quantile edges would collapse, so each reference value gets a
    bin of its own and the gaps between them are bins too (a served value the reference never had lands there).
    """
    import numpy as np

    values = np.unique(np.asarray(reference, dtype=float))
    if len(values) <= bins:
        gap = np.diff(values).min() / 4 if len(values) > 1 else np.inf
        half = np.minimum(1e-6 * np.maximum(1.0, np.abs(values)), gap)
        return list(np.unique(np.concatenate([values - half, values + half])))
    return list(np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1])))


def psi(reference: list[float], current: list[float], bins: int = 10) -> float:
    """Population Stability Index of `current` against `reference` (0 = same; > 0.2 = a significant shift).

    >>> psi([0, 1] * 50, [0, 1] * 50)
    0.0
    >>> round(psi([0, 1] * 50, [1] * 100), 2)
    4.6
    """
    import numpy as np

    edges = [-np.inf, *bin_edges(reference, bins), np.inf]
    expected = np.histogram(reference, bins=edges)[0] / len(reference)
    actual = np.histogram(current, bins=edges)[0] / len(current)
    expected, actual = np.maximum(expected, EPS), np.maximum(actual, EPS)
    return round(float(np.sum((actual - expected) * np.log(actual / expected))), 6)


class DriftMonitor:
    """Sliding windows of served values per signal, compared with the reference on demand."""

    def __init__(
        self,
        reference: dict[str, list[float]] | None,
        reference_path: str | None = None,
        window: int = 500,
        min_samples: int = 30,
        bins: int = 10,
        psi_threshold: float = 0.2,
        ks_alpha: float | None = 0.01,
    ) -> None:
        self.reference = reference
        self.reference_path = reference_path
        self.windows = {signal: deque(maxlen=window) for signal in SIGNALS}
        self.min_samples = min_samples
        self.bins = bins
        self.psi_threshold = psi_threshold
        self.ks_alpha = ks_alpha

    def observe(self, signal: str, values: list[float]) -> None:
        self.windows[signal].extend(float(v) for v in values if v is not None and math.isfinite(v))

    def signal_report(self, signal: str) -> dict[str, Any]:
        current = list(self.windows[signal])
        ref = (self.reference or {}).get(signal) or []
        out: dict[str, Any] = {
            "window_samples": len(current),
            "reference_samples": len(ref),
            "psi": None,
            "ks_statistic": None,
            "ks_pvalue": None,
            "drift": False,
        }
        if not ref:
            return dict(out, status="no_reference")
        if len(current) < self.min_samples:
            return dict(out, status="insufficient_data")
        from scipy.stats import ks_2samp

        ks = ks_2samp(current, ref)
        value = psi(ref, current, self.bins)
        drift = value > self.psi_threshold or (self.ks_alpha is not None and ks.pvalue < self.ks_alpha)
        return dict(
            out,
            status="ok",
            psi=value,
            ks_statistic=round(float(ks.statistic), 6),
            ks_pvalue=float(ks.pvalue),
            drift=bool(drift),
        )

    def report(self) -> dict[str, Any]:
        signals = {signal: self.signal_report(signal) for signal in SIGNALS}
        return {
            "reference": self.reference_path,
            "psi_threshold": self.psi_threshold,
            "ks_alpha": self.ks_alpha,
            "min_samples": self.min_samples,
            "drift": any(s["drift"] for s in signals.values()),
            "signals": signals,
        }


def monitor_from(settings: Any, run_dir: Path | None) -> DriftMonitor:
    """The monitor for `serve.drift` (a DriftSettings); no reference file means reports say `no_reference`."""
    path = settings.reference or (str(run_dir / REFERENCE_FILE) if run_dir else None)
    reference = None
    if path and (settings.reference or Path(path).exists()):  # an explicitly named file must exist
        reference = load_reference(path)
    return DriftMonitor(
        reference,
        path if reference else None,
        settings.window,
        settings.min_samples,
        settings.bins,
        settings.psi_threshold,
        settings.ks_alpha,
    )
