"""Imports every built-in reward module so its ``@register_reward`` runs (the registry's table)."""
from components.reward import format, gsm8k, math  # noqa: F401
