"""GRPO through TRL: this component only configures and drives `trl.GRPOTrainer`.

Every `trl.GRPOConfig` field is a constructor keyword (and so a `train.<field>` key); the config object is
built in `__init__` so that TRL's own validation, and ours, run before any model loads.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

from components.training.batch_checks import check_batch_geometry
from components.types import LoadedModel, TrainResult

log = logging.getLogger(__name__)


def default_bf16() -> bool:
    # TRL defaults to bf16=True; CPUs without native bf16 matmuls then run a GRPO step ~14x slower.
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


class GRPOTrainingLoop:
    def __init__(self, output_dir: str, save_final_model: bool = True, **grpo_args: Any) -> None:
        from trl import GRPOConfig

        from components.training.export_grpo_fields import grpo_field_defaults

        defaults = grpo_field_defaults()
        unknown = sorted(set(grpo_args) - set(defaults))
        if unknown:
            raise ValueError(f"train.{unknown[0]}: not a trl.GRPOConfig field")
        if grpo_args.get("bf16") is None:
            grpo_args["bf16"] = default_bf16()
        # Only fields that differ from TRL's defaults are passed, so deprecated aliases stay silent.
        changed = {k: v for k, v in grpo_args.items() if v != defaults[k]}
        check_batch_geometry(changed, defaults, world_size=int(os.environ.get("WORLD_SIZE", "1")))
        self.output_dir = Path(output_dir)
        self.save_final_model = save_final_model
        try:
            self.args = GRPOConfig(output_dir=str(self.output_dir / "checkpoints"), **changed)
        except ValueError as err:
            raise ValueError(f"train: {' '.join(str(err).split())}") from None

    def fit(self, loaded: LoadedModel, train_dataset: Any, reward: Any, callbacks: list[Any]) -> TrainResult:
        from trl import GRPOTrainer

        self.args.reward_weights = list(reward.weights)
        trainer = GRPOTrainer(
            model=loaded.model,
            reward_funcs=list(reward.funcs),
            args=self.args,
            train_dataset=train_dataset,
            processing_class=loaded.tokenizer,
            peft_config=loaded.peft_config,
            callbacks=callbacks,
        )
        output = trainer.train(resume_from_checkpoint=self.args.resume_from_checkpoint)
        saved_to = ""
        if self.save_final_model and trainer.is_world_process_zero():
            saved_to = str(self.output_dir / "model")
            trainer.save_model(saved_to)  # the LoRA adapter only, when LoRA is on
            loaded.tokenizer.save_pretrained(saved_to)
        return TrainResult(trainer.model, trainer.state.global_step, dict(output.metrics), saved_to)
