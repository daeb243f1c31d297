"""The environment's reward: each rollout's own environment instance judges the episode from its state.

TRL hands reward functions the rollouts' instances as `environments` (GRPOTrainer with `environment_factory`);
the evaluation loop does the same (components/tools/rollout.py), so reward and success cannot drift apart. The
episode's final message goes in, the environment's `Outcome` comes out (components/environments/base.py).
"""

from __future__ import annotations

from components.environments.metrics import final_text
from components.reward.base import CORRECT, NOT_APPLICABLE, WRONG, Verdict, register_reward, verdict_reward


@register_reward("environment", correctness=True)
@verdict_reward
def environment(completions, environments=None, **_) -> list[Verdict]:  # a column TRL passes, not a setting
    """>>> from components.environments.guess_number import GuessNumberGame
    >>> game = GuessNumberGame(high=4); _ = game.reset(seed=0); _ = game.guess(game.secret)
    >>> [v.score for v in environment(["done"], environments=[game])]
    [1.0]
    """
    if environments is None:  # no environment in this run (or an empty batch of the config check)
        return [Verdict(None, NOT_APPLICABLE) for _ in completions]
    out = []
    for completion, env in zip(completions, environments, strict=True):
        outcome = env(final_text(completion))
        out.append(Verdict(outcome.reward, CORRECT if outcome.success else WRONG, str(outcome.success).lower()))
    return out
