"""A tiny randomly initialised Llama-style model and a tokenizer trained in-process.

No files and no downloads: tests and smoke runs build it in about a second. The tokenizer is a byte-level
BPE trained with `tokenizers` on a small generated corpus, so it can encode any text the pipeline produces.
"""

from __future__ import annotations

import copy
import random
from functools import lru_cache
from typing import Annotated

import torch

from components.bounds import Ge, checked
from components.model.four_bit import check_4bit_supported
from components.model.lora import LoraSettings, lora_settings
from components.model.quantization import quantize_4bit
from components.model.tokenizer_setup import prepare_tokenizer
from components.types import LoadedModel

SPECIAL_TOKENS = ["<|pad|>", "<|bos|>", "<|eos|>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|eos|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _corpus(seed: int = 0, lines: int = 2000) -> list[str]:
    rng = random.Random(seed)
    words = "what is the answer plus minus times of sum total how many has then gives final number".split()
    out = []
    for _ in range(lines):
        a, b = rng.randint(0, 999), rng.randint(0, 999)
        op = rng.choice("+-*")
        out.append(f"What is {a} {op} {b}? The answer is {a + b}. #### {a - b}")
        out.append(" ".join(rng.choice(words) for _ in range(8)) + " <answer> </answer> <think> </think>")
    return out


@lru_cache(maxsize=4)
def build_tokenizer(vocab_size: int = 512):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<|bos|>", eos_token="<|eos|>", pad_token="<|pad|>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


class TinyRandomLM:
    @checked("model")
    def __init__(
        self,
        hidden_size: Annotated[int, Ge(1)] = 64,
        num_layers: Annotated[int, Ge(1)] = 2,
        num_heads: Annotated[int, Ge(1)] = 4,
        intermediate_size: Annotated[int, Ge(1)] = 128,
        vocab_size: Annotated[int, Ge(1)] = 512,
        max_position_embeddings: Annotated[int, Ge(1)] = 1024,
        seed: int = 0,
        gradient_checkpointing: bool = False,
        load_in_4bit: bool = False,
        lora: dict | LoraSettings | None = None,
    ) -> None:
        if hidden_size % num_heads:
            raise ValueError(f"model.hidden_size={hidden_size} must be divisible by model.num_heads={num_heads}")
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.vocab_size = vocab_size
        self.max_position_embeddings = max_position_embeddings
        self.seed = seed
        self.gradient_checkpointing = gradient_checkpointing
        self.lora = lora_settings(lora)
        self.load_in_4bit = load_in_4bit
        if load_in_4bit:
            check_4bit_supported(self.lora.enabled)  # before any weights load

    dtype = torch.float32  # built in float32; nothing to choose

    def hf_config(self):
        """The LlamaConfig `load()` builds (the tokenizer's special tokens included in the vocabulary)."""
        return self._config(prepare_tokenizer(copy.deepcopy(build_tokenizer(self.vocab_size))))

    def _config(self, tokenizer):
        from transformers import LlamaConfig

        return LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_layers,
            num_attention_heads=self.num_heads,
            num_key_value_heads=self.num_heads,
            max_position_embeddings=self.max_position_embeddings,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=True,
        )

    def load(self) -> LoadedModel:
        from transformers import LlamaForCausalLM

        # A fresh copy: the cached tokenizer object must not be mutated by one run and seen by the next.
        tokenizer = prepare_tokenizer(copy.deepcopy(build_tokenizer(self.vocab_size)))
        config = self._config(tokenizer)
        # Seed only the initialisation, leaving the caller's global RNG stream as it was.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = LlamaForCausalLM(config)
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        if self.load_in_4bit:
            model = quantize_4bit(model)
        if self.gradient_checkpointing:
            model.gradient_checkpointing_enable()
        return LoadedModel(model, tokenizer, self.lora.to_peft_config(), source="tiny_random", random_weights=True)
