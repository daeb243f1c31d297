"""PSI / KS drift against a training run's reference, and the reference file the training run writes."""

from __future__ import annotations

import json
import random

import pytest

from serve.config import DriftSettings
from serve.drift import DriftMonitor, load_reference, monitor_from, psi, write_reference_distribution


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift() -> None:
    rng = random.Random(0)
    ref = [rng.gauss(50, 10) for _ in range(2000)]
    same = [rng.gauss(50, 10) for _ in range(2000)]
    shifted = [rng.gauss(65, 10) for _ in range(2000)]
    assert psi(ref, same) < 0.05
    assert psi(ref, shifted) > 0.5


def test_psi_handles_discrete_rewards() -> None:
    ref = [0.0] * 70 + [1.1] * 30  # a 30% solve rate
    assert psi(ref, [0.0] * 70 + [1.1] * 30) == 0.0
    assert psi(ref, [0.0] * 30 + [1.1] * 70) > 0.2  # solve rate jumped to 70%: separate bins catch it
    assert psi(ref, [0.0] * 68 + [1.1] * 32) < 0.01
    assert psi(ref, [0.0] * 70 + [0.5] * 30) > 0.2  # a reward value training never produced has a bin of its own
    assert psi([1.0] * 50, [0.0] * 20) > 0.2  # a single-valued reference still separates other values


def test_monitor_states_and_flags() -> None:
    ref = {"reward": [0.0] * 50 + [1.0] * 50, "completion_length": list(range(10, 60))}
    monitor = DriftMonitor(ref, "ref.json", window=40, min_samples=20, psi_threshold=0.2, ks_alpha=0.01)
    assert monitor.report()["signals"]["reward"]["status"] == "insufficient_data"
    monitor.observe("reward", [0.0, 1.0] * 20)
    monitor.observe("completion_length", [200] * 30 + [float("nan"), None])  # non-finite values are dropped
    report = monitor.report()
    reward, length = report["signals"]["reward"], report["signals"]["completion_length"]
    assert reward["status"] == "ok" and reward["drift"] is False and reward["psi"] < 0.05
    assert length["window_samples"] == 30 and length["drift"] is True and length["ks_pvalue"] < 0.01
    assert report["drift"] is True
    monitor.observe("reward", [1.0] * 100)  # the window slides: only the last 40 values count
    assert monitor.report()["signals"]["reward"]["window_samples"] == 40
    assert monitor.report()["signals"]["reward"]["drift"] is True


def test_no_reference_reports_it() -> None:
    monitor = monitor_from(DriftSettings(), run_dir=None)
    monitor.observe("reward", [1.0] * 100)
    assert monitor.report()["signals"]["reward"]["status"] == "no_reference"
    assert monitor.report()["drift"] is False


class CharTokenizer:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": list(text)}


def test_reference_written_from_eval_samples_and_read_back(tmp_path) -> None:
    samples = [
        {"reward": 1.1, "completion": "The answer is 5", "completion_tokens": 4},
        {"reward": 0.0, "completion": "no idea"},  # an older evaluator: length re-tokenized
        {"reward": None, "completion": None},
    ]
    path = write_reference_distribution(tmp_path, samples, CharTokenizer())
    data = json.loads(path.read_text())
    assert data["reward"] == [1.1, 0.0] and data["completion_length"] == [4, 7] and data["num_samples"] == 3
    assert load_reference(path) == {"reward": [1.1, 0.0], "completion_length": [4.0, 7.0]}
    monitor = monitor_from(DriftSettings(), run_dir=tmp_path)  # found beside the run's model
    assert monitor.reference_path == str(path)
    with pytest.raises(ValueError, match="already exists"):
        write_reference_distribution(tmp_path, samples, CharTokenizer())


def test_bad_reference_file_names_the_key(tmp_path) -> None:
    bad = tmp_path / "ref.json"
    bad.write_text(json.dumps({"reward": [1, "x"], "completion_length": []}))
    with pytest.raises(ValueError, match=r"serve.drift.reference=.*`reward` must be a list of finite numbers"):
        monitor_from(DriftSettings(reference=str(bad)), run_dir=None)
    with pytest.raises(ValueError, match="cannot read"):
        monitor_from(DriftSettings(reference=str(tmp_path / "missing.json")), run_dir=None)


def test_docstring_examples() -> None:
    import doctest

    import serve.drift
    import serve.selection

    for module in (serve.drift, serve.selection):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
