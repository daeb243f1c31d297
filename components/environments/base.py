"""The environment interface: a stateful episode whose public methods are the model's tools (TRL's contract).

TRL's `GRPOTrainer(environment_factory=...)` builds one instance per rollout, calls `reset(**row)` before the
first turn (a returned string is appended to the last user message) and exposes every public method other than
`reset` as a tool, rendered from its type hints and Google-style docstring. Members whose names start with `_`
are hidden from the model, so the episode's verdict is `__call__`: the final text in, an `Outcome` out, read from
the state the tool calls left behind. The project's `environment` reward (components/reward/environment.py)
calls it, so the reward goes through the run's RewardSet (weights, logging, evaluation) rather than TRL's
unweighted `get_reward` column; environments here define no `get_reward` for that reason.

An `EnvironmentSpec` is what a YAML builds: the settings of one environment, the episodes it offers (`rows`)
and a factory of fresh instances (`make`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Outcome:
    """How one episode ended, from the environment's own state."""

    success: bool
    reward: float
    tool_calls: int  # calls of this environment's tools
    invalid_actions: int  # calls the environment refused (out of range, unparseable, after the episode ended)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Environment(ABC):
    """One episode. Subclasses add tools as public methods (typed, with an `Args:` docstring section)."""

    @abstractmethod
    def reset(self, **row: Any) -> str | None:
        """Start a new episode from one dataset row (its columns as keywords); forget every earlier episode."""

    @abstractmethod
    def __call__(self, final_text: str) -> Outcome:
        """The episode's outcome given the model's last message; pure (the state is not changed)."""


@runtime_checkable
class EnvironmentSpec(Protocol):
    def make(self) -> Environment:
        """A fresh instance (TRL calls it once per concurrent rollout and reuses instances through `reset`)."""
        ...

    def rows(self, split: str) -> list[dict[str, Any]]:
        """Episodes of `split` (train | eval): each has `question` plus the columns `reset` reads."""
        ...


@runtime_checkable
class EnvironmentProvider(Protocol):
    """The environment group's interface (components/environments/environment_set.py), what the recipe uses."""

    enabled: bool
    max_turns: int
    max_tool_calling_iterations: int  # TRL's rounds of calls (max_turns - 1)
    specs: Any  # name -> the environment's spec, for the log line

    def prepare(self, tokenizer: Any) -> Any:
        """The tool-capable chat template and parser on `tokenizer` (as ToolProvider.prepare)."""
        ...

    def start(self, rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
        """Evaluation: a fresh, reset instance per row, and each episode's opening messages."""
        ...

    def outcome_metrics(self, environments: list[Any], names: list[Any], completions: list[Any]) -> dict[str, float]:
        """env/<name>/* metrics of finished episodes (success, turns, tool calls, invalid actions)."""
        ...

    def splits(self, prompts: Any, max_eval_samples: int | None = None) -> Any:
        """DatasetSplits of the environments' episodes (rows with `prompt` and the columns `reset` reads)."""
        ...

    def factory(self) -> Any:
        """TRL's `environment_factory`: one callable, or the dict form for a mix."""
        ...

    def trainer_arguments(self) -> dict[str, Any]:
        """GRPOTrainer's keyword arguments (`{"environment_factory": factory()}`): components/training/multi_turn.py."""
        ...
