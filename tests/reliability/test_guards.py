"""Guards, preflight and checkpoint bookkeeping, driven with synthetic trainer events (no model, seconds)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from transformers import TrainerControl, TrainerState

from components.training.checkpoints import drop_rows_after, latest_checkpoint, resolve_resume, rewind_logs
from components.training.guards import GuardSettings, TrainingGuard, TrainingStopped
from components.training.preflight import PreflightCallback, check_context


def state(step: int) -> TrainerState:
    s = TrainerState()
    s.global_step = step
    return s


def log(callback, step: int, **logs) -> TrainerControl:
    control = TrainerControl()
    control.should_save = True
    return callback.on_log(None, state(step), control, logs=dict(logs))


@pytest.mark.parametrize("key", ["loss", "grad_norm"])
def test_non_finite_loss_stops_without_saving(key: str) -> None:
    guard = TrainingGuard(GuardSettings())
    assert not log(guard, 1, loss=0.1, grad_norm=0.5).should_training_stop
    control = log(guard, 2, **{key: float("nan")})
    assert control.should_training_stop and not control.should_save  # the NaN weights are never checkpointed
    assert guard.stop[0] == "non_finite_loss" and "step 2" in guard.stop[1]


def test_non_finite_parameters_block_the_checkpoint() -> None:
    import torch

    model = torch.nn.Linear(2, 2)
    guard, control = TrainingGuard(GuardSettings()), TrainerControl()
    control.should_save = True
    guard.on_step_end(None, state(3), control, model=model)
    assert control.should_save and guard.stop is None
    with torch.no_grad():
        model.weight[0, 0] = float("inf")
    guard.on_step_end(None, state(4), control, model=model)
    assert not control.should_save and control.should_training_stop and guard.stop[0] == "non_finite_loss"


def test_reward_hacking_signals_are_logged_and_warned(caplog) -> None:
    guard = TrainingGuard(GuardSettings(patience=2, baseline_steps=2))
    for step in (1, 2):
        log(guard, step, **{"completions/mean_length": 20.0, "reward": 0.1})
    logs = {
        "completions/mean_length": 100.0,
        "frac_reward_zero_std": 0.95,
        "completions/clipped_ratio": 0.8,
        "reward": 0.5,
    }
    for step in (3, 4):
        control = TrainerControl()
        guard.on_log(None, state(step), control, logs=logs)
    assert logs["guard/length_ratio"] == pytest.approx(5.0)
    assert logs["guard/zero_std"] == 1.0 and logs["guard/clipped"] == 1.0
    guard.on_log(None, state(5), TrainerControl(), logs={"eval/accuracy": 0.5, "reward": 0.2})
    eval_logs = {"eval/accuracy": 0.3, "reward": 0.9}
    guard.on_log(None, state(6), TrainerControl(), logs=eval_logs)
    assert eval_logs["guard/reward_up_eval_down"] == 1.0
    assert set(guard.warnings) == {"length_blowup", "zero_std", "clipped", "reward_up_eval_down"}
    assert "reward hacking" in caplog.text and not control.should_training_stop  # warnings never stop the run


def test_probe_evaluations_feed_the_reward_up_eval_down_check() -> None:
    # The pipeline's in-training eval (ProbeCallback) logs to observers directly, not through TRL's logs:
    # it reaches the guard through observe_eval, and the signal lands on the next logged step.
    guard = TrainingGuard(GuardSettings(patience=1))
    log(guard, 1, reward=0.2)
    guard.observe_eval(1, 0.6)
    log(guard, 2, reward=0.9)
    guard.observe_eval(2, 0.2)
    logs = {"reward": 0.9}
    guard.on_log(None, state(3), TrainerControl(), logs=logs)
    assert logs["guard/reward_up_eval_down"] == 1.0 and guard.warnings == {"reward_up_eval_down": 1}
    later = {"reward": 0.9}
    guard.on_log(None, state(4), TrainerControl(), logs=later)
    assert "guard/reward_up_eval_down" not in later  # reported once per evaluation


def test_ctrl_c_saves_a_checkpoint_then_stops() -> None:
    guard = TrainingGuard(GuardSettings())
    before = signal.getsignal(signal.SIGINT)
    guard.on_train_begin(None, state(0), TrainerControl())
    try:
        os.kill(os.getpid(), signal.SIGINT)  # handled: sets the flag, raises nothing
        control = guard.on_step_end(None, state(7), TrainerControl())
        assert control.should_save and control.should_training_stop
        assert guard.stop[0] == "interrupted"
    finally:
        guard.on_train_end(None, state(7), TrainerControl())
    assert signal.getsignal(signal.SIGINT) is before
    stop = TrainingStopped("interrupted", guard.stop[1], 7, "ckpt")
    assert stop.exit_code == 130 and stop.summary()["status"] == "interrupted"


def test_guard_settings_reject_out_of_range() -> None:
    with pytest.raises(ValueError, match="train.guards.zero_std_frac"):
        GuardSettings(zero_std_frac=2.0)


def test_preflight_stops_when_completions_are_truncated() -> None:
    pre = PreflightCallback(steps=2, max_truncated=0.9, max_completion_length=16)
    assert not log(pre, 1, **{"completions/clipped_ratio": 1.0, "frac_reward_zero_std": 0.0}).should_training_stop
    control = log(pre, 2, **{"completions/clipped_ratio": 0.9, "frac_reward_zero_std": 0.0})
    assert control.should_training_stop and not control.should_save
    assert "train.max_completion_length=16" in pre.failure and "train.preflight=false" in pre.failure


def test_preflight_stops_when_no_group_has_reward_variance() -> None:
    pre = PreflightCallback(steps=2)
    for step in (1, 2):
        control = log(pre, step, **{"completions/clipped_ratio": 0.1, "frac_reward_zero_std": 1.0})
    assert control.should_training_stop and "identical rewards" in pre.failure


def test_preflight_passes_a_run_that_can_learn() -> None:
    pre = PreflightCallback(steps=2)
    log(pre, 1, **{"completions/clipped_ratio": 1.0, "frac_reward_zero_std": 1.0})
    control = log(pre, 2, **{"completions/clipped_ratio": 0.5, "frac_reward_zero_std": 0.5})
    assert not control.should_training_stop and pre.failure is None
    assert not log(pre, 3, **{"completions/clipped_ratio": 1.0}).should_training_stop  # judged once only


def test_preflight_context_check() -> None:
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM

    from components.model.tiny_random import build_tokenizer

    tokenizer = build_tokenizer(512)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=512,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=64,
        )
    )
    data = Dataset.from_dict({"prompt": ["What is 1 + 2?" * 10]})
    check_context(model, tokenizer, data, max_completion_length=4)
    with pytest.raises(ValueError, match="train.max_completion_length=60"):
        check_context(model, tokenizer, data, max_completion_length=60)
    chat = Dataset.from_dict({"prompt": [[{"role": "user", "content": "What is 1 + 2?" * 5}]]})
    check_context(model, tokenizer, chat, max_completion_length=4)
    with pytest.raises(ValueError, match="longest prompt"):
        check_context(model, tokenizer, chat, max_completion_length=60)


def _checkpoint(folder: Path, step: int, complete: bool = True) -> Path:
    path = folder / "checkpoints" / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if complete:
        (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return path


def test_resume_auto_picks_the_latest_complete_checkpoint(tmp_path: Path) -> None:
    assert resolve_resume("auto", tmp_path) is None  # nothing yet: start from step 0
    _checkpoint(tmp_path, 2)
    ten = _checkpoint(tmp_path, 10)
    _checkpoint(tmp_path, 12, complete=False)  # killed mid-save
    assert latest_checkpoint(tmp_path / "checkpoints") == ten
    assert resolve_resume("auto", tmp_path) == ten and resolve_resume(None, tmp_path) is None
    assert resolve_resume(str(ten), tmp_path) == ten
    with pytest.raises(ValueError, match="train.resume_from_checkpoint"):
        resolve_resume(str(tmp_path / "checkpoints" / "checkpoint-12"), tmp_path)


def test_rows_after_the_checkpoint_are_dropped(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps({"step": s, "loss": s}) + "\n" for s in (0, 1, 2, 3)) + '{"step": 4, "lo')
    assert drop_rows_after(metrics, 2) == 2
    assert [json.loads(line)["step"] for line in metrics.read_text().splitlines()] == [0, 1, 2]
    (tmp_path / "completions_train.jsonl").write_text(json.dumps({"step": 5}) + "\n")
    assert rewind_logs(tmp_path, 2) == 1
