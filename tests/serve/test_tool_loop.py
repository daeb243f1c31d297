"""/generate for a run trained with tools: the server runs the multi-turn loop (call, tool result, answer) over its
batcher and scores the whole episode, where the tool's result never counts as the model's answer."""

from __future__ import annotations

import copy
import threading

import httpx
import pytest

from components.model.tiny_random import build_tokenizer
from serve.engine import BatchStats, Completion
from tests.serve.test_app_behaviour import InProcessServer

CALL = '<tool_call>{"name": "calculator", "arguments": {"expression": "123 * 456"}}</tool_call>'


class ToolCallingEngine:
    """Engine stand-in: calls the calculator on the first turn, then answers `final` once a tool turn is present."""

    def __init__(self, final: str) -> None:
        self.final, self.source, self.max_positions = final, "scripted", None
        self.tokenizer = copy.deepcopy(build_tokenizer(512))
        self.tokenizer_lock = threading.Lock()
        self.rendered: list[str] = []

    def load(self) -> None:
        pass

    def render(self, messages) -> tuple[str, int]:
        text = str(messages)
        return text, len(text.split())

    def generate(self, jobs, emit=None) -> BatchStats:
        self.rendered += [j.rendered for j in jobs]
        per_job = [
            [Completion(self.final if "<|tool|>" in j.rendered else CALL, 10, False)] * j.num_rollouts for j in jobs
        ]
        rows = sum(j.num_rollouts for j in jobs)
        return BatchStats(rows, len(jobs), 10 * rows, 0.0, per_job)


@pytest.mark.parametrize("final, reward", [("123 * 456 = 56088", 1.0), ("I am not sure.", 0.0)])
def test_generate_runs_the_tool_loop_and_scores_the_episode(final, reward):
    engine = ToolCallingEngine(final)
    with InProcessServer(engine, ["tools_component=calculator"]) as server:
        response = httpx.post(
            server.url + "/generate",
            timeout=120,
            json={"prompt": "What is 123 * 456?", "ground_truth": "56088", "num_rollouts": 2},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    rollout = body["rollouts"][0]
    assert rollout["trajectory"][0]["tool_calls"][0]["function"]["name"] == "calculator"
    assert rollout["trajectory"][1] == {"role": "tool", "name": "calculator", "content": "56088"}
    assert rollout["trajectory"][2]["content"] == final
    assert rollout["response"].strip() == final  # the model's own text, not the tool's
    assert body["best_reward"] == pytest.approx(reward)  # the gold number in the tool turn earns nothing
    assert any("- calculator(expression):" in r for r in engine.rendered)  # the tool list is in the prompt
