"""/generate for a run trained with tools: the server runs the multi-turn loop (call, tool result, answer) over its
batcher and scores the whole episode, where the tool's result never counts as the model's answer."""

from __future__ import annotations

import httpx
import pytest

from tests.serve.scripted_engine import ScriptedEngine
from tests.serve.test_app_behaviour import InProcessServer

CALL = '<tool_call>{"name": "calculator", "arguments": {"expression": "123 * 456"}}</tool_call>'


def tool_calling_engine(final: str) -> ScriptedEngine:
    """Calls the calculator on the first turn, then answers `final` once a tool turn is present."""
    return ScriptedEngine(lambda rendered: final if "<|tool|>" in rendered else CALL)


@pytest.mark.parametrize("final, reward", [("123 * 456 = 56088", 1.0), ("I am not sure.", 0.0)])
def test_generate_runs_the_tool_loop_and_scores_the_episode(final, reward):
    engine = tool_calling_engine(final)
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
