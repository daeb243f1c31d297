"""Imports every built-in reward module so its ``@register_reward`` runs (the registry's table)."""

from components.reward import (  # noqa: F401
    classification,
    code,
    exact_match,
    f1,
    finqa,
    format,
    gsm8k,
    length,
    math,
    regression,
    repetition,
    tool_use,
    yes_no,
)
