"""RewardSet: the configured reward functions, their weights, and the correctness verdict.

Built from ``conf/reward_component/<name>.yaml`` by ``hydra.utils.instantiate``. ``.funcs`` and
``.weights`` go straight into ``trl.GRPOTrainer``; ``.score`` / ``.is_correct`` /
``.extract_answers`` serve offline scoring and evaluation with the very same verifier, so
reward and accuracy cannot drift apart.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from components.bounds import check_bounds
from components.reward.base import CORRECT, NOT_APPLICABLE, UNPARSEABLE, Verdict, param_hints
from components.reward.discovery import registry


@dataclass(frozen=True)
class RewardScores:
    per_function: dict[str, list[float | None]]
    total: list[float]  # weighted sum, None counted as 0 (TRL nan-sums the same way)
    statuses: dict[str, list[str]]  # correct / partial / wrong / unparseable / n/a / scored

    def metrics(self) -> dict[str, float]:
        """``reward/<name>`` means (over applicable rows) and ``reward/<name>/unparseable`` rates."""
        out = {}
        for name, scores in self.per_function.items():
            valid = [s for s in scores if s is not None]
            out[f"reward/{name}"] = sum(valid) / len(valid) if valid else float("nan")
            statuses = self.statuses[name]
            out[f"reward/{name}/unparseable"] = statuses.count(UNPARSEABLE) / max(1, len(statuses))
        out["reward/total"] = sum(self.total) / max(1, len(self.total))
        return out


@dataclass(frozen=True)
class _Entry:
    name: str
    weight: float
    fn: Callable[..., list]
    params: dict[str, Any]
    correctness: bool
    full_marks: float

    def verdicts(self, completions: Sequence[Any], columns: dict[str, Any]) -> list[Verdict]:
        judge = getattr(self.fn, "judge", None)
        if judge is not None:
            return judge(completions, **columns, **self.params)
        scores = self.fn(completions, **columns, **self.params)
        return [Verdict(s, NOT_APPLICABLE if s is None else "scored") for s in scores]


def _plain(value: Any) -> Any:
    try:  # Hydra hands us DictConfig/ListConfig unless _convert_ is set
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(value, (DictConfig, ListConfig)):
            return OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover
        pass
    return value


def _resolve(path: str, where: str) -> Callable:
    module, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot import function {path!r} ({exc})") from None


def _check_params(fn: Callable, params: dict, where: str, registered: bool) -> None:
    sig = inspect.signature(fn)
    accepted = {n: p.default for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}
    # A custom `f(completions, **kwargs)` declares no params: accept any and let it sort them out.
    open_ended = not accepted and any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    for key, value in params.items():
        if key not in accepted and open_ended:
            continue
        if key not in accepted:
            raise ValueError(f"{where}: unknown param {key!r}; accepted params: {sorted(accepted)}")
        default = accepted.get(key)
        numeric_ok = isinstance(default, Real) and not isinstance(default, bool)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"{where}: param {key!r} must be true/false, got {value!r}")
        if numeric_ok and (isinstance(value, bool) or not isinstance(value, Real)):
            raise ValueError(f"{where}: param {key!r} must be a number, got {value!r}")
    hints = _param_hints(fn, where)
    check_bounds(f"{where}: params", {k: v for k, v in params.items() if k in hints}, hints)
    if not registered:
        return
    try:  # rules across params (0 < buffer <= max_len), names from a set: the function's own, on an empty batch
        (getattr(fn, "judge", None) or fn)([], **params)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def _param_hints(fn: Callable, where: str) -> dict[str, Any]:
    try:  # the bounds declared on the keyword-only params (`Annotated[float, Ge(0)]`), through the wrappers
        return param_hints(fn)
    except (NameError, TypeError) as exc:  # an annotation naming what its module never imports
        raise ValueError(f"{where}: cannot read the params' annotations ({exc})") from None


class RewardSet:
    """The reward functions of one run.

    >>> rs = RewardSet([{"name": "gsm8k", "weight": 1.0, "params": {}},
    ...                 {"name": "format", "weight": 0.1, "params": {"tags": ["answer"]}}])
    >>> rs.names, rs.score(["<answer>#### 7</answer>"], answer=["7"]).total, rs.max_total
    (['gsm8k', 'format'], [1.1], 1.1)
    """

    def __init__(self, reward_functions: list[dict]):
        known = registry()
        entries = []
        for i, raw in enumerate(_plain(reward_functions) or []):
            where = f"reward_functions[{i}]"
            if not isinstance(raw, dict):
                raise ValueError(f"{where}: expected a mapping with name/function, weight, params; got {raw!r}")
            unknown = set(raw) - {"name", "function", "weight", "params", "full_marks"}
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)}; use name, function, weight, params")
            params = dict(raw.get("params") or {})
            if raw.get("function"):
                fn = _resolve(raw["function"], where)
                name = raw.get("name") or getattr(fn, "__name__", raw["function"].rsplit(".", 1)[-1])
                tag = getattr(fn, "__reward__", None)  # @register_reward on a function outside components/reward/
                reg = tag[1] if isinstance(tag, tuple) else next((r for r in known.values() if r.fn is fn), None)
            elif raw.get("name") in known:
                name, reg = raw["name"], known[raw["name"]]
                fn = reg.fn
            else:
                raise ValueError(
                    f"{where}: unknown reward name {raw.get('name')!r}; known names: {sorted(known)} "
                    "(or give `function: package.module.callable`)"
                )
            _check_params(fn, params, f"{where} ({name})", registered=reg is not None)
            correctness = bool(reg and reg.correctness)
            best = raw.get("full_marks", reg.full_marks(params) if reg else 1.0)
            weight = raw.get("weight", 1.0)
            if not isinstance(weight, Real) or not math.isfinite(weight):
                raise ValueError(f"{where} ({name}): weight must be a finite number, got {weight!r}")
            entries.append(_Entry(name, float(weight), fn, params, correctness, float(best)))
        if not entries:
            raise ValueError("reward_functions is empty; configure at least one reward function")
        names = [e.name for e in entries]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"reward names must be unique (TRL logs rewards/<name>); duplicated: {dupes}")
        self._entries = entries
        self.names = names
        self.weights = [e.weight for e in entries]
        self.funcs = [self._bind(e) for e in entries]

    @staticmethod
    def _bind(entry: _Entry) -> Callable[..., list[float | None]]:
        def reward(completions, **kwargs):
            verdicts = entry.verdicts(completions, _columns(kwargs, entry.params))
            log_metric = kwargs.get("log_metric")  # TRL >= 1.x hands reward functions a metric logger
            if callable(log_metric) and verdicts and hasattr(entry.fn, "judge"):
                unparseable = sum(v.status == UNPARSEABLE for v in verdicts) / len(verdicts)
                log_metric(f"reward/{entry.name}/unparseable", unparseable)
            return [v.score for v in verdicts]

        reward.__name__ = reward.__qualname__ = entry.name
        reward.__doc__ = entry.fn.__doc__
        return reward

    @property
    def max_total(self) -> float:
        return sum(e.weight * e.full_marks for e in self._entries)

    def verdicts(self, completions: Sequence[Any], **columns: Any) -> dict[str, list[Verdict]]:
        return {e.name: e.verdicts(completions, _columns(columns, e.params)) for e in self._entries}

    def score(self, completions: Sequence[Any], **columns: Any) -> RewardScores:
        verdicts = self.verdicts(completions, **columns)
        per_function = {n: [v.score for v in vs] for n, vs in verdicts.items()}
        total = [
            sum(e.weight * (per_function[e.name][i] or 0.0) for e in self._entries) for i in range(len(completions))
        ]
        statuses = {n: [v.status for v in vs] for n, vs in verdicts.items()}
        return RewardScores(per_function, total, statuses)

    @property
    def grader(self) -> str:
        """What decides "correct" in evaluation: the verifier's name, reported beside every accuracy."""
        entry = self._verifier()
        return entry.name if entry else "every reward at full marks"

    def _verifier(self) -> _Entry | None:
        return next((entry for entry in self._entries if entry.correctness), None)

    def is_correct(self, completions: Sequence[Any], **columns: Any) -> list[bool | None]:
        """True at full marks, False when wrong, None when unparseable or not applicable.

        Without a correctness verifier (e.g. a format-only set), "correct" means every function gave
        full marks, so evaluation still reports a meaningful rate instead of failing.
        """
        entry = self._verifier()
        if entry is None:
            totals = self.score(completions, **columns).total
            return [total >= self.max_total - 1e-9 for total in totals]
        out = []
        for v in entry.verdicts(completions, _columns(columns, entry.params)):
            if v.status in (UNPARSEABLE, NOT_APPLICABLE) or v.score is None:
                out.append(None)
            else:
                out.append(v.status == CORRECT or v.score >= entry.full_marks)
        return out

    def extract_answers(self, completions: Sequence[Any], **columns: Any) -> list[str | None]:
        entry = self._verifier()
        if entry is None:
            return [None] * len(completions)
        return [v.answer for v in entry.verdicts(completions, _columns(columns, entry.params))]


def _columns(kwargs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    # A dataset column may share a name with a param (e.g. "strict"): the config wins.
    return {k: v for k, v in kwargs.items() if k not in params}
