"""/generate for a run trained with an environment: the request's episode is played in a fresh instance per rollout
through the shared episode loop, and each rollout's outcome is what the environment class says for its actions.

A scripted engine stands in for the model (the tiny random model never writes a call): it guesses `GUESS` on every
turn, or calls the calculator and then copies its result, so every tool reply is known and replayed here on a
fresh instance of the environment class.
"""

from __future__ import annotations

import httpx
import pytest
from hydra.utils import instantiate

from tests.conftest import compose
from tests.serve.scripted_engine import ScriptedEngine
from tests.serve.test_app_behaviour import InProcessServer

GUESS = 4
CALLS = {
    "guess": f'<tool_call>{{"name": "guess", "arguments": {{"number": "{GUESS}"}}}}</tool_call>',
    "calculator": '<tool_call>{"name": "calculator", "arguments": {"expression": "123 * 456"}}</tool_call>',
}
GAME = ["environment_component=guess_number", "reward_component=environment", "environment.max_turns=3"]
MIXED = ["environment_component=mixed", "reward_component=environment", "environment.max_turns=3"]


class EpisodeEngine(ScriptedEngine):
    """Calls `tool` on every turn; after a calculator result it answers with that result."""

    def __init__(self, tool: str = "guess") -> None:
        self.call = CALLS[tool]
        super().__init__(self._reply)

    def _reply(self, rendered: str) -> str:
        if "calculator" in self.call and "<|tool|>" in rendered:
            return "The answer is 56088."
        return self.call


def secret_seeds(hit: bool, count: int = 1) -> list[int]:
    """Seeds whose game the scripted guess solves at once (hit) or never does, per the environment class."""
    spec = instantiate(compose(["model_component=tiny_random", *GAME]).environment).specs["guess_number"]
    seeds = []
    for seed in range(10_000):
        game = spec.make()
        game.reset(seed=seed)
        if game.guess(str(GUESS)).startswith("correct") == hit:
            seeds.append(seed)
            if len(seeds) == count:
                return seeds
    raise AssertionError("no such seed in 0..9999")


def replay(seed: int, turns: int) -> tuple[list[str], dict]:
    """What a fresh game says to the scripted guess on each of `turns - 1` calls, and its outcome."""
    spec = instantiate(compose(["model_component=tiny_random", *GAME]).environment).specs["guess_number"]
    game = spec.make()
    game.reset(seed=seed)
    replies = [game.guess(str(GUESS)) for _ in range(turns - 1)]
    return replies, game("").as_dict()


def post(server, body: dict) -> httpx.Response:
    return httpx.post(server.url + "/generate", timeout=120, json={"prompt": "Find my secret number.", **body})


@pytest.mark.parametrize("hit", [True, False])
def test_each_rollout_plays_its_own_fresh_game_and_reports_its_outcome(hit):
    (seed,) = secret_seeds(hit)
    with InProcessServer(EpisodeEngine(), GAME) as server:
        response = post(server, {"episode": {"seed": seed}, "num_rollouts": 2, "temperature": 0.0})
    assert response.status_code == 200, response.text
    replies, outcome = replay(seed, turns=3)  # the scripted model calls on all 3 turns; the last is not run
    for rollout in response.json()["rollouts"]:
        tool_replies = [m["content"] for m in rollout["trajectory"] if m["role"] == "tool"]
        # Both rollouts hear exactly what a fresh game says: a shared instance would answer the second one
        # "the game is over" (hit) or with the first rollout's guesses in its range (miss).
        assert tool_replies == replies
        assert {k: rollout["outcome"][k] for k in outcome} == outcome
        assert rollout["outcome"]["environment"] == "guess_number"
        assert rollout["outcome"]["turns"] == 3
        assert rollout["reward"] == pytest.approx(outcome["reward"])  # through the run's RewardSet
    assert response.json()["selection"] == "reward"


def test_the_same_seed_replays_the_same_episode_and_each_seed_its_own_game():
    by_replies: dict[str, int] = {}  # one seed per distinct game (as the guess sees it): solved, higher, lower
    for seed in range(100):
        by_replies.setdefault(str(replay(seed, 3)[0]), seed)
    seeds = list(by_replies.values())
    assert len(seeds) >= 3, by_replies
    with InProcessServer(EpisodeEngine(), GAME) as server:
        first, again = (post(server, {"episode": {"seed": seeds[0]}, "temperature": 0.0}) for _ in range(2))
        responses = [first, *(post(server, {"episode": {"seed": s}, "temperature": 0.0}) for s in seeds[1:])]
    assert first.json()["rollouts"][0]["trajectory"] == again.json()["rollouts"][0]["trajectory"]
    for seed, response in zip(seeds, responses):
        trajectory = response.json()["rollouts"][0]["trajectory"]
        assert [m["content"] for m in trajectory if m["role"] == "tool"] == replay(seed, 3)[0]
    assert len({str(r.json()["rollouts"][0]["trajectory"]) for r in responses}) == len(seeds)  # games differ


def test_a_mixed_run_plays_the_named_environment_and_scores_it_with_the_environment():
    engine = EpisodeEngine("calculator")
    with InProcessServer(engine, MIXED) as server:
        response = post(
            server, {"prompt": "What is 123 * 456?", "episode": {"environment": "gpt3_calculator", "answer": "56088"}}
        )
        wrong = post(
            server, {"prompt": "What is 123 * 456?", "episode": {"environment": "gpt3_calculator", "answer": "7"}}
        )
    assert response.status_code == 200, response.text
    rollout = response.json()["rollouts"][0]
    assert rollout["trajectory"][1] == {"role": "tool", "name": "calculator", "content": "56088"}
    assert rollout["outcome"] == {
        "environment": "gpt3_calculator",
        "success": True,
        "reward": 1.0,
        "turns": 2,
        "tool_calls": 1,
        "invalid_actions": 0,
    }
    assert rollout["reward"] == 1.0
    assert wrong.json()["rollouts"][0]["outcome"]["success"] is False
    assert wrong.json()["rollouts"][0]["reward"] == 0.0
    assert any("- calculator(expression):" in r for r in engine.rendered)  # the instance's tools are in the prompt


@pytest.mark.parametrize(
    "overrides, episode, field",
    [
        (GAME, None, "episode"),  # a run trained with an environment needs one
        (GAME, {}, "episode.seed"),  # guess_number's reset needs the seed
        (GAME, {"seed": 1, "sed": 2}, "episode.sed"),  # a field reset does not take
        (GAME, {"environment": "maze", "seed": 1}, "episode.environment"),  # not one of the run's
        (GAME, {"seed": "one"}, "episode"),  # a value reset refuses
        (MIXED, {"seed": 1}, "episode.environment"),  # two environments: name one
        ([], {"seed": 1}, "episode"),  # a run trained without environments
    ],
)
def test_a_bad_episode_answers_one_line_naming_the_field(overrides, episode, field):
    with InProcessServer(EpisodeEngine(), overrides) as server:
        response = post(server, {} if episode is None else {"episode": episode})
    assert response.status_code == 422, response.text
    message = response.json()["error"]
    assert message.startswith(f"{field}: ") and "\n" not in message, message


def test_the_token_budget_counts_the_models_own_tokens_over_all_turns():
    (seed,) = secret_seeds(hit=False)
    engine = EpisodeEngine()
    with InProcessServer(engine, GAME) as server:
        response = post(server, {"episode": {"seed": seed}, "max_new_tokens": 15})
    rollout = response.json()["rollouts"][0]
    assert engine.budgets == [15, 5]  # the second turn gets what the first left; no third turn is started
    assert rollout["completion_tokens"] == 15 and rollout["truncated"] is True
    assert rollout["outcome"]["turns"] == 2


def test_chat_completions_on_an_environment_run_answer_single_turn_text():
    """OpenAI's route stays a plain chat completion: no episode, the model's text (a call included) as content."""
    with InProcessServer(EpisodeEngine(), GAME) as server:
        response = httpx.post(
            server.url + "/v1/chat/completions",
            timeout=120,
            json={"model": "scripted", "messages": [{"role": "user", "content": "Find my secret number."}]},
        )
    assert response.status_code == 200, response.text
    message = response.json()["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"] == CALLS["guess"]
