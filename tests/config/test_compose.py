"""Every option of every config group composes, and every YAML binds to its target's signature."""

from __future__ import annotations

import inspect

import pytest
from hydra.utils import get_class, get_method
from omegaconf import DictConfig, ListConfig, OmegaConf

from components.config_schema import GROUPS
from tests.conftest import CONF_DIR, compose

OPTIONS = [(group, path.stem) for group in GROUPS for path in sorted((CONF_DIR / group).glob("*.yaml"))]
EXPERIMENTS = sorted(path.stem for path in (CONF_DIR / "experiment").glob("*.yaml"))


def _target(path: str):
    try:
        return get_class(path)
    except Exception:  # a function target
        return get_method(path)


def _check_binds(node, where: str) -> None:
    """Each `_target_` node's keys are parameters of the target, and its required parameters are given."""
    if isinstance(node, ListConfig):
        for i, item in enumerate(node):
            _check_binds(item, f"{where}[{i}]")
        return
    if not isinstance(node, DictConfig):
        return
    if "_target_" in node:
        target = _target(node._target_)
        params = inspect.signature(target).parameters
        keys = {k for k in node.keys() if not str(k).startswith("_")}
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        if not takes_kwargs:
            unknown = keys - set(params)
            assert not unknown, f"{where}: {sorted(unknown)} are not parameters of {node._target_}"
        required = {
            n for n, p in params.items() if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        runtime = {"output_dir", "run_dir"}  # injected by the orchestrator at the call
        missing = required - keys - runtime
        assert not missing, f"{where}: {node._target_} needs {sorted(missing)}"
    for key in node.keys():
        if not str(key).startswith("_"):
            _check_binds(node._get_node(key), f"{where}.{key}")


@pytest.mark.parametrize("group,option", OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_binds(group: str, option: str) -> None:
    cfg = compose([f"{group}={option}"])
    key = GROUPS[group]
    assert key in cfg
    _check_binds(cfg[key], key)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes(experiment: str) -> None:
    cfg = compose([f"experiment={experiment}"])
    for key in GROUPS.values():
        _check_binds(cfg[key], key)


def test_every_yaml_starts_with_package_and_run_command() -> None:
    for group in GROUPS:
        for path in (CONF_DIR / group).glob("*.yaml"):
            head = path.read_text().splitlines()[:6]
            assert head[0] == f"# @package {GROUPS[group]}", f"{path}: first line must be '# @package {GROUPS[group]}'"
            assert any("run_pipeline.py" in line or "python -m" in line for line in head), (
                f"{path}: header lacks its run command"
            )


def test_grpo_fields_yaml_matches_installed_trl() -> None:
    from components.training.export_grpo_fields import grpo_field_defaults

    listed = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "trl" / "grpo_config.yaml"))
    expected = grpo_field_defaults()
    assert listed == expected, (
        "conf/trl/grpo_config.yaml is stale: run python -m components.training.export_grpo_fields"
    )


def test_every_grpo_field_is_reachable_as_train_key() -> None:
    from components.training.export_grpo_fields import grpo_field_defaults

    cfg = compose(["train.beta=0.04", "train.num_iterations=2", "train.scale_rewards=batch"])
    assert cfg.train.beta == 0.04 and cfg.train.num_iterations == 2
    assert set(grpo_field_defaults()) <= set(cfg.train.keys())
