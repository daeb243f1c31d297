"""Rough on-demand prices per accelerator-hour (USD), for `cost.accelerator=<key>`.

Typical 2025 list prices of GPU clouds; they vary by provider, region and commitment, so treat them as an
order of magnitude and set `cost.usd_per_hour` to your own rate for real accounting.
"""

from __future__ import annotations

USD_PER_HOUR: dict[str, float] = {
    "h200": 3.80,
    "h100": 3.00,
    "a100_80gb": 1.80,
    "a100_40gb": 1.30,
    "l40s": 1.00,
    "a10g": 1.00,
    "l4": 0.70,
    "rtx4090": 0.40,
    "t4": 0.35,
    "cpu": 0.10,  # a small cloud VM: the default CPU runs
}

# Substrings of torch.cuda.get_device_name() -> table key, most specific first ("A100-SXM4-80GB" -> a100_80gb).
DEVICE_NAMES: list[tuple[str, str]] = [
    ("H200", "h200"),
    ("H100", "h100"),
    ("A100-SXM4-80GB", "a100_80gb"),
    ("A100 80GB", "a100_80gb"),
    ("A100", "a100_40gb"),
    ("L40S", "l40s"),
    ("A10G", "a10g"),
    ("L4", "l4"),
    ("4090", "rtx4090"),
    ("T4", "t4"),
]


def detect_accelerator() -> str | None:
    """The table key of the visible accelerator: "cpu" without CUDA, None for a GPU the table lacks."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    name = torch.cuda.get_device_name(0)
    return next((key for part, key in DEVICE_NAMES if part in name), None)
