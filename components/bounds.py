"""A value's range, declared once on its parameter and enforced wherever the value comes from.

    def __init__(self, batch_size: Annotated[int, Ge(1)] = 8, top_p: Annotated[float, Interval(gt=0, le=1)] = 1.0)

The bounds are `annotated_types` metadata (the package pydantic reads `Field(ge=...)` into), so one spelling
serves the config schema (components/config_schema.py reads them from the signature when the config is
composed: `eval.batch_size=0: must be >= 1`), a constructor called from Python (`@checked("eval")` on its
`__init__`, `check_fields(self, "model.lora")` in a dataclass's `__post_init__`) and the `train.<field>` keys
passed through to TRL (components/training/export_grpo_fields.py annotates them). A rule no single bound can
say (`-1 or > 0`) is a `Predicate` whose function's docstring is the message.
"""

from __future__ import annotations

import functools
import inspect
import operator
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from annotated_types import Ge, Gt, Interval, Le, Lt, Predicate

__all__ = ["Ge", "Gt", "Interval", "Le", "Lt", "Predicate", "check_bounds", "check_fields", "checked", "violation"]


def _constraints(hint: Any) -> Iterator[Any]:
    """The bounds on `hint` itself or on an arm of its union (`Annotated[int, Ge(1)] | None`)."""
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        for meta in typing.get_args(hint)[1:]:
            # Interval is grouped metadata: iterating it gives its Gt/Ge/Lt/Le parts
            yield from (meta if isinstance(meta, Interval) else [meta])
    elif origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(hint):
            yield from _constraints(arm)


def _text(constraints: list[Any]) -> str:
    lower = next((c for c in constraints if isinstance(c, (Gt, Ge))), None)
    upper = next((c for c in constraints if isinstance(c, (Lt, Le))), None)
    if lower is not None and upper is not None:
        left, right = ("(" if isinstance(lower, Gt) else "["), (")" if isinstance(upper, Lt) else "]")
        low = lower.gt if isinstance(lower, Gt) else lower.ge
        high = upper.lt if isinstance(upper, Lt) else upper.le
        return f"must be in {left}{low}, {high}{right}"
    for c, sign, bound in ((lower, ">", "gt"), (lower, ">=", "ge"), (upper, "<", "lt"), (upper, "<=", "le")):
        if c is not None and hasattr(c, bound):
            return f"must be {sign} {getattr(c, bound)}"
    predicate = next(c for c in constraints if isinstance(c, Predicate))
    return " ".join((predicate.func.__doc__ or f"must satisfy {predicate.func.__name__}").split())


def _holds(constraint: Any, value: Any) -> bool:
    for attr, accepts in (("gt", operator.gt), ("ge", operator.ge), ("lt", operator.lt), ("le", operator.le)):
        if hasattr(constraint, attr):
            return accepts(value, getattr(constraint, attr))
    return bool(constraint.func(value)) if isinstance(constraint, Predicate) else True


def violation(value: Any, hint: Any) -> str | None:
    """What `value` breaks of the bounds on `hint` ("must be >= 1"), or None. Only numbers are bounded."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # a wrong type is the schema's message ("expected an integer"), null is allowed or not by type
    constraints = list(_constraints(hint))
    if constraints and not all(_holds(c, value) for c in constraints):
        return _text(constraints)
    return None


def check_bounds(prefix: str, values: Mapping[str, Any], hints: Mapping[str, Any]) -> None:
    """Raise `<prefix>.<name>=<value>: must be ...` for the first value outside its declared bounds."""
    for name, value in values.items():
        problem = violation(value, hints.get(name))
        if problem:
            raise ValueError(f"{prefix}.{name}={value}: {problem}" if prefix else f"{name}={value}: {problem}")


@functools.cache
def _hints(owner: Any) -> dict[str, Any]:
    return typing.get_type_hints(owner, include_extras=True)  # at the first call: every annotation is defined


def check_fields(instance: Any, prefix: str) -> None:
    """A dataclass's `__post_init__`: its fields against their declared bounds."""
    check_bounds(prefix, vars(instance), _hints(type(instance)))


def checked(prefix: str) -> Callable[[Callable], Callable]:
    """Decorate an `__init__` (or a builder) so that a direct Python call enforces the same bounds as the config."""

    def wrap(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            check_bounds(prefix, signature.bind(*args, **kwargs).arguments, _hints(fn))
            return fn(*args, **kwargs)

        return call

    return wrap
