"""Environments without a model: seeding, reset, isolation, reward ownership, held-out episodes, the mix."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate

from components.environments.base import Environment, Outcome
from components.environments.environment_set import EnvironmentSet, environment_tools
from components.environments.gpt3_calculator import GPT3Calculator
from components.environments.guess_number import (
    EVAL_SEED_OFFSET,
    GuessNumber,
    GuessNumberGame,
    optimal_mean_guesses,
    secret_for,
)
from components.reward.reward_set import RewardSet
from tests.conftest import compose, shared_data


def binary_search_guesses(secret: int, high: int) -> int:
    game = GuessNumberGame(high)
    game.secret, low, top, n = secret, 1, high, 0
    while True:
        n += 1
        middle = (low + top) // 2
        reply = game.guess(middle)
        if reply.startswith("correct"):
            return n
        low, top = (middle + 1, top) if reply.startswith("higher") else (low, middle - 1)


@pytest.mark.parametrize("high", [1, 2, 7, 8, 16, 100])
def test_optimal_mean_guesses_is_binary_search_played_out(high):
    played = [binary_search_guesses(s, high) for s in range(1, high + 1)]
    assert optimal_mean_guesses(high) == pytest.approx(sum(played) / high)


def test_same_seed_same_game_and_seeds_spread():
    assert [secret_for(s, 8) for s in range(50)] == [secret_for(s, 8) for s in range(50)]
    assert len({secret_for(s, 8) for s in range(200)}) == 8  # every number occurs
    game = GuessNumberGame(8)
    game.reset(seed=3)
    assert game.secret == secret_for(3, 8)


def test_reset_forgets_the_previous_episode():
    game = GuessNumberGame(8)
    game.reset(seed=0)
    game.guess(game.secret)
    game.guess(0)  # after the end: invalid
    assert game("").success and game("").invalid_actions == 1
    game.reset(seed=1)
    assert game("") == Outcome(success=False, reward=0.0, tool_calls=0, invalid_actions=0)


def test_two_instances_never_share_state():
    spec = GuessNumber(high=8)
    first, second = spec.make(), spec.make()
    first.reset(seed=0)
    second.reset(seed=0)
    first.guess(first.secret)
    assert first("").success and not second("").success
    assert second.guesses == [] and first.guesses == [first.secret]


def test_replies_narrow_the_range_and_invalid_moves_are_counted():
    game = GuessNumberGame(8)
    game.reset(seed=next(s for s in range(100) if secret_for(s, 8) == 6))
    assert game.guess(4) == "higher: the number is from 5 to 8"
    assert game.guess(7) == "lower: the number is from 5 to 6"
    assert game.guess(9).startswith("invalid") and game.guess("x").startswith("invalid")
    assert game("") == Outcome(False, 0.0, 4, 2)


def test_train_and_eval_games_never_overlap():
    spec = GuessNumber(high=8, num_train=500, num_eval=40)
    train, evaluation = {r["seed"] for r in spec.rows("train")}, {r["seed"] for r in spec.rows("eval")}
    assert not train & evaluation and min(evaluation) >= EVAL_SEED_OFFSET > max(train)


def test_the_reward_is_the_environments_verdict_through_the_reward_set():
    reward = RewardSet([{"name": "environment", "weight": 2.0, "params": {}}])
    games = [GuessNumberGame(8), GuessNumberGame(8)]
    for seed, game in enumerate(games):
        game.reset(seed=seed)
    games[0].guess(games[0].secret)
    completions = [[{"role": "assistant", "content": "found it"}]] * 2  # same text: only the state differs
    assert reward.score(completions, environments=games).total == [2.0, 0.0]
    assert reward.is_correct(completions, environments=games) == [True, False]
    assert not hasattr(GuessNumberGame, "get_reward")  # TRL would add an unweighted second reward column


def test_tools_are_the_public_methods_only():
    game = GuessNumberGame(8)
    assert [f.__name__ for f in environment_tools(game)] == ["guess"]
    assert isinstance(game, Environment)


def test_calculator_episode_succeeds_only_on_a_copied_result():
    spec = GPT3Calculator.__new__(GPT3Calculator)
    spec.require_tool = True
    episode = spec.make()
    episode.reset(answer="4275")
    assert not episode("4275").success  # right, but not from the calculator
    assert episode.calculator("95 * 45") == "4275"
    assert episode("The answer is 4,275.").success
    assert not episode("4274").success
    with pytest.raises(Exception, match="parse"):
        episode.calculator("95 *")
    assert episode("4275").invalid_actions == 1 and episode("4275").tool_calls == 2


def test_calculator_environment_never_trains_on_a_published_row():
    local = shared_data("gpt3_synthetic")
    spec = GPT3Calculator(task="SD", eval_rows=20, num_train=300, local_path=str(local))
    published = spec._data.all_published_questions()
    train, evaluation = spec.rows("train"), spec.rows("eval")
    assert len(train) == 300 and len(evaluation) == 20
    assert not {r["question"] for r in train} & published
    assert {r["question"] for r in evaluation} <= published


def test_one_environment_is_a_callable_factory_a_mix_is_the_dict_form():
    one = EnvironmentSet({"g": GuessNumber(high=8)}, max_turns=3, num_train=10)
    assert callable(one.factory()) and isinstance(one.factory()(), GuessNumberGame)
    mix = EnvironmentSet(
        {"a": GuessNumber(high=4), "b": GuessNumber(high=8)}, weights={"a": 3.0, "b": 1.0}, num_train=400
    )
    assert set(mix.factory()) == {"a", "b"}
    names = [r["environment"] for r in mix.train_rows()]
    assert 0.65 < names.count("a") / len(names) < 0.85
    assert {r["environment"] for r in mix.eval_rows()} == {"a", "b"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"zz": 1.0}}, "environment.weights.zz"),
        ({"weights": {"g": 0.0}}, "positive sum"),
        ({"max_turns": 1}, "environment.max_turns=1"),
        ({"chat_format": "xml"}, "environment.chat_format"),
    ],
)
def test_bad_settings_name_the_key(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EnvironmentSet({"g": GuessNumber(high=8)}, **kwargs)


@pytest.mark.parametrize("name", ["none", "guess_number", "gpt3_calculator", "mixed"])
def test_every_environment_yaml_builds(name):
    cfg = compose([f"environment_component={name}"])
    built = instantiate(cfg.environment)
    assert built.enabled == (name != "none")
