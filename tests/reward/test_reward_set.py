"""RewardSet: construction-time validation, TRL wiring, verdicts, every YAML, Hydra overrides."""

import doctest
import importlib
import math
from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from components.reward import base
from components.reward.base import register_reward
from components.reward.discovery import registry
from components.reward.reward_set import RewardScores, RewardSet
from tests.conftest import compose

YAMLS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "conf" / "reward_component").glob("*.yaml"))
MODULES = [
    "base",
    "numeric",
    "gsm8k",
    "math",
    "format",
    "text_norm",
    "exact_match",
    "f1",
    "classification",
    "regression",
    "length",
    "repetition",
    "custom_example",
    "code",
    "reward_set",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(f"components.reward.{module}"))
    assert result.failed == 0


@pytest.mark.parametrize("name", YAMLS)
def test_every_yaml_composes_and_instantiates(name):
    cfg = compose([f"reward_component={name}"])
    text = (Path(__file__).resolve().parents[2] / "conf" / "reward_component" / f"{name}.yaml").read_text()
    assert text.startswith("#") and f"reward_component={name}" in text  # header with its run command
    reward_set = instantiate(cfg.reward)
    assert reward_set.names and len(reward_set.funcs) == len(reward_set.weights)
    assert [f.__name__ for f in reward_set.funcs] == reward_set.names
    for entry in cfg.reward.reward_functions:  # every param listed (Hydra struct mode needs the keys)
        fn = registry()[entry.name].fn if "name" in entry and "function" not in entry else None
        if fn is not None:
            assert set(entry.params) == set(base._param_defaults(fn)), f"{name}: list every param of {entry.name}"


def test_hydra_override_of_a_param():
    cfg = compose(["reward_component=gsm8k", "reward.reward_functions[0].params.correct_reward=5.0"])
    reward_set = instantiate(cfg.reward)
    assert reward_set.funcs[0](["#### 3"], answer=["3"]) == [5.0]
    assert reward_set.max_total == 5.0


def test_default_answer_format_grades_the_last_answer_and_only_monitors_format():
    reward_set = instantiate(compose([]).reward)
    texts = [
        "23 + 58 = 81",
        "The answer is 80",
        "The answer is 81.",
        "23 + 58 = 81\n\nThe answer is: 23 + 58 = 80",
        "23 + 58 = 81, so",
    ]
    scores = reward_set.score(texts, answer=["81"] * 5)
    assert scores.total == [1.0, 0.0, 1.0, 0.0, 1.0]  # correctness alone: the format reward has weight 0
    # format = "ends on its answer": measured (eval's format_compliance_rate, TRL's rewards/format), not optimised
    assert scores.per_function["format"] == [1.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "entries,message",
    [
        ([{"name": "nope"}], r"reward_functions\[0\].*unknown reward name 'nope'.*gsm8k"),
        ([{"name": "gsm8k", "params": {"correct_rewrd": 1}}], "unknown param 'correct_rewrd'"),
        ([{"name": "gsm8k", "params": {"strict": "yes"}}], "param 'strict' must be true/false"),
        (
            [{"name": "gsm8k", "params": {"correct_reward": "high"}}],
            "param 'correct_reward' must be a number",
        ),
        ([{"name": "math", "params": {"timeout_seconds": -1}}], "timeout_seconds"),
        ([{"name": "format", "params": {"tags": [], "regex": None}}], "tags and regex"),
        ([{"name": "gsm8k"}, {"name": "gsm8k"}], "unique"),
        ([{"name": "gsm8k", "weight": "x"}], "weight"),
        ([{"function": "no.such.module.fn"}], "cannot import"),
        ([{"name": "gsm8k", "wieght": 1}], "unknown keys"),
        ([], "empty"),
    ],
)
def test_validation_errors(entries, message):
    with pytest.raises(ValueError, match=message):
        RewardSet(entries)


def test_score_is_correct_and_extract():
    rs = RewardSet(
        [
            {"name": "format", "weight": 0.5, "params": {"tags": ["answer"]}},
            {"name": "gsm8k", "weight": 2.0, "params": {}},
        ]
    )
    completions = [
        "<answer>#### 7</answer>",
        "#### 8",
        "no number",
        [{"role": "assistant", "content": "#### 7"}],
    ]
    scores = rs.score(completions, answer=["7"] * 4)
    assert isinstance(scores, RewardScores)
    assert scores.per_function == {
        "format": [0.5 / 0.5 * 1.0, 0.0, 0.0, 0.0],
        "gsm8k": [1.0, 0.0, 0.0, 1.0],
    }
    assert scores.total == [2.5, 0.0, 0.0, 2.0]
    assert rs.max_total == 2.5
    assert rs.is_correct(completions, answer=["7"] * 4) == [True, False, None, True]
    assert rs.extract_answers(completions, answer=["7"] * 4) == ["7", "8", None, "7"]
    metrics = scores.metrics()
    assert metrics["reward/gsm8k"] == 0.5 and metrics["reward/gsm8k/unparseable"] == 0.25


def test_none_is_not_applicable_and_counts_as_zero_in_total():
    rs = RewardSet([{"name": "gsm8k", "weight": 1.0}])
    scores = rs.score(["#### 1", "#### 1"], answer=["1", None])
    assert scores.per_function["gsm8k"] == [1.0, None] and scores.total == [1.0, 0.0]
    assert math.isclose(scores.metrics()["reward/gsm8k"], 1.0)
    assert rs.is_correct(["#### 1"], answer=[None]) == [None]


def test_trl_call_convention_and_config_objects():
    cfg = OmegaConf.create({"reward_functions": [{"name": "gsm8k", "weight": 1.0, "params": {"strict": True}}]})
    rs = RewardSet(cfg.reward_functions)  # a ListConfig, as hydra passes it
    (fn,) = rs.funcs
    out = fn(
        prompts=["p"],
        completions=[[{"role": "assistant", "content": "#### 2"}]],
        completion_ids=[[1, 2]],
        answer=["2"],
        question=["q"],
        trainer_state=object(),
        strict=False,
    )  # a column named like a param
    assert out == [1.0] and fn.__name__ == "gsm8k"
    logged = {}
    fn(
        completions=["#### 2", "nothing"],
        answer=["2", "2"],
        log_metric=lambda k, v: logged.update({k: v}),
    )
    assert logged == {"reward/gsm8k/unparseable": 0.5}


def test_custom_function_by_path_and_decorator():
    rs = RewardSet(
        [
            {
                "function": "components.reward.custom_example.brevity",
                "weight": 0.5,
                "params": {"max_words": 2},
            }
        ]
    )
    assert rs.names == ["brevity"] and rs.funcs[0](["a b", "a b c"]) == [1.0, 0.5]
    # No correctness verifier: "correct" means every function at full marks.
    assert rs.is_correct(["a b", "a b c"]) == [True, False]
    assert rs.extract_answers(["a"]) == [None]

    @register_reward("test_always_half")
    def always_half(completions, **_):
        return [0.5 for _ in completions]

    try:
        rs = RewardSet([{"name": "test_always_half", "weight": 2.0}])
        assert rs.score(["x"]).total == [1.0] and rs.max_total == 2.0
    finally:
        base._REGISTRY.pop("test_always_half")
