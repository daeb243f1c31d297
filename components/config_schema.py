"""Structured-config schemas for the composed config, checked right after Hydra composes (no torch import).

Each group's schema is a dataclass derived from the YAML option the run chose (`conf/<group>/<option>.yaml`),
whose keys are its target's constructor arguments and whose values are typed examples; `train` also gets every
`trl.GRPOConfig` field from `conf/trl/grpo_config.yaml`. So the schema can never drift from the YAML, and a
new component needs no schema of its own. Types are inferred conservatively so that no valid value is
refused: true/false -> bool, a number -> float (ints convert; `warmup_steps` may be either), a list or
mapping -> list or mapping (mappings become nested schemas, so `model.lora.rank` is an unknown key), and a
string, null or `${...}` -> any. OmegaConf then does the checking (`OmegaConf.merge` onto the structured
config), and its error becomes one line naming the key. Ranges and cross-field rules: components/validation.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional  # noqa: UP035 (OmegaConf's structured configs need typing aliases)

from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, MissingMandatoryValue, OmegaConfBaseException, ValidationError

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
GROUPS = {  # config group -> the key it fills (conf/config.yaml's defaults list)
    "data_component": "data",
    "model_component": "model",
    "training_loop_component": "train",
    "reward_component": "reward",
    "evaluation_component": "eval",
    "observer_component": "observer",
    "prompts": "prompts",
}
EXTRA_DEFAULTS = {"train": ("trl/grpo_config.yaml",)}  # files a group's YAML pulls in through its defaults list


@dataclasses.dataclass
class RunSchema:
    """Run-level keys of conf/config.yaml that the recipe reads."""

    mode: str = "train"
    seed: int = 42


def _field_type(value: Any, name: str) -> tuple[Any, Any]:
    """(type, default) for one example value; see the module docstring for why these types."""
    if isinstance(value, bool):
        return Optional[bool], dataclasses.field(default=None)
    if isinstance(value, (int, float)):
        return Optional[float], dataclasses.field(default=None)
    if isinstance(value, (list, tuple)):
        return Optional[List[Any]], dataclasses.field(default=None)
    if isinstance(value, Mapping) and value and "_target_" not in value:
        nested = schema_from_example(name, value)
        return Optional[nested], dataclasses.field(default=None)
    if isinstance(value, Mapping):
        return Optional[Dict[str, Any]], dataclasses.field(default=None)
    return Any, dataclasses.field(default=None)


def schema_from_example(name: str, example: Mapping[str, Any]) -> type:
    fields = [(str(k), *_field_type(v, f"{name}_{k}")) for k, v in example.items() if str(k) != "defaults"]
    return dataclasses.make_dataclass(f"{name.title().replace('_', '')}Schema", fields)


def _yaml(relative: str) -> dict[str, Any]:
    """The option's keys, after the same-group options its `defaults` list extends (sampled.yaml: [greedy])."""
    node = OmegaConf.to_container(OmegaConf.load(CONF_DIR / relative), resolve=False)
    # Unresolved: `${seed}` stays a string (typed any); `???` stays missing (typed any).
    values: dict[str, Any] = {}
    for parent in node.get("defaults") or []:
        if isinstance(parent, str) and parent != "_self_":
            values.update(_yaml(str(Path(relative).parent / f"{parent}.yaml")))
    values.update({k: v for k, v in node.items() if k != "defaults"})
    return values


@lru_cache(maxsize=64)
def group_schema(group: str, option: str) -> type:
    key = GROUPS[group]
    example: dict[str, Any] = {}
    for extra in EXTRA_DEFAULTS.get(key, ()):
        example.update(_yaml(extra))
    for k, v in _yaml(f"{group}/{option}.yaml").items():
        if v is not None or k not in example:  # `bf16: null` (auto) keeps TRL's bool type for the field
            example[k] = v
    return schema_from_example(key, example)


def _value(values: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(values, Mapping) or part not in values:
            return None
        values = values[part]
    return values


def check(schema: type, values: Mapping[str, Any], prefix: str) -> None:
    """Merge `values` onto the schema; raise a one-line ValueError naming `<prefix>.<key>` on a mismatch."""
    try:
        OmegaConf.merge(OmegaConf.structured(schema), values)
    except OmegaConfBaseException as err:
        key = f"{prefix}.{err.full_key}" if prefix else str(err.full_key)
        if isinstance(err, ConfigKeyError):
            raise ValueError(f"{key}: unknown key (not a parameter of this {prefix or 'config'})") from None
        if isinstance(err, MissingMandatoryValue):
            raise ValueError(f"{key} is required (it is ???); set {key}=...") from None
        if isinstance(err, ValidationError):
            value = _value(values, str(err.full_key))
            expected = str(err).splitlines()[0].rsplit(" ", 1)[-1].rstrip(")").lower()
            expected = {"float": "a number", "bool": "true or false", "listconfig,": "a list"}.get(expected, expected)
            if "ListConfig" in str(err):
                expected = "a list"
            raise ValueError(f"{key}={value!r}: expected {expected}") from None
        raise ValueError(f"{key}: {str(err).splitlines()[0]}") from None


def check_schemas(values: Mapping[str, Any], choices: Mapping[str, Any]) -> None:
    """Type-check the resolved config: run-level keys, then each group against its chosen option's schema."""
    check(RunSchema, {k: values[k] for k in ("mode", "seed") if k in values}, "")
    for group, key in GROUPS.items():
        option = choices.get(group)
        if option and key in values and (CONF_DIR / group / f"{option}.yaml").is_file():
            check(group_schema(group, str(option)), values[key], key)
