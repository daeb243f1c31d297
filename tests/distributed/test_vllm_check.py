"""train.use_vllm without vLLM installed fails at build time, in one line that names the fix."""

from __future__ import annotations

import importlib.util

import pytest

from components.runtime import build
from components.training.vllm_check import check_vllm
from tests.conftest import compose


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_use_vllm_without_vllm_stops_at_build() -> None:
    cfg = compose(["model_component=tiny_random", "train.use_vllm=true"])
    with pytest.raises(ValueError, match="train.use_vllm=true but vllm is not installed: .*make vllm"):
        build(cfg.train, output_dir="/tmp/unused")


def test_bad_vllm_mode_names_the_choices() -> None:
    with pytest.raises(ValueError, match="train.vllm_mode=colo: choose one of colocate, server"):
        check_vllm(True, "colo")


def test_vllm_off_needs_nothing() -> None:
    check_vllm(False, "colo")


def test_server_mode_fields_are_train_keys() -> None:
    cfg = compose(["train.vllm_mode=server", "train.vllm_server_host=10.0.0.5", "train.vllm_server_port=8001"])
    assert (cfg.train.vllm_mode, cfg.train.vllm_server_host, cfg.train.vllm_server_port) == ("server", "10.0.0.5", 8001)
