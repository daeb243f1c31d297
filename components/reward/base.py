"""The reward interface: TRL's signature, the Verdict record and the name registry.

A reward function has TRL's signature ``(completions, **columns) -> list[float | None]``.
Dataset columns are positional-or-keyword parameters (``answer=None``); tunable params are
keyword-only with defaults (``*, correct_reward=1.0``), so RewardSet can tell them apart and
validate a YAML's ``params`` against the signature. A param's range is declared once, on the param
(``*, rel_tol: Annotated[float, Ge(0)] = 1e-3``, components/bounds.py): RewardSet reads it from the signature
when the config is built, and ``register_reward`` enforces it on a direct Python call. ``**_`` swallows what TRL
also passes (prompts, completion_ids, trainer_state, unrelated columns).

Verifiers additionally expose ``.judge`` returning one ``Verdict`` per completion, so
"unparseable" is counted apart from "wrong" and evaluation can reuse the exact verdict.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from components.bounds import check_bounds

CORRECT, PARTIAL, WRONG, UNPARSEABLE, NOT_APPLICABLE = (
    "correct",
    "partial",
    "wrong",
    "unparseable",
    "n/a",
)


@dataclass(frozen=True)
class Verdict:
    """One completion's judgement: score (None = not applicable), status, extracted answer."""

    score: float | None
    status: str
    answer: str | None = None


class RewardFunction(Protocol):
    __name__: str

    def __call__(self, completions: Sequence[Any], **columns: Any) -> list[float | None]: ...


@runtime_checkable
class RewardComponent(Protocol):
    """What training, evaluation, scoring and serving call on the `reward` component (RewardSet)."""

    names: list[str]  # one per function; TRL logs rewards/<name>
    funcs: list[Callable[..., list[float | None]]]  # TRL-signature callables handed to GRPOTrainer
    weights: list[float]

    @property
    def grader(self) -> str: ...  # what decides "correct", reported beside every accuracy

    @property
    def max_total(self) -> float: ...  # the weighted total at full marks

    def score(self, completions: Sequence[Any], **columns: Any) -> Any: ...  # RewardScores

    def is_correct(self, completions: Sequence[Any], **columns: Any) -> list[bool | None]: ...

    def extract_answers(self, completions: Sequence[Any], **columns: Any) -> list[str | None]: ...


@dataclass(frozen=True)
class Registered:
    fn: Callable[..., list[float | None]]
    correctness: bool  # is a correctness verifier (drives RewardSet.is_correct / accuracy)
    full_marks: Callable[[dict], float]  # best score given the bound params


_REGISTRY: dict[str, Registered] = {}  # explicit registrations from outside components/reward/ (tests, notebooks)


def register_reward(name: str, *, correctness: bool = False, full_marks: str | float = 1.0):
    """Mark a TRL-signature reward as ``name`` (usable as ``- name: <name>`` in YAML).

    ``full_marks`` is the best score: a constant, or the name of the param that holds it. The decorator
    enforces the bounds declared on the keyword-only params (``Annotated[float, Ge(0)]``) on every call, the
    verdicts of ``.judge`` included, and tags the function (``fn.__reward__``); components/reward/discovery.py
    finds tagged functions in the modules
    of components/reward/, so a new reward file needs no list edited and importing it changes nothing. A
    function defined elsewhere (a test, a notebook) is also recorded here, since no discovery scans its module;
    one in an importable module of your own can be named with ``function: package.module.callable`` instead.
    """

    def decorator(fn):
        fn = _bounded(fn, name)
        if isinstance(full_marks, str):
            default = _param_defaults(fn)[full_marks]
            best = lambda params: float(params.get(full_marks, default))  # noqa: E731
        else:
            best = lambda params: float(full_marks)  # noqa: E731
        fn.__reward__ = (name, Registered(fn, correctness, best))
        if not fn.__module__.startswith(f"{__package__}."):
            if name in _REGISTRY and _REGISTRY[name].fn is not fn:
                raise ValueError(f"reward name {name!r} is already registered to {_REGISTRY[name].fn!r}")
            _REGISTRY[name] = Registered(fn, correctness, best)
        return fn

    return decorator


def verdict_reward(judge: Callable[..., list[Verdict]]) -> Callable[..., list[float | None]]:
    """Turn a judge (returns Verdicts) into a TRL reward; the judge stays reachable as ``.judge``."""

    @functools.wraps(judge)
    def reward(completions, *args, **kwargs):
        return [v.score for v in judge(completions, *args, **kwargs)]

    reward.judge = judge
    return reward


def param_hints(fn: Callable) -> dict[str, Any]:
    """The keyword-only params' annotations with their bounds (``Annotated[...]``), read through the wrappers."""
    target = getattr(fn, "judge", None) or fn
    names = set(_param_defaults(target))
    return {n: h for n, h in typing.get_type_hints(target, include_extras=True).items() if n in names}


def _bounded(fn: Callable, name: str) -> Callable:
    """``fn`` (and its ``.judge``) checking its bounded params first: a bad value from Python fails as from YAML."""
    if not any("Annotated[" in str(hint) for hint in _annotations(getattr(fn, "judge", None) or fn).values()):
        return fn  # nothing declared: keep the function itself (no wrapper in tracebacks)

    def guard(inner: Callable) -> Callable:
        @functools.wraps(inner)
        def call(*args: Any, **kwargs: Any) -> Any:
            hints = _hints(inner)  # at the first call: every annotation's name is defined by then
            check_bounds(f"{name}: params", {k: v for k, v in kwargs.items() if k in hints}, hints)
            return inner(*args, **kwargs)

        return call

    wrapped = guard(fn)
    if hasattr(fn, "judge"):
        wrapped.judge = guard(fn.judge)
    return wrapped


def _annotations(fn: Callable) -> dict[str, Any]:
    return getattr(inspect.unwrap(fn), "__annotations__", {})


@functools.cache
def _hints(fn: Callable) -> dict[str, Any]:
    return {n: h for n, h in param_hints(fn).items() if "Annotated" in str(h)}


def _param_defaults(fn) -> dict[str, Any]:
    sig = inspect.signature(fn)
    return {n: p.default for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, or TRL's chat form [{"role": "assistant", ...}].

    In a multi-turn episode only the model's own turns count: a `tool` turn is what a tool returned, never the
    model's answer, so a calculator result holding the gold number earns nothing unless the model states it.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    parts = []
    for message in completion or []:
        if isinstance(message, dict) and message.get("role") == "tool":
            continue
        content = message.get("content", "") if isinstance(message, dict) else message
        if isinstance(content, list):  # multimodal content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def column(values: Sequence[Any] | None, i: int) -> Any:
    """Row ``i`` of a column passed by TRL (a list per column), or None if the column is absent."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not hasattr(values, "__getitem__"):
        return values  # a scalar broadcast to every row (handy in tests and for score mode)
    return values[i]
