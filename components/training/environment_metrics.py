"""Environments in TRL's GRPOTrainer: `environment_factory=` (TRL's own rollout loop) plus env/* metrics.

TRL builds one instance per rollout (pooled, `reset(**row)` before each episode), exposes the instance's public
methods as tools, runs its multi-turn tool loop and hands the instances to every reward function as
`environments`; the project's `environment` reward reads them (components/reward/environment.py). What TRL does
not log, added by the mixin below: success, turns, tool calls and invalid actions per environment.
"""

from __future__ import annotations

from typing import Any

from components.environments.environment_set import ENV_COLUMN


class EnvironmentEpisodeMetrics:
    """GRPOTrainer mixin: env/<name>/* metrics of every rollout batch, from its environment instances."""

    environment_set: Any = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        mode = "train" if self.model.training else "eval"
        if self.environments:
            names = [x.get(ENV_COLUMN) for x in inputs]
            for key, value in self.environment_set.outcome_metrics(self.environments, names, completions).items():
                self._metrics[mode][key].append(value)
        return super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
