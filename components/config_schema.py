"""Types of the composed config, read from the constructors' signatures: `model.lora.r=2.5` is refused because
`LoraSettings.r` is an `int`, not because a YAML happened to hold an integer.

Every node with a `_target_` is checked against its target's `__init__` (type hints and parameter names), nested
`_target_` nodes (observer lists) against their own targets, and run-level sections without a target
(`score`, `check_rewards`, `eval_run`, `serve`) against the settings class their mode builds from them
(SECTIONS). A parameter typed with a dataclass (`lora: LoraSettings | dict | None`) checks its mapping key by
key, so `model.lora.rank` is an unknown key. A target whose `__init__` takes `**kwargs` may name their types
with a static `extra_parameters()` (GRPOTrainingLoop: every `trl.GRPOConfig` field); without it extra keys pass.
Pydantic settings (`serve`) validate themselves; their first error becomes the same one line.

Ranges come from the same signatures: a parameter typed `Annotated[int, Ge(1)]` (components/bounds.py) refuses
`eval.batch_size=0` with `eval.batch_size=0: must be >= 1`; the `train.<field>` keys passed to TRL get their bounds
from components/training/export_grpo_fields.py. Rules across keys, files that must exist and registered names:
components/validation.py.

Importing a target imports its module (torch for model and training components) but loads no weights.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from components.bounds import Ge, violation

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"
GROUPS = {  # config group -> the key it fills (conf/config.yaml's defaults list)
    "data_component": "data",
    "model_component": "model",
    "training_loop_component": "train",
    "reward_component": "reward",
    "evaluation_component": "eval",
    "observer_component": "observer",
    "prompts": "prompts",
    "tools_component": "tools",
    "environment_component": "environment",
}
SECTIONS = {  # run-level sections without a `_target_`: the class their mode builds from them
    "": "components.config_schema.RunSettings",
    "score": "components.modes.score.ScoreSettings",
    "check_rewards": "components.modes.check_rewards.CheckRewardsSettings",
    "eval_run": "components.modes.evaluate.EvalRunSettings",
    "export": "components.modes.export.ExportSettings",
}  # + "serve": serve/config.py registers its own settings (components/ never names serve/)
_NO_DEFAULT = inspect.Parameter.empty


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Run-level keys of conf/config.yaml (and conf/serve.yaml) that the entry points read."""

    mode: str = "train"
    seed: Annotated[int, Ge(0)] = 42
    memory_check: bool = True


@dataclasses.dataclass(frozen=True)
class Parameters:
    types: dict[str, Any]  # name -> type hint (Any where the signature gives none)
    defaults: dict[str, Any]  # name -> default (inspect.Parameter.empty when required)
    open_ended: bool  # takes **kwargs that no extra_parameters() names: unknown keys pass


def register_section(key: str, settings: str) -> None:
    """A run-level section whose settings class lives above components/ (serve's): its package registers it."""
    SECTIONS[key] = settings


def locate(dotted: str, key: str) -> Any:
    from hydra.utils import get_object

    try:
        return get_object(dotted)
    except Exception as err:  # noqa: BLE001 (ImportError, AttributeError, ...: all mean "cannot use this target")
        raise ValueError(f"{key}._target_={dotted}: cannot import it ({str(err).splitlines()[0]})") from None


def _hints(fn: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)  # Annotated bounds kept (components/bounds.py)
    except Exception:  # noqa: BLE001 (an annotation naming what the module does not import): untyped, not fatal
        return {}


@lru_cache(maxsize=256)
def parameters(dotted: str, key: str = "") -> Parameters:
    """The keyword parameters a YAML node with `_target_: dotted` may set, with their types."""
    target = locate(dotted, key)
    if dataclasses.is_dataclass(target):
        hints = _hints(target)
        fields = [f for f in dataclasses.fields(target) if f.init]
        defaults = {f.name: (f.default if f.default is not dataclasses.MISSING else _NO_DEFAULT) for f in fields}
        return Parameters({f.name: hints.get(f.name, Any) for f in fields}, defaults, False)
    init = target.__init__ if isinstance(target, type) else target
    signature = inspect.signature(target)
    hints = _hints(init)
    named = {n: p for n, p in signature.parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    types_ = {n: hints.get(n, Any) for n in named}
    defaults = {n: p.default for n, p in named.items()}
    open_ended = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    extra = getattr(target, "extra_parameters", None)
    if open_ended and callable(extra):
        for name, (hint, default) in extra().items():
            types_.setdefault(name, hint)
            defaults.setdefault(name, default)
        open_ended = False
    return Parameters(types_, defaults, open_ended)


def describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return describe(args[0])
    if origin in (Union, types.UnionType):
        return " or ".join(dict.fromkeys(describe(a) for a in args))
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if hint is type(None):
        return "null"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(str(m.value) for m in hint)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string", Path: "a path"}
    if hint in names:
        return names[hint]
    base = origin or hint
    if isinstance(base, type) and issubclass(base, (list, tuple, Sequence)) and not issubclass(base, str):
        return "a list"
    if (isinstance(base, type) and issubclass(base, (dict, Mapping))) or dataclasses.is_dataclass(base):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))


def _fits(value: Any, hint: Any, key: str) -> bool:
    """True when `value` is a valid `hint`; raises ValueError itself for errors deeper inside (nested keys)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object or isinstance(hint, typing.TypeVar):
        return True
    if origin is typing.Annotated:
        return _fits(value, args[0], key)
    if origin in (Union, types.UnionType):
        if isinstance(value, Mapping):  # a dataclass arm checks the mapping key by key (unknown keys named)
            for arm in args:
                if dataclasses.is_dataclass(arm):
                    return _fits(value, arm, key)
        return any(_fits(value, arm, key) for arm in args)
    if value is None or hint is type(None):
        return value is None and hint is type(None)
    if origin is Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value in {m.value for m in hint} or value in hint.__members__
    if hint in (str, Path) or (isinstance(hint, type) and issubclass(hint, (str, Path))):
        return isinstance(value, str)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            return False
        check_mapping(key, value, parameters(f"{hint.__module__}.{hint.__qualname__}", key))
        return True
    base = origin or hint
    if isinstance(base, type) and issubclass(base, (dict, Mapping)):
        if not isinstance(value, Mapping):
            return False
        item = args[1] if len(args) == 2 else Any
        for k, v in value.items():
            check_value(f"{key}.{k}", v, item)
        return True
    if isinstance(base, type) and issubclass(base, (list, tuple, Sequence)) and not issubclass(base, str):
        if not isinstance(value, (list, tuple)):
            return False
        item = args[0] if len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis) else Any
        for i, v in enumerate(value):
            check_value(f"{key}[{i}]", v, item)
        return True
    return True  # a class the config cannot spell (a tokenizer, a callback): injected at runtime, not checked


def check_value(key: str, value: Any, hint: Any, default: Any = _NO_DEFAULT) -> None:
    if isinstance(value, Mapping) and "_target_" in value:
        check_node(key, value)
        return
    if value is None and (default is None or default is _NO_DEFAULT):
        return  # `x: str = None` (the signature's own default is null), or a null the orchestrator fills in (output_dir)
    if not _fits(value, hint, key):
        raise ValueError(f"{key}={value!r}: expected {describe(hint)}")
    problem = violation(value, hint)  # the bounds declared on the parameter (components/bounds.py)
    if problem:
        raise ValueError(f"{key}={value}: {problem}")


def check_mapping(key: str, values: Mapping[str, Any], params: Parameters, target: str = "") -> None:
    for name, value in values.items():
        name = str(name)
        if name.startswith("_") and name.endswith("_"):  # _target_, _convert_, _partial_: Hydra's, not the target's
            continue
        where = f"{key}.{name}" if key else name
        if name not in params.types:
            if params.open_ended:
                continue
            owner = f" of {target}" if target else ""
            known = f"; known: {', '.join(sorted(params.types))}" if len(params.types) <= 16 else ""
            raise ValueError(f"{where}: unknown key (not a parameter{owner}){known}")
        check_value(where, value, params.types[name], params.defaults.get(name, _NO_DEFAULT))


def check_node(key: str, node: Mapping[str, Any]) -> None:
    """Check a `_target_` node's keys and values against its target's signature."""
    target = str(node["_target_"])
    check_mapping(key, node, parameters(target, key), target)


def check_section(key: str, values: Mapping[str, Any]) -> None:
    """A run-level section (or the run-level keys themselves, key ""): the settings class its mode builds."""
    cls = locate(SECTIONS[key], key or "run")
    if hasattr(cls, "model_validate"):  # pydantic settings validate themselves (bounds in Field(...))
        from pydantic import ValidationError

        try:
            cls.model_validate(dict(values))
        except ValidationError as err:
            raise ValueError(pydantic_error_line(err, key)) from None
        return
    params = parameters(SECTIONS[key], key)
    if key == "":  # run-level: only the keys RunSettings names; the sections and groups are checked apart
        values = {k: v for k, v in values.items() if k in params.types}
    check_mapping(key, values, params)


def pydantic_error_line(err: Any, prefix: str) -> str:
    """A pydantic ValidationError's first error as one line naming `<prefix>.<field>`."""
    first = err.errors()[0]
    where = ".".join([prefix, *(str(part) for part in first["loc"])])
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def check_schemas(values: Mapping[str, Any], keys: Sequence[str] | None = None) -> None:
    """Type-check the resolved config: run-level keys, then every section and `_target_` node in `keys`."""
    check_section("", values)
    for key in keys if keys is not None else list(values):
        node = values.get(key)
        if isinstance(node, Mapping) and "_target_" in node:
            check_node(key, node)
        elif key in SECTIONS and isinstance(node, Mapping):
            check_section(key, node)
