"""Start-up checks for `train.use_vllm`: TRL reaches for vLLM only when the trainer is built, after the model loads.

vLLM is an optional, CUDA-only install kept out of the lock (docs/INSTALL.md, `make vllm`), so a missing
vLLM must fail at once with the fix, not minutes later inside GRPOTrainer.
"""

from __future__ import annotations

import importlib.util

VLLM_MODES = ("colocate", "server")


def check_vllm(use_vllm: bool, vllm_mode: str) -> None:
    """
    >>> check_vllm(False, "anything")  # vLLM off: nothing to check
    """
    if not use_vllm:
        return
    if vllm_mode not in VLLM_MODES:
        raise ValueError(f"train.vllm_mode={vllm_mode}: choose one of {', '.join(VLLM_MODES)}")
    if importlib.util.find_spec("vllm") is None:
        raise ValueError(
            "train.use_vllm=true but vllm is not installed: on a CUDA machine run `make vllm` and use "
            ".venv-vllm/bin/python (or set train.use_vllm=false)"
        )
