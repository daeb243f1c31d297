"""One 4-bit capability check (components/model/four_bit.py): config validation and the model constructors
call the same function, so they refuse the same machines with the same message."""

from __future__ import annotations

import pytest

from components import validation
from components.model import four_bit
from components.model.tiny_random import TinyRandomLM


@pytest.mark.parametrize(
    "version,cuda,lora,expected",
    [
        (None, False, True, "needs bitsandbytes"),
        ("0.44.1", False, True, "on CPU needs bitsandbytes>=0.45 (found 0.44.1)"),
        ("0.45.0", False, False, "trains only LoRA adapters"),
    ],
)
def test_validation_and_the_model_refuse_alike(monkeypatch, version, cuda, lora, expected) -> None:
    monkeypatch.setattr(four_bit, "bnb_version", lambda: version)
    monkeypatch.setattr(four_bit, "has_cuda_device", lambda: cuda)
    with pytest.raises(ValueError) as at_config:
        validation.check_4bit({"load_in_4bit": True, "lora": {"enabled": lora}})
    with pytest.raises(ValueError) as at_build:
        TinyRandomLM(load_in_4bit=True, lora={"enabled": lora})
    assert expected in str(at_config.value)
    assert str(at_config.value) == str(at_build.value)


@pytest.mark.parametrize("version,cuda", [("0.45.0", False), ("0.49.2", False), ("0.44.1", True)])
def test_a_capable_backend_passes(monkeypatch, version, cuda) -> None:
    monkeypatch.setattr(four_bit, "bnb_version", lambda: version)
    monkeypatch.setattr(four_bit, "has_cuda_device", lambda: cuda)
    four_bit.check_4bit_supported()
    validation.check_4bit({"load_in_4bit": True, "lora": {"enabled": True}})
    validation.check_4bit({"load_in_4bit": False, "lora": {"enabled": False}})  # off: nothing to check
