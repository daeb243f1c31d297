"""Supervised fine-tuning through TRL's SFTTrainer: a warm start on worked solutions before GRPO.

A model that never writes the right answer gives GRPO nothing to reinforce (every group all-wrong). Training
first on reference solutions a data source provides (its `solution` column: gsm8k's worked answers,
gpt3_arithmetic's column arithmetic) teaches the form; a GRPO run then starts from the saved weights with
`model.model_name_or_path=<this run>/model`. The loss is on the completion only (TRL's prompt-completion
format), so the model learns to answer, not to repeat questions.

Every `trl.SFTConfig` field is a constructor keyword (`train.<field>`). The final model is always saved as a
full checkpoint (a LoRA adapter is merged into its base first), so any loader that takes a model folder can
start from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from components.bounds import check_bounds
from components.training.checkpoints import resolve_resume
from components.training.export_grpo_fields import config_field_defaults, config_field_types
from components.training.grpo import default_bf16
from components.types import LoadedModel, TrainResult


def sft_field_types() -> dict[str, tuple[object, object]]:
    from trl import SFTConfig

    return config_field_types(SFTConfig)


def as_prompt_completion(dataset: Any, column: str) -> Any:
    """Rows with `prompt` (chat messages or text) -> TRL's prompt-completion format, `column` as the completion."""
    if column not in dataset.column_names:
        raise ValueError(
            f"train.completion_column={column}: the training data has no such column (it has "
            f"{', '.join(dataset.column_names)}); sources with worked solutions: gpt3_arithmetic, gsm8k"
        )
    chat = not isinstance(dataset[0]["prompt"], str)

    def to_completion(row: dict) -> dict:
        text = row[column]
        return {"completion": [{"role": "assistant", "content": text}] if chat else text}

    keep = {"prompt", "completion"}
    return dataset.map(to_completion, remove_columns=[c for c in dataset.column_names if c not in keep])


class SFTTrainingLoop:
    # `**sft_args` are trl.SFTConfig fields: config validation checks each `train.<field>` against TRL's type.
    extra_parameters = staticmethod(sft_field_types)

    def __init__(
        self,
        output_dir: str,
        completion_column: str = "solution",
        save_final_model: bool = True,
        tools: Any = None,
        **sft_args: Any,
    ) -> None:
        """tools: injected by the orchestrator like every training loop's; SFT trains on text and must not get any."""
        from trl import SFTConfig

        if tools is not None and tools.enabled:
            raise ValueError("training_loop_component=sft trains on written solutions: set tools_component=none")
        check_bounds("train", sft_args, {k: hint for k, (hint, _) in sft_field_types().items()})
        defaults = config_field_defaults(SFTConfig)
        unknown = sorted(k for k in sft_args if k not in defaults)
        if unknown:
            raise ValueError(f"train.{unknown[0]}: not a trl.SFTConfig field")
        if sft_args.get("bf16") is None:
            sft_args["bf16"] = default_bf16()  # TRL's auto is bf16 where supported; ~14x slower on most CPUs
        changed = {k: v for k, v in sft_args.items() if v != defaults[k]}
        self.output_dir = Path(output_dir)
        self.completion_column, self.save_final_model = completion_column, save_final_model
        self.resume_from = resolve_resume(changed.pop("resume_from_checkpoint", None), self.output_dir)
        try:
            self.args = SFTConfig(output_dir=str(self.output_dir / "checkpoints"), **changed)
        except ValueError as err:
            raise ValueError(f"train: {' '.join(str(err).split())}") from None

    def fit(self, loaded: LoadedModel, train_dataset: Any, reward: Any, callbacks: list[Any]) -> TrainResult:
        """`reward` is not used to train (SFT imitates the solutions); the evaluations around the fit grade with it."""
        from trl import SFTTrainer

        trainer = SFTTrainer(
            model=loaded.model,
            args=self.args,
            train_dataset=as_prompt_completion(train_dataset, self.completion_column),
            processing_class=loaded.tokenizer,
            peft_config=loaded.peft_config,
            callbacks=[c for c in callbacks if c is not None],
        )
        output = trainer.train(resume_from_checkpoint=str(self.resume_from) if self.resume_from else None)
        saved_to = ""
        if self.save_final_model:
            saved_to = str(self.output_dir / "model")
            model = trainer.model
            # A full checkpoint, LoRA merged: GRPO (or any loader of a model folder) starts from it as it is.
            to_save = model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
            if trainer.is_world_process_zero():
                to_save.save_pretrained(saved_to)
                loaded.tokenizer.save_pretrained(saved_to)
            model = to_save
        else:
            model = trainer.model
        return TrainResult(model, trainer.state.global_step, dict(output.metrics), saved_to)
