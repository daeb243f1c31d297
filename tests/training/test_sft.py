"""The SFT warm start: TRL's SFTTrainer on a data source's worked solutions, loss on the completion only, saved
as a full model folder that a GRPO run (any model-folder loader) starts from."""

from __future__ import annotations

import json

import pytest
import torch

from components.data.prompts import PromptBuilder
from components.model.hf import HFCausalLM
from components.model.tiny_random import TinyRandomLM
from components.training.sft import SFTTrainingLoop, as_prompt_completion
from tests.conftest import run_pipeline


def rows(n: int = 16) -> list[dict]:
    return [
        {"question": f"What is {i} plus 2?", "answer": str(i + 2), "solution": f"{i}+2={i + 2}\nAnswer: {i + 2}"}
        for i in range(n)
    ]


def dataset(prompts: PromptBuilder):
    from datasets import Dataset

    return Dataset.from_list([{"prompt": prompts.build(r["question"]), **r} for r in rows()])


def test_rows_become_trls_prompt_completion_format() -> None:
    chat = as_prompt_completion(dataset(PromptBuilder(system_prompt="s")), "solution")
    assert chat.column_names == ["prompt", "completion"]
    assert chat[0]["completion"] == [{"role": "assistant", "content": "0+2=2\nAnswer: 2"}]
    assert chat[0]["prompt"][-1] == {"role": "user", "content": "What is 0 plus 2?"}
    plain = as_prompt_completion(dataset(PromptBuilder(chat=False)), "solution")
    assert plain[1]["completion"] == "1+2=3\nAnswer: 3"
    with pytest.raises(ValueError, match="train.completion_column=steps: the training data has no such column"):
        as_prompt_completion(dataset(PromptBuilder()), "steps")


def test_unknown_fields_and_tools_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="train.num_generations: not a trl.SFTConfig field"):
        SFTTrainingLoop(output_dir=str(tmp_path), num_generations=8)

    class Tools:
        enabled = True

    with pytest.raises(ValueError, match="set tools_component=none"):
        SFTTrainingLoop(output_dir=str(tmp_path), tools=Tools())
    assert SFTTrainingLoop(output_dir=str(tmp_path)).args.bf16 is False  # auto: no bf16 on a CPU


@pytest.mark.parametrize("lora", [True, False])
def test_training_moves_the_weights_and_saves_a_full_model_folder(tmp_path, lora: bool) -> None:
    loaded = TinyRandomLM(lora={"enabled": lora, "r": 4, "alpha": 8}).load()
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    loop = SFTTrainingLoop(
        output_dir=str(tmp_path),
        max_steps=3,
        per_device_train_batch_size=4,
        learning_rate=1e-2,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        max_length=128,
    )
    result = loop.fit(loaded, dataset(PromptBuilder(system_prompt="calc")), reward=None, callbacks=[])
    assert result.global_step == 3 and torch.isfinite(torch.tensor(result.metrics["train_loss"]))
    saved = tmp_path / "model"
    assert (saved / "config.json").is_file() and not (saved / "adapter_config.json").exists()  # LoRA merged
    reloaded = HFCausalLM(model_name_or_path=str(saved), lora={"enabled": True, "r": 4}).load()
    changed = [k for k, v in reloaded.model.state_dict().items() if k in before and not torch.equal(v, before[k])]
    assert changed, "no weight of the saved model differs from the untrained one"
    for name, value in result.model.state_dict().items():  # what evaluation gets is what was saved
        assert torch.equal(value, reloaded.model.state_dict()[name]), name


def test_loss_is_on_the_solution_only(tmp_path) -> None:
    """TRL's completion_only_loss: the prompt's tokens carry no label, the solution's all do."""
    from trl import SFTTrainer

    loaded = TinyRandomLM().load()
    loop = SFTTrainingLoop(output_dir=str(tmp_path), max_steps=1, report_to="none", max_length=128)
    trainer = SFTTrainer(
        model=loaded.model,
        args=loop.args,
        processing_class=loaded.tokenizer,
        train_dataset=as_prompt_completion(dataset(PromptBuilder(system_prompt="calc")), "solution"),
    )
    batch = next(iter(trainer.get_train_dataloader()))
    labelled = batch["labels"][0] != -100
    text = loaded.tokenizer.decode(batch["input_ids"][0][labelled])
    i = int(text.split("+", 1)[0])  # the dataloader shuffles: whichever row came first
    assert text.startswith(f"{i}+2={i + 2}\nAnswer: {i + 2}") and "What is" not in text and "calc" not in text


def test_a_grpo_run_starts_from_the_warm_starts_folder(tmp_path) -> None:
    """Both stages through run_pipeline.py on the tiny model: SFT saves model/, GRPO loads it by path."""
    sft, grpo = tmp_path / "sft", tmp_path / "grpo"
    common = [
        "data.num_train=32",
        "data.num_eval=4",
        "eval.max_new_tokens=8",
        "eval.probe_every_steps=0",
        "eval.budget_check_factor=0",
    ]
    sft_args = [
        "model_component=tiny_random",
        "training_loop_component=sft",
        *common,
        "train.max_steps=2",
        "train.max_length=256",
    ]
    proc = run_pipeline(*sft_args, f"hydra.run.dir={tmp_path / 'no_solutions'}", timeout=300)
    assert proc.returncode == 2 and "train.completion_column=solution: the training data has no such column" in (
        proc.stderr
    )
    proc = run_pipeline(*sft_args, "train.completion_column=answer", f"hydra.run.dir={sft}", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((sft / "summary.json").read_text())["global_step"] == 2
    proc = run_pipeline(
        *common,
        f"model.model_name_or_path={sft / 'model'}",
        "model.lora.r=4",
        "train.max_steps=1",
        "train.per_device_train_batch_size=2",
        "train.num_generations=2",
        "train.max_completion_length=8",
        f"hydra.run.dir={grpo}",
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((grpo / "summary.json").read_text())
    assert summary["global_step"] == 1 and str(sft / "model") in summary["model_source"]
