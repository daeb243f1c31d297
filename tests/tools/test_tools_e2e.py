"""Tiny-model end to end with tools: TRL's multi-turn loop runs tool calls during GRPO steps, evaluation runs the
same loop, and the pipeline wires the group from YAML.

A random tiny model never writes a well-formed tool call, so the first test teaches it one (supervised steps on
its 16 train and eval prompts) before GRPO: rollouts then really call the calculator, get its
result in a `tool` turn and generate another turn.
"""

from __future__ import annotations

import json

import pytest
import torch
from hydra.utils import instantiate

from components.reward.reward_set import RewardSet
from tests.conftest import TINY_TRAIN, compose, run_pipeline

CALL = '<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}</tool_call>'
OVERRIDES = [
    *TINY_TRAIN,
    "tools_component=calculator",
    "train.max_completion_length=96",
    "train.logging_steps=1",
    "train.save_final_model=false",
    "train.preflight=false",
    "train.temperature=1.0",  # the taught model is near-certain of CALL: at the default 0.7 every sample agrees
    "eval.max_new_tokens=96",
    "eval.batch_size=8",
    "data.num_train=8",
]  # GRPO then samples only prompts the model was taught the call on


def teach_the_call(loaded, prompts, tools) -> None:
    """Supervised steps until the model writes CALL (then its end of turn) after any of these prompts."""
    tokenizer, model = loaded.tokenizer, loaded.model
    target = tokenizer(CALL + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    rows = [
        tokenizer(
            tokenizer.apply_chat_template(p, tools=tools, tokenize=False, add_generation_prompt=True),
            add_special_tokens=False,
        )["input_ids"]
        for p in prompts
    ]
    width = max(map(len, rows)) + len(target)
    pad = tokenizer.pad_token_id  # right-padded: positions stay those of the prompt as generate sees it unpadded
    ids = torch.tensor([r + target + [pad] * (width - len(r) - len(target)) for r in rows])
    labels = torch.tensor([[-100] * len(r) + target + [-100] * (width - len(r) - len(target)) for r in rows])
    mask = (labels != -100) | (torch.arange(width) < torch.tensor([len(r) for r in rows])[:, None])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(200):
        loss = model(input_ids=ids, attention_mask=mask.long(), labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if loss.item() < 0.01:
            break


# slow: up to 200 supervised steps, an evaluation and two GRPO steps of 96-token multi-turn rollouts (minutes on 2
# cores); the tool modules stay in the fast loop through tests/tools/test_*.py.
@pytest.mark.slow
def test_grpo_steps_with_tool_calls_and_multi_turn_rollouts(tmp_path):
    from transformers import TrainerCallback

    cfg = compose(OVERRIDES)
    tools = instantiate(cfg.tools)
    prompts = instantiate(cfg.prompts)
    splits = instantiate(cfg.data).load(prompts)
    loaded = instantiate(cfg.model).load()
    tools.prepare(loaded.tokenizer)
    teach_the_call(loaded, list(splits.train["prompt"]) + list(splits.eval["prompt"]), tools.functions())
    # Correctness, plus the episode-level tool_use reward: episodes that called the tool and then answered earn
    # more than malformed ones, so GRPO's groups carry a reward spread and the LoRA weights must move.
    reward = RewardSet(
        [{"name": "gsm8k", "weight": 1.0, "params": {}}, {"name": "tool_use", "weight": 1.0, "params": {}}]
    )

    evaluator = instantiate(cfg.eval, tools=tools)
    before = evaluator.evaluate(loaded.model, loaded.tokenizer, splits.eval, reward)
    assert before.metrics["tools/call_rate"] > 0.5  # the same multi-turn loop as training
    traj = next(s["trajectory"] for s in before.samples if len(s["trajectory"]) > 1)
    assert traj[1] == {"role": "tool", "name": "calculator", "content": "42"}
    assert before.metrics["tools/turns_per_episode"] > 1

    logged = []

    class Catch(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            logged.append(dict(logs or {}))

    train_loop = instantiate(cfg.train, output_dir=str(tmp_path), tools=tools)
    result = train_loop.fit(loaded, splits.train, reward, callbacks=[Catch()])
    assert result.global_step == 2
    steps = [entry for entry in logged if "tools/call_frequency" in entry]
    assert steps, logged
    assert max(entry["tools/call_frequency"] for entry in steps) > 0  # TRL ran the calls
    assert max(entry["tools/turns_per_episode"] for entry in steps) > 1  # ...and generated after the results
    assert all(entry["tools/error_rate"] == 0 for entry in steps)  # 6*7 always evaluates
    assert all(torch.isfinite(torch.tensor(entry["loss"])) for entry in steps if "loss" in entry)
    lora_b = [p for n, p in result.model.named_parameters() if "lora_B" in n]
    assert lora_b and any(p.abs().sum() > 0 for p in lora_b)  # LoRA B starts at zero: a GRPO step moved it
    assert any(entry.get("rewards/tool_use/mean", 0) > 0 for entry in steps)  # the episode-level reward paid


@pytest.mark.parametrize("tools_component", ["calculator"])
def test_pipeline_runs_with_tools_and_reports_tool_metrics(tmp_path, tools_component):
    result = run_pipeline(
        *TINY_TRAIN,
        f"tools_component={tools_component}",
        "train.save_final_model=false",
        "eval.max_new_tokens=16",
        f"hydra.run.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "tools/call_rate_before" in summary and "tools/call_rate_after" in summary
    after = json.loads((tmp_path / "eval_after.json").read_text())
    assert {"tools/call_rate", "tools/turns_per_episode", "tools/error_rate", "tools/malformed_rate"} <= set(after)
    metrics = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert any("train/tools/call_frequency" in m for m in metrics)


def test_bad_tools_config_is_one_line_and_exit_2(tmp_path):
    result = run_pipeline(*TINY_TRAIN, "tools_component=calculator", "tools.max_turns=0", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2
    assert "tools.max_turns=0" in result.stderr.strip().splitlines()[-1]
