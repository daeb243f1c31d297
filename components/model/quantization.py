"""4-bit (QLoRA) support: the bitsandbytes config and quantizing a model (the capability check: four_bit.py)."""

from __future__ import annotations

import os

import torch


def quantized_device_map() -> dict:
    """bitsandbytes layers must be placed at load time: this process's GPU (LOCAL_RANK under DDP), else CPU."""
    if torch.cuda.is_available():
        return {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return {"": "cpu"}


def bnb_4bit_config(quant_type: str, double_quant: bool, compute_dtype: torch.dtype):
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type=quant_type,
        bnb_4bit_use_double_quant=double_quant,
        bnb_4bit_compute_dtype=compute_dtype,
    )


def quantize_4bit(model, quant_type: str = "nf4", double_quant: bool = True):
    """Re-load an in-memory model through transformers' bitsandbytes path (the same one hub models take)."""
    import tempfile

    from transformers import AutoModelForCausalLM

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        device = quantized_device_map()
        return AutoModelForCausalLM.from_pretrained(
            tmp, quantization_config=bnb_4bit_config(quant_type, double_quant, torch.float32), device_map=device
        )
