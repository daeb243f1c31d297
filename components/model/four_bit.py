"""Whether 4-bit (QLoRA) can run here: one check, called when the config is validated and again by the model
constructors before any weights load. It imports neither torch nor bitsandbytes (validation stays fast): the
version comes from the package metadata and a GPU from the loaded NVIDIA driver.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from packaging.version import Version

MIN_CPU_VERSION = Version("0.45")  # the first bitsandbytes with CPU 4-bit layers


def bnb_version() -> str | None:
    """The installed bitsandbytes version, or None when it is not installed."""
    if importlib.util.find_spec("bitsandbytes") is None:
        return None
    return importlib.metadata.version("bitsandbytes")


def has_cuda_device() -> bool:
    return Path("/proc/driver/nvidia/gpus").is_dir()  # the NVIDIA driver is loaded (no torch import needed)


def check_4bit_supported(lora_enabled: bool = True) -> None:
    """Raise a one-line ValueError naming the fix when model.load_in_4bit=true cannot run here.

    >>> check_4bit_supported(lora_enabled=False)
    Traceback (most recent call last):
    ...
    ValueError: model.load_in_4bit=true trains only LoRA adapters: set model.lora.enabled=true
    """
    if not lora_enabled:
        raise ValueError("model.load_in_4bit=true trains only LoRA adapters: set model.lora.enabled=true")
    version = bnb_version()
    if version is None:
        raise ValueError(
            "model.load_in_4bit=true needs bitsandbytes: pip install 'bitsandbytes>=0.45' (or set model.load_in_4bit=false)"
        )
    if Version(version) < MIN_CPU_VERSION and not has_cuda_device():
        raise ValueError(
            f"model.load_in_4bit=true on CPU needs bitsandbytes>=0.45 (found {version}); "
            "upgrade it or set model.load_in_4bit=false"
        )
