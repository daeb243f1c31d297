"""CostTracker: phase timing through the watch() wrappers, token counts, prices and dollars per point."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import torch

from components.cost.tracker import CostTracker


class FakeModel:
    def generate(self, input_ids, pad_token_id=None, max_new_tokens=3):
        time.sleep(0.01)
        new = torch.tensor([[5, 6, 0], [7, 0, 0]])  # 3 real tokens, pad = 0
        return torch.cat([input_ids, new], dim=1)


class FakeEvaluator:
    def __init__(self, model):
        self.model = model

    def evaluate(self):
        time.sleep(0.01)
        return self.model.generate(torch.ones(2, 4, dtype=torch.long), pad_token_id=0)


def _watched(**kwargs):
    tracker = CostTracker(accelerator="h100", **kwargs)
    model = FakeModel()
    reward = SimpleNamespace(funcs=[lambda completions, **kw: [1.0] * len(completions)])
    reward.funcs[0].__name__ = "gsm8k"
    evaluator = FakeEvaluator(model)
    tracker.watch(model, reward, evaluator)
    return tracker, model, reward, evaluator


def test_phases_tokens_and_nesting() -> None:
    tracker, model, reward, evaluator = _watched()
    evaluator.evaluate()  # generation inside evaluation counts as evaluation time, tokens still counted
    assert tracker.seconds["evaluation"] > 0 and tracker.seconds["generation"] == 0
    state = SimpleNamespace(num_input_tokens_seen=42)
    tracker.on_step_begin(None, state, None)
    model.generate(torch.ones(2, 4, dtype=torch.long), pad_token_id=0)
    assert reward.funcs[0](["a", "b"]) == [1.0, 1.0] and reward.funcs[0].__name__ == "gsm8k"  # TRL names rewards by it
    time.sleep(0.01)
    tracker.on_step_end(None, state, None)
    totals = tracker.totals()
    assert totals["tokens_generated"] == 6 and totals["tokens_trained"] == 42
    assert totals["generation_s"] > 0 and totals["reward_s"] > 0 and totals["optimisation_s"] >= 0.009
    assert totals["other_s"] >= 0
    logs = {"loss": 0.1}
    tracker.on_log(None, state, None, logs=logs)
    assert logs["cost/tokens_generated"] == 6


def test_dollars_use_the_table_or_the_given_rate() -> None:
    tracker = CostTracker(accelerator="h100", num_accelerators=2)
    tracker.started -= 3600  # one hour of wall time
    summary = tracker.summary(accuracy_gain=0.10)
    assert summary["cost/accelerator_hours"] == pytest.approx(2.0, rel=1e-3)
    assert summary["cost/usd"] == pytest.approx(6.0, rel=1e-3)  # 2 h x $3.00
    assert summary["cost/usd_per_accuracy_point"] == pytest.approx(0.6, rel=1e-3)  # 10 points
    assert CostTracker(usd_per_hour=1.5).usd_per_hour == 1.5
    assert tracker.summary(accuracy_gain=0.0)["cost/usd_per_accuracy_point"] is None  # no gain, no price per point


def test_bad_accelerator_names_the_key() -> None:
    with pytest.raises(ValueError, match=r"cost.accelerator=tpu9: unknown"):
        CostTracker(accelerator="tpu9")
    with pytest.raises(ValueError, match=r"cost.usd_per_hour=-1"):
        CostTracker(usd_per_hour=-1)
