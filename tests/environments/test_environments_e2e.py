"""Environments with a model: the chat template's per-turn prefix, the evaluation loop on a tiny model, a GRPO run
through TRL's environment_factory, and the server on the environment-trained run."""

from __future__ import annotations

import json

import httpx
import pytest
import torch
from hydra.utils import instantiate

from components.environments.environment_set import environment_tools
from components.environments.guess_number import secret_for
from components.reward.reward_set import RewardSet
from tests.conftest import compose, run_pipeline
from tests.serve.test_app_behaviour import InProcessServer

CALL = '<tool_call>{"name": "guess", "arguments": {"number": "4"}}</tool_call>'
GAME = ["model_component=tiny_random", "environment_component=guess_number", "reward_component=environment"]


def tiny_setup(overrides: list[str]):
    cfg = compose([*GAME, *overrides])
    environment = instantiate(cfg.environment)
    splits = environment.splits(instantiate(cfg.prompts))
    loaded = instantiate(cfg.model).load()
    environment.prepare(loaded.tokenizer)
    return cfg, environment, splits, loaded


def test_the_rendered_prefix_of_turn_k_is_identical_in_every_later_turn():
    """TRL appends each turn's tokens to the previous ones; a template that re-renders earlier turns differently
    (trl #5317, #6124; verl #2966, #3759) would train on tokens the model never saw. Checked on every turn."""
    _, environment, splits, loaded = tiny_setup(["environment.environments.guess_number.num_eval=1"])
    tokenizer = loaded.tokenizer
    game = environment.make("guess_number")
    game.reset(seed=splits.eval[0]["seed"])
    tools = environment_tools(game)
    history = list(splits.eval[0]["prompt"])
    rendered = []
    for number in (4, 6, 7, 5):
        rendered.append(tokenizer.apply_chat_template(history, tools=tools, tokenize=True, add_generation_prompt=True))
        call = {"type": "function", "function": {"name": "guess", "arguments": {"number": number}}}
        history += [
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "name": "guess", "content": game.guess(number)},
        ]
    rendered.append(tokenizer.apply_chat_template(history, tools=tools, tokenize=True, add_generation_prompt=True))
    ids = [list(r["input_ids"] if isinstance(r, dict) or hasattr(r, "keys") else r) for r in rendered]
    for k in range(len(ids) - 1):
        for later in ids[k + 1 :]:
            assert later[: len(ids[k])] == ids[k], f"turn {k}'s tokens change in a later turn"
        assert len(ids[k + 1]) > len(ids[k])


def teach_the_call(loaded, prompts, tools) -> None:
    """Supervised steps until the tiny model writes CALL (then its end of turn) after these prompts."""
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
    pad = tokenizer.pad_token_id
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
    model.eval()


# slow: supervised steps teach the tiny model a call, then 96-token multi-turn episodes (~40 s on 2 loaded cores);
# the environment modules stay in the fast loop through tests/environments/test_*.py and the prefix test above.
@pytest.mark.slow
def test_evaluation_runs_each_episode_in_its_own_seeded_instance():
    cfg, environment, splits, loaded = tiny_setup(
        [
            "environment.environments.guess_number.num_eval=6",
            "environment.max_turns=2",  # one round of calls, then the closing turn
            "eval.max_new_tokens=96",  # the call is 58 tokens of the tiny tokenizer
            "eval.batch_size=6",
        ]
    )
    probe = environment.make("guess_number")
    assert len({str(p) for p in splits.eval["prompt"]}) == 1  # every game has the same rules: one prompt to teach
    teach_the_call(loaded, [splits.eval[0]["prompt"]], environment_tools(probe))
    reward = instantiate(cfg.reward)
    evaluator = instantiate(cfg.eval, environment=environment)
    result = evaluator.evaluate(loaded.model, loaded.tokenizer, splits.eval, reward)
    assert result.metrics["tools/call_rate"] == 1.0  # every episode called guess(4) at least once
    for sample, row in zip(result.samples, splits.eval):
        secret = secret_for(row["seed"], 8)
        replies = [m["content"] for m in sample["trajectory"] if m["role"] == "tool"]
        assert replies, sample["trajectory"]
        # each episode's replies come from its own game: the reply to 4 follows this row's secret only
        expected = "correct" if secret == 4 else ("higher" if secret > 4 else "lower")
        assert replies[0].startswith(expected)
        assert sample["correct"] is (secret == 4)  # the environment's verdict, through the reward set
    n = len(result.samples)
    assert result.metrics["env/guess_number/success"] == sum(s["correct"] for s in result.samples) / n
    assert result.metrics["env/guess_number/optimal_tool_calls"] == pytest.approx(2.625)


def test_grpo_run_trains_in_the_environments_and_the_server_answers_for_it(tmp_path):
    run_dir = tmp_path / "run"
    result = run_pipeline(
        *GAME[:1],
        "environment_component=mixed",
        "reward_component=environment",
        "environment.num_train=16",
        "environment.environments.guess_number.num_eval=2",
        "environment.environments.gpt3_calculator.eval_rows=2",
        "train.max_steps=2",
        "train.per_device_train_batch_size=4",
        "train.num_generations=4",
        "train.max_completion_length=32",
        "train.logging_steps=1",
        "eval.max_new_tokens=32",
        f"hydra.run.dir={run_dir}",
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    for name in ("guess_number", "gpt3_calculator"):  # per-environment metrics of the mixed run
        assert f"env/{name}/success_after" in summary and f"env/{name}/turns_after" in summary
    history = [json.loads(line) for line in (run_dir / "completions_eval.jsonl").read_text().splitlines()]
    assert sorted(r["environment"] for r in history if r["tag"] == "after") == sorted(
        2 * ["guess_number", "gpt3_calculator"]
    )
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    trained = [m for m in metrics if any(k.startswith("train/env/") for k in m)]
    assert trained, metrics[-3:]
    assert any(k.endswith("/invalid_actions") for m in trained for k in m)
    assert any(k.startswith("train/rewards/environment") for m in metrics for k in m)  # the project's reward
    assert not any("GuessNumberGame" in k or "CalculatorEpisode" in k for m in metrics for k in m)  # no 2nd column

    with InProcessServer(None, [f"serve.run_dir={run_dir}", "serve.engine_process=false"]) as server:
        server.wait_ready()
        episode = {"environment": "gpt3_calculator", "answer": "5"}  # the run's config names its environments
        generated = httpx.post(
            server.url + "/generate",
            timeout=120,
            json={"prompt": "What is 2 + 3?", "episode": episode, "max_new_tokens": 16},
        )
        model_id = httpx.get(server.url + "/v1/models", timeout=30).json()["data"][0]["id"]
        chat = httpx.post(
            server.url + "/v1/chat/completions",
            timeout=120,
            json={"model": model_id, "messages": [{"role": "user", "content": "What is 2 + 3?"}], "max_tokens": 8},
        )
    assert generated.status_code == 200, generated.text
    rollout = generated.json()["rollouts"][0]
    assert rollout["outcome"]["environment"] == "gpt3_calculator"  # the episode loop ran, in its own instance
    assert rollout["reward"] == rollout["outcome"]["reward"]  # the environment reward, through the run's RewardSet
    assert chat.status_code == 200, chat.text
    assert chat.json()["choices"][0]["message"]["role"] == "assistant"


def test_the_environment_reward_without_environments_is_not_applicable():
    reward = RewardSet([{"name": "environment", "weight": 1.0, "params": {}}])
    assert reward.score(["7"]).per_function["environment"] == [None]
