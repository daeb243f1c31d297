"""Verifiable rewards with TRL's signature; see base.py for the interface, reward_set.py for wiring."""

from components.reward.base import Verdict, register_reward
from components.reward.reward_set import RewardScores, RewardSet

__all__ = ["RewardScores", "RewardSet", "Verdict", "register_reward"]
