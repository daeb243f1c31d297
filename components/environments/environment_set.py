"""EnvironmentSet: the environments a run trains on (one, or a weighted mix), built from conf/environment_component.

An empty set (`environment_component=none`, the default) changes nothing. With environments, the set owns the
episodes (train rows drawn by weight from each environment's `rows("train")`, eval rows = every environment's
`rows("eval")`), hands TRL its `environment_factory` (one callable for one environment; the dict form, routed by
each row's `environment` column, for a mix) and gives evaluation and serving fresh instances through `make`.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from components.bounds import Ge, checked
from components.data.rows import make_splits
from components.environments.base import Environment
from components.environments.metrics import episode_metrics
from components.tools import chat_format as formats
from components.types import DatasetSplits

log = logging.getLogger(__name__)
ENV_COLUMN = "environment"  # TRL's routing column for the dict form; also names each episode in the metrics


def environment_tools(environment: Any) -> list[Callable[..., str]]:
    """The bound methods TRL exposes as tools: public functions of the class other than reset/get_reward."""
    return [
        getattr(environment, name)
        for name, _ in inspect.getmembers(type(environment), predicate=inspect.isfunction)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    ]


class EnvironmentSet:
    @checked("environment")
    def __init__(
        self,
        environments: Mapping[str, Any] | None = None,
        weights: Mapping[str, float] | None = None,
        max_turns: int = 4,  # >= 2 when an environment is set (a rule across keys, below)
        chat_format: str = "auto",
        num_train: Annotated[int, Ge(1)] = 2000,
        seed: int = 0,
    ) -> None:
        """environments: name -> spec (components/environments/base.py: make, rows).

        weights: name -> share of training episodes (null = equal); every environment is evaluated in full.
        max_turns: assistant turns per episode, the last included (TRL's max_tool_calling_iterations + 1).
        num_train: training episodes drawn over the mix (each environment's own rows, in order, cycled).
        """
        self.specs = dict(environments or {})
        for name, spec in self.specs.items():
            if not (callable(getattr(spec, "make", None)) and callable(getattr(spec, "rows", None))):
                raise ValueError(
                    f"environment.environments.{name}: {type(spec).__name__} needs make() and rows(split); "
                    "see components/environments/base.py"
                )
        if chat_format not in formats.FORMATS:
            raise ValueError(f"environment.chat_format={chat_format!r}: choose one of {', '.join(formats.FORMATS)}")
        if max_turns < 2 and self.specs:
            raise ValueError(f"environment.max_turns={max_turns} must be >= 2 (one round of tool calls, then the end)")
        weights = dict(weights) if weights else {name: 1.0 for name in self.specs}
        unknown = sorted(set(weights) - set(self.specs))
        if unknown:
            raise ValueError(f"environment.weights.{unknown[0]}: no such environment; have {sorted(self.specs)}")
        if self.specs and (any(float(w) < 0 for w in weights.values()) or sum(map(float, weights.values())) <= 0):
            raise ValueError(f"environment.weights: must be >= 0 with a positive sum, got {weights}")
        self.weights = {name: float(weights.get(name, 0.0)) for name in self.specs}
        self.max_turns, self.chat_format, self.num_train, self.seed = max_turns, chat_format, num_train, seed

    @property
    def enabled(self) -> bool:
        return bool(self.specs)

    @property
    def max_tool_calling_iterations(self) -> int:
        return self.max_turns - 1

    def make(self, name: str) -> Environment:
        return self.specs[name].make()

    def factory(self) -> Callable[[], Environment] | dict[str, Callable[[], Environment]]:
        """TRL's `environment_factory`: one callable for one environment, the dict form for a mix."""
        factories = {name: spec.make for name, spec in self.specs.items()}
        return next(iter(factories.values())) if len(factories) == 1 else factories

    def trainer_arguments(self) -> dict[str, Any]:
        """What GRPOTrainer takes from the set: TRL's `environment_factory` (TRL builds and resets the instances)."""
        return {"environment_factory": self.factory()}

    def prepare(self, tokenizer: Any) -> Any:
        """The tool-capable chat template and parser (components/tools/chat_format.py), as the tools group does."""
        if self.enabled:
            formats.install(tokenizer, self.chat_format)
        return tokenizer

    def start(self, rows: list[dict[str, Any]]) -> tuple[list[Environment], list[Any]]:
        """Fresh instances for evaluation or serving, reset from their rows as TRL does in training: the
        observation `reset` returns is appended to the last user message (TRL's `_generate_and_score_completions`)."""
        instances, prompts = [], []
        for row in rows:
            environment = self.make(row[ENV_COLUMN])
            observation = environment.reset(**{k: v for k, v in row.items() if k != ENV_COLUMN})
            prompt = list(row["prompt"])
            if observation is not None:
                prompt[-1] = {**prompt[-1], "content": prompt[-1]["content"] + observation}
            instances.append(environment)
            prompts.append(prompt)
        return instances, prompts

    def train_rows(self) -> list[dict[str, Any]]:
        pools = {name: spec.rows("train") for name, spec in self.specs.items() if self.weights[name] > 0}
        names = list(pools)
        rng, cursor, rows = random.Random(self.seed), dict.fromkeys(names, 0), []
        for _ in range(self.num_train):
            name = rng.choices(names, [self.weights[n] for n in names])[0] if len(names) > 1 else names[0]
            pool = pools[name]
            rows.append({**pool[cursor[name] % len(pool)], ENV_COLUMN: name})
            cursor[name] += 1
        return rows

    def eval_rows(self) -> list[dict[str, Any]]:
        return [{**row, ENV_COLUMN: name} for name, spec in self.specs.items() for row in spec.rows("eval")]

    def outcome_metrics(self, environments: list[Any], names: list[Any], completions: list[Any]) -> dict[str, float]:
        """Per-environment episode metrics (components/environments/metrics.py) with each game's optimum."""
        metrics = episode_metrics(environments, names, completions)
        for name, spec in self.specs.items():
            optimum = getattr(spec, "optimal_mean_guesses", None)
            if optimum is not None and f"env/{name}/success" in metrics:
                metrics[f"env/{name}/optimal_tool_calls"] = optimum
        return metrics

    def splits(self, prompts: Any, max_eval_samples: int | None = None) -> DatasetSplits:
        """Train and eval episodes as dataset rows: `prompt` from the run's prompts, the columns `reset` reads."""
        train, evaluation = same_columns(self.train_rows()), same_columns(self.eval_rows())
        log.info(
            "environments: %s; %d training episodes (weights %s), %d evaluation episodes",
            ", ".join(self.specs),
            len(train),
            self.weights,
            len(evaluation),
        )
        return make_splits(train, evaluation, prompts, None, max_eval_samples, self.seed)


def same_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every column (None where an environment has no such column): a mix shares one dataset."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return [{key: row.get(key) for key in keys} for row in rows]
