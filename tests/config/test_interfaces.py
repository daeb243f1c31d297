"""Every YAML option of every component group builds (cheaply: no weights, no hub) into an object that implements
its group's interface (components/<group>/base.py), which declares everything the orchestrator calls on it,
with the constructor arguments the orchestrator injects (`output_dir=`, `tools=`).
"""

from __future__ import annotations

import inspect

import pytest
from hydra.utils import get_object

from components.config_schema import GROUPS
from components.cost.base import CostWatcher
from components.data.base import DataComponent, Prompts
from components.environments.base import EnvironmentProvider
from components.evaluation.base import Evaluator
from components.model.base import ModelComponent
from components.model.four_bit import check_4bit_supported
from components.observer.base import Observer
from components.reward.base import RewardComponent
from components.runtime import build, missing_members
from components.tools.base import ToolProvider
from components.training.base import TrainingLoop
from tests.conftest import CONF_DIR, REPO, compose

INTERFACES = {  # config group (config_schema.GROUPS, the one map) -> its interface
    "data_component": DataComponent,
    "model_component": ModelComponent,
    "training_loop_component": TrainingLoop,
    "reward_component": RewardComponent,
    "evaluation_component": Evaluator,
    "observer_component": Observer,
    "prompts": Prompts,
    "tools_component": ToolProvider,
    "environment_component": EnvironmentProvider,
}
INJECTED = {"train": ("output_dir", "tools"), "eval": ("tools",)}  # what run_pipeline.py passes at build time
OPTIONS = [(group, path.stem) for group in GROUPS for path in sorted((CONF_DIR / group).glob("*.yaml"))]
REQUIRED = {"jsonl": [f"data.train_file={REPO / 'pyproject.toml'}"]}  # `???` keys: any existing file builds it


def four_bit_here() -> bool:
    try:
        check_4bit_supported()
    except ValueError:
        return False
    return True


def test_every_group_has_an_interface() -> None:
    assert set(INTERFACES) == set(GROUPS)


@pytest.mark.parametrize("group,option", OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_implements_its_interface(group: str, option: str, tmp_path) -> None:
    key, interface = GROUPS[group], INTERFACES[group]
    overrides = [f"{group}={option}", *REQUIRED.get(option, [])]
    cfg = compose(overrides)
    if key == "model" and cfg.model.get("load_in_4bit") and not four_bit_here():
        cfg = compose([*overrides, "model.load_in_4bit=false"])  # the interface, not this machine's 4-bit backend
    available = {"output_dir": str(tmp_path), "tools": build(cfg.tools, ToolProvider)}
    runtime = {name: available[name] for name in INJECTED.get(key, ())}
    if runtime:  # the injected names are parameters of the target (not swallowed by **kwargs alone)
        params = inspect.signature(get_object(cfg[key]._target_)).parameters
        assert set(runtime) <= set(params), f"{cfg[key]._target_} lacks {sorted(set(runtime) - set(params))}"
    built = build(cfg[key], interface, **runtime)
    assert isinstance(built, interface), missing_members(built, interface)
    if key == "model":  # what the memory preflight reads, without loading weights (local or cached configs only)
        assert built.lora.r >= 0 and isinstance(built.load_in_4bit, bool)
        if cfg.model._target_.endswith("TinyRandomLM"):
            assert built.hf_config().hidden_size == cfg.model.hidden_size


def test_an_object_missing_part_of_its_interface_is_one_line_naming_it() -> None:
    cfg = compose(["model_component=tiny_random"])
    with pytest.raises(ValueError, match=r"does not implement .*Evaluator \(missing: check_budget, evaluate, probe"):
        build(cfg.prompts, Evaluator)


def test_the_cost_tracker_implements_its_interface() -> None:
    cfg = compose(["model_component=tiny_random"])
    built = build(cfg.cost, CostWatcher)
    assert isinstance(built, CostWatcher), missing_members(built, CostWatcher)
