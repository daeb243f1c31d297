"""LoRA settings shared by every model component.

The model component only *describes* the adapter (a `peft.LoraConfig`); TRL's GRPOTrainer wraps the model
with it, which is the path TRL documents and tests (it also sets up QLoRA dtypes and the reference adapter).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from components.bounds import Ge, Gt, Interval, check_fields


@dataclass
class LoraSettings:
    enabled: bool = True
    r: Annotated[int, Ge(1)] = 16
    alpha: Annotated[int, Gt(0)] = 32
    dropout: Annotated[float, Interval(ge=0, lt=1)] = 0.05
    # "all-linear" is peft's shortcut for every linear layer except the output head (QLoRA paper's recipe).
    target_modules: str | list[str] = "all-linear"
    bias: str = "none"
    use_rslora: bool = False

    def __post_init__(self) -> None:
        check_fields(self, "model.lora")

    def to_peft_config(self):
        if not self.enabled:
            return None
        from peft import LoraConfig

        targets = self.target_modules if isinstance(self.target_modules, str) else list(self.target_modules)
        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=targets,
            bias=self.bias,
            use_rslora=self.use_rslora,
            task_type="CAUSAL_LM",
        )


def lora_settings(lora: dict | LoraSettings | None) -> LoraSettings:
    """Hydra hands nested config over as a DictConfig; accept that, a plain dict, or None (the defaults)."""
    if isinstance(lora, LoraSettings):
        return lora
    if lora is None:
        return LoraSettings()
    return LoraSettings(
        **{k: (list(v) if k == "target_modules" and not isinstance(v, str) else v) for k, v in dict(lora).items()}
    )
