"""Load one split from the Hugging Face hub with a one-line error when the hub cannot be reached."""

from __future__ import annotations


def load_hub_split(path: str, config_name: str | None, split: str, key: str = "data.path") -> list[dict]:
    """``key`` is the config key that named ``path``, so the error points at what to change."""
    from datasets import load_dataset

    try:
        return list(load_dataset(path, config_name, split=split))
    except Exception as err:  # datasets raises many types for "offline", "no such repo", "no such split"
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ValueError(
            f"{key}={path}: cannot load split '{split}' from the hub ({reason}); give a local directory or file instead"
        ) from err
