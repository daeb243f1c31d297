"""Any causal LM transformers can load: hub id, local checkpoint, or GGUF (see sources.py)."""

from __future__ import annotations

import logging

import torch

from components.model.four_bit import check_4bit_supported
from components.model.lora import LoraSettings, lora_settings
from components.model.quantization import bnb_4bit_config, quantized_device_map
from components.model.sources import gguf_source, resolve_source
from components.model.tokenizer_setup import prepare_tokenizer
from components.types import LoadedModel

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(name: str) -> torch.dtype:
    """`auto`: bf16 where the GPU has native bf16 matmuls, fp32 otherwise (bf16 on most CPUs is ~14x slower)."""
    if name == "auto":
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if name not in DTYPES:
        raise ValueError(f"model.dtype={name}: choose one of auto, {', '.join(DTYPES)}")
    return DTYPES[name]


class HFCausalLM:
    def __init__(
        self,
        model_name_or_path: str,
        gguf_file: str | None = None,
        revision: str | None = None,
        dtype: str = "auto",
        gradient_checkpointing: bool = False,
        attn_implementation: str | None = None,
        trust_remote_code: bool = False,
        load_in_4bit: bool = False,
        bnb_4bit_quant_type: str = "nf4",
        bnb_4bit_use_double_quant: bool = True,
        bnb_4bit_compute_dtype: str = "auto",
        lora: dict | LoraSettings | None = None,
        cache_dir: str | None = None,
    ) -> None:
        if not model_name_or_path:
            raise ValueError("model.model_name_or_path is empty: give a hub id, a local directory or a .gguf file")
        gguf_source(model_name_or_path, gguf_file)  # local paths and packages are checked before anything loads
        self.model_name_or_path = model_name_or_path
        self.gguf_file = gguf_file
        self.revision = revision
        self.dtype = resolve_dtype(dtype)
        self.gradient_checkpointing = gradient_checkpointing
        self.attn_implementation = attn_implementation
        self.trust_remote_code = trust_remote_code
        self.load_in_4bit = load_in_4bit
        self.bnb_4bit_quant_type = bnb_4bit_quant_type
        self.bnb_4bit_use_double_quant = bnb_4bit_use_double_quant
        self.bnb_4bit_compute_dtype = resolve_dtype(bnb_4bit_compute_dtype)
        self.lora = lora_settings(lora)
        self.cache_dir = cache_dir
        if load_in_4bit:
            check_4bit_supported(self.lora.enabled)  # before any weights load

    def hf_config(self):
        """The checkpoint's transformers config (config.json only; no weights)."""
        from transformers import AutoConfig

        source = resolve_source(self.model_name_or_path, self.gguf_file, self.cache_dir)
        return AutoConfig.from_pretrained(source, revision=self.revision, trust_remote_code=self.trust_remote_code)

    def load(self) -> LoadedModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source = resolve_source(self.model_name_or_path, self.gguf_file, self.cache_dir)
        kwargs = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        except OSError as err:  # hub unreachable, unknown repo, gated model...
            raise ValueError(
                f"model.model_name_or_path={self.model_name_or_path}: cannot load ({first_line(err)})"
            ) from err
        model_kwargs = dict(kwargs, dtype=self.dtype)
        if self.attn_implementation:
            model_kwargs["attn_implementation"] = self.attn_implementation
        if self.load_in_4bit:
            model_kwargs["quantization_config"] = bnb_4bit_config(
                self.bnb_4bit_quant_type, self.bnb_4bit_use_double_quant, self.bnb_4bit_compute_dtype
            )
            model_kwargs["device_map"] = quantized_device_map()
        model = AutoModelForCausalLM.from_pretrained(source, **model_kwargs)
        if self.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        model.config.use_cache = not self.gradient_checkpointing
        log.info("Loaded %s (%s, %.1fM params)", source, self.dtype, sum(p.numel() for p in model.parameters()) / 1e6)
        return LoadedModel(model, prepare_tokenizer(tokenizer), self.lora.to_peft_config(), source)


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
