"""Batched generation with the tiny model, the in-training probe, the training-completion recorder,
loading a finished run's adapter, and the HumanEval data component with the code reward."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch
from datasets import Dataset

from components.evaluation.evaluator import TaskEvaluator
from components.evaluation.history import TrainingCompletionRecorder, read_history
from components.model.generation import generate
from components.model.tiny_random import TinyRandomLM
from components.reward.reward_set import RewardSet
from tests.conftest import shared_data

PROMPTS = [
    [{"role": "user", "content": f"What is {a} + {b}?"}] for a, b in ((1, 2), (30, 41), (5, 5), (12, 99), (7, 0))
]
REWARD = RewardSet([{"name": "gsm8k", "weight": 1.0, "params": {}}])


@pytest.fixture(scope="module")
def tiny():
    return TinyRandomLM(seed=3).load()


def test_greedy_batches_match_one_by_one_so_left_padding_is_right(tiny) -> None:
    one = generate(tiny.model, tiny.tokenizer, PROMPTS, batch_size=1, max_new_tokens=8)
    batched = generate(tiny.model, tiny.tokenizer, PROMPTS, batch_size=4, max_new_tokens=8)
    assert one.completions == batched.completions and one.completion_tokens == batched.completion_tokens
    assert batched.tokens_per_second > 0


def test_sampling_returns_n_per_prompt_grouped_in_order(tiny) -> None:
    torch.manual_seed(0)
    gen = generate(
        tiny.model, tiny.tokenizer, PROMPTS[:2], batch_size=4, max_new_tokens=6, temperature=1.0, num_return_sequences=3
    )
    assert len(gen.completions) == 6 and len(gen.truncated) == 6
    assert len(set(gen.completions)) > 1  # sampled, not greedy copies


def test_probe_logs_eval_keys_keeps_best_model_and_appends_history(tiny, tmp_path) -> None:
    logged = []
    observer = SimpleNamespace(log_metrics=lambda metrics, step: logged.append((step, metrics)))
    data = Dataset.from_list([{"prompt": p, "question": "q", "answer": "3"} for p in PROMPTS])
    evaluator = TaskEvaluator(batch_size=4, max_new_tokens=4, probe_every_steps=2, probe_samples=3)
    probe = evaluator.probe(data, REWARD, tiny.tokenizer, tmp_path, observer)
    heard = []
    probe.listeners.append(lambda step, accuracy: heard.append(step))  # how the training guard subscribes
    state = SimpleNamespace(global_step=1, is_world_process_zero=True)
    probe.on_step_end(None, state, None, model=tiny.model)
    assert logged == []  # step 1 is not a multiple of 2
    state.global_step = 2
    probe.on_step_end(None, state, None, model=tiny.model)
    step, metrics = logged[0]
    assert step == 2 and metrics["eval/num_samples"] == 3 and "eval/tokens_per_second" in metrics
    assert (tmp_path / "best_model" / "config.json").is_file()  # no LoRA here: the full model is saved
    state.global_step = 4
    probe.on_step_end(None, state, None, model=tiny.model)
    history = read_history(tmp_path / "completions_eval.jsonl")
    assert [(r["tag"], r["step"]) for r in history] == [("probe", 2)] * 3 + [("probe", 4)] * 3
    assert probe.summary()["best_probe_step"] == 2  # equal accuracy later: the earlier checkpoint stays
    assert heard == [2, 4]
    # A run resumed in this dir rebuilds its best from the (rewound) history instead of starting over.
    resumed = evaluator.probe(data, REWARD, tiny.tokenizer, tmp_path, observer)
    assert (resumed.best_accuracy, resumed.best_step, resumed.evaluations) == (
        probe.best_accuracy,
        probe.best_step,
        probe.evaluations,
    )


def test_recorder_appends_training_completions_every_k_steps(tmp_path) -> None:
    recorder = TaskEvaluator(train_completions_every_steps=2).recording(REWARD, tmp_path)
    assert isinstance(recorder, TrainingCompletionRecorder) and recorder.weights == REWARD.weights
    for step in (0, 1, 2, 3):
        scores = recorder.funcs[0](
            ["The answer is 3", "5"],
            prompts=["p", "p"],
            answer=["3", "3"],
            trainer_state=SimpleNamespace(global_step=step),
        )
        assert scores == [1.0, 0.0]  # the reward itself is unchanged
    rows = [json.loads(line) for line in (tmp_path / "completions_train.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 0, 2, 2]
    assert rows[0]["extracted"] == "3" and rows[0]["rewards"] == {"gsm8k": 1.0} and rows[1]["reward"] == 0.0
    assert TaskEvaluator().recording(REWARD, tmp_path) is REWARD  # off by default: the reward set as is


def test_eval_mode_loads_a_finished_runs_adapter(tmp_path) -> None:
    from peft import get_peft_model

    from components.model.finished_run import FinishedRun

    base = TinyRandomLM(seed=5, lora={"enabled": True, "r": 4}).load()
    trained = get_peft_model(base.model, base.peft_config)
    with torch.no_grad():
        for name, param in trained.named_parameters():
            if "lora_B" in name:
                param.add_(0.5)  # a "trained" adapter that really changes the outputs
    trained.save_pretrained(tmp_path / "model")
    trained.eval()  # no LoRA dropout in the reference logits
    ids = torch.tensor([[1, 7, 9, 12]])
    expected = trained(input_ids=ids).logits

    component = TinyRandomLM(seed=5, lora={"enabled": True, "r": 4})
    assert not torch.allclose(component.load().model(input_ids=ids).logits, expected)
    loaded = FinishedRun(tmp_path, "model").load(component)  # the loader mode=eval and the server share
    assert torch.allclose(loaded.model(input_ids=ids).logits, expected, atol=1e-5)
    with pytest.raises(ValueError, match="eval_run.model_subdir=nope"):
        FinishedRun(tmp_path, "nope").load(component)


def test_humaneval_rows_score_their_canonical_solution_correct(monkeypatch) -> None:
    from components.data.humaneval import HumanEvalData
    from components.data.prompts import PromptBuilder
    from components.evaluation import evaluator as evaluator_module
    from components.model.generation import Generations

    path = shared_data("humaneval/HumanEval.jsonl.gz")
    splits = HumanEvalData(path=str(path), max_eval_samples=3).load(PromptBuilder())
    row = splits.eval[0]
    assert len(splits.eval) == 3 and row["code_prompt"] in row["question"] and row["entry_point"] in row["code_prompt"]
    assert row["prompt"][-1]["content"] == row["question"]
    answers = list(splits.eval["answer"])  # canonical solutions: function bodies continuing the stub
    monkeypatch.setattr(evaluator_module, "generate", lambda *a, **k: Generations(answers, [10] * 3, [False] * 3, 1.0))
    code = RewardSet([{"name": "code", "weight": 1.0, "params": {"timeout_s": 10.0}}])
    result = TaskEvaluator().evaluate(None, None, splits.eval, code)
    assert result.metrics["accuracy"] == 1.0


def test_resumed_probe_restores_the_best_step_from_history(tmp_path) -> None:
    from components.evaluation.history import append_rows
    from components.evaluation.probe import ProbeCallback

    def probe_rows(step: int, correct: list[bool]) -> list[dict]:
        return [{"tag": "probe", "step": step, "index": i, "sample": None, "correct": c} for i, c in enumerate(correct)]

    append_rows(
        tmp_path / "completions_eval.jsonl",
        [{"tag": "before", "step": 0, "sample": None, "correct": True}]
        + probe_rows(10, [True, False])
        + probe_rows(20, [True, True])
        + probe_rows(30, [True, True]),
    )
    probe = ProbeCallback(None, None, None, None, tmp_path, None, every_steps=10)
    assert (probe.best_accuracy, probe.best_step, probe.evaluations) == (1.0, 20, 3)  # ties keep the earlier step
