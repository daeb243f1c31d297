"""Which rewards exist by name: found in the modules of components/reward/, not listed by hand.

A module whose source uses ``@register_reward`` is imported and its tagged functions (``fn.__reward__``) are
collected; importing changes no global state, and base.py imports nothing from here, so there is no cycle.
Functions registered from outside the package (a test, a notebook) are added from base's explicit table.

>>> "gsm8k" in registry() and registry()["gsm8k"].correctness
True
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from components.reward.base import _REGISTRY, Registered


@lru_cache(maxsize=8)
def _discovered(package: str, paths: tuple[str, ...]) -> dict[str, Registered]:
    found: dict[str, Registered] = {}
    for module in pkgutil.iter_modules(list(paths)):
        source = Path(module.module_finder.path) / f"{module.name}.py"
        if module.ispkg or not source.is_file() or "@register_reward(" not in source.read_text(encoding="utf-8"):
            continue
        loaded = importlib.import_module(f"{package}.{module.name}")
        for value in vars(loaded).values():
            tag = getattr(value, "__reward__", None)
            if not (isinstance(tag, tuple) and len(tag) == 2 and getattr(value, "__module__", None) == loaded.__name__):
                continue
            name, entry = tag
            if name in found and found[name].fn is not entry.fn:
                raise ValueError(
                    f"reward name {name!r} is defined twice: in {found[name].fn.__module__} and {loaded.__name__}"
                )
            found[name] = entry
    return found


def registry() -> dict[str, Registered]:
    """Reward name -> its function, whether it is a correctness verifier, and its full marks."""
    package = importlib.import_module(__package__)  # at call time: the package has finished importing
    found = dict(_discovered(package.__name__, tuple(package.__path__)))
    for name, entry in _REGISTRY.items():
        if name in found and found[name].fn is not entry.fn:
            raise ValueError(f"reward name {name!r} is already taken by {found[name].fn.__module__}")
        found[name] = entry
    return found
