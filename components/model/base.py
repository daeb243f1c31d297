"""Model component interface: build a causal LM and its tokenizer, and describe it without loading it.

The orchestrator calls `load()`; the memory preflight (components/training/memory_estimate.py) reads the rest
before any weights load, so a new model component states its architecture, dtype, LoRA and quantization here.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from components.model.lora import LoraSettings
from components.types import LoadedModel


@runtime_checkable
class ModelComponent(Protocol):
    lora: LoraSettings  # the adapter TRL wraps the model with (`lora.enabled=false`: full fine-tuning)
    load_in_4bit: bool  # QLoRA: the base weights load 4-bit quantized (bitsandbytes)
    gradient_checkpointing: bool
    dtype: Any  # torch.dtype the weights load in

    def hf_config(self) -> Any:
        """The `transformers.PretrainedConfig` `load()` will build, without its weights (no download of them)."""
        ...

    def load(self) -> LoadedModel:
        """Load (or build) the model and tokenizer; the tokenizer pads on the left for batched generation."""
        ...
