"""Rewards read the whole episode, and a tool result never counts as the model's answer."""

from __future__ import annotations

from components.reward.reward_set import RewardSet
from tests.conftest import compose

CALL = {
    "role": "assistant",
    "content": "",
    "tool_calls": [{"type": "function", "function": {"name": "calculator", "arguments": {"expression": "123 * 456"}}}],
}
RESULT = {"role": "tool", "name": "calculator", "content": "56088"}


def default_reward() -> RewardSet:
    from hydra.utils import instantiate

    return instantiate(compose(["tools_component=calculator"]).reward)


def test_a_tool_result_holding_the_gold_answer_earns_nothing():
    reward = default_reward()
    episodes = [
        [CALL, RESULT],  # stopped after the call (turn limit): the gold number is only in the tool's turn
        [CALL, RESULT, {"role": "assistant", "content": ""}],  # answered with nothing
        [CALL, RESULT, {"role": "assistant", "content": "I do not know."}],
        [CALL, RESULT, {"role": "assistant", "content": "123 * 456 = 56088"}],  # stated it itself
    ]
    assert reward.score(episodes, answer=["56088"] * 4).per_function["gsm8k"] == [0.0, 0.0, 0.0, 1.0]
    assert reward.is_correct(episodes, answer=["56088"] * 4) == [None, None, None, True]


def test_tool_use_reward_pays_for_a_working_call_then_an_answer_and_charges_errors():
    reward = RewardSet(
        [
            {
                "name": "tool_use",
                "weight": 1.0,
                "params": {"call_reward": 1.0, "error_penalty": 0.5, "malformed_penalty": 0.25},
            }
        ]
    )
    failed = {"role": "tool", "name": "calculator", "content": "{'error': 'division by zero'}"}
    episodes = [
        [CALL, RESULT, {"role": "assistant", "content": "56088"}],
        [CALL, RESULT],  # no answer of its own
        [CALL, failed, {"role": "assistant", "content": "0"}],
        [{"role": "assistant", "content": '<tool_call>{"name": "calc'}],  # malformed
        [{"role": "assistant", "content": "56088"}],  # no tool at all
    ]
    assert reward.score(episodes).total == [1.0, 0.0, -0.5, -0.25, 0.0]
