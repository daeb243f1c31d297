"""A finished training run's model: its saved config and its weights, as `mode=eval` and the server load them.

    run = FinishedRun("outputs/2025-01-01/12-00-00")            # model_subdir="best_model" for the probe's best
    run.config()                                                 # its .hydra/config.yaml (model, data, reward, ...)
    loaded = run.load(build(run.config().model))                 # LoadedModel with the trained weights

The weights dir holds a LoRA adapter (`adapter_config.json`, loaded onto the base model the run's model
component builds, merged by default: no training follows, and plain Linear layers generate faster) or a full
checkpoint (`config.json`, loaded in the model component's dtype). The tokenizer is the one the run saved beside
the weights, else the base model's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from components.model.tokenizer_setup import prepare_tokenizer
from components.types import LoadedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinishedRun:
    run_dir: Path | str
    model_subdir: str = "model"  # model = final weights; best_model = the best probe checkpoint
    key: str = "eval_run"  # the config section that named it, for error messages (eval_run, serve)
    subdir_is_a_key: bool = True  # `<key>.model_subdir` is a config key (eval_run); serve always reads model/

    @property
    def path(self) -> Path:
        return Path(self.run_dir).expanduser().resolve()

    @property
    def weights(self) -> Path:
        return self.path / self.model_subdir

    def config(self) -> DictConfig:
        """The run's own composed config; a one-line error when the dir is not a finished run."""
        saved = self.path / ".hydra" / "config.yaml"
        if not saved.is_file():
            raise ValueError(f"{self.key}.run_dir={self.run_dir}: no .hydra/config.yaml there (not a finished run dir)")
        return OmegaConf.load(saved)

    def check_weights(self) -> Path:
        if not ((self.weights / "adapter_config.json").is_file() or (self.weights / "config.json").is_file()):
            where = (
                f"{self.key}.model_subdir={self.model_subdir}"
                if self.subdir_is_a_key
                else f"{self.key}.run_dir={self.run_dir}"
            )
            raise ValueError(
                f"{where}: {self.weights} holds neither adapter_config.json nor config.json "
                "(the run saved no model there)"
            )
        return self.weights

    def load(self, model_component: Any, merge_adapter: bool = True) -> LoadedModel:
        """The trained model: the run's adapter on the base model `model_component` builds, or its full checkpoint."""
        weights = self.check_weights()
        base = None
        if (weights / "adapter_config.json").is_file():
            from peft import PeftModel

            base = model_component.load()
            model = PeftModel.from_pretrained(base.model, str(weights))
            if merge_adapter:
                model = model.merge_and_unload()
            source = f"{weights} (adapter{' merged' if merge_adapter else ''} on {base.source})"
        else:
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained(str(weights), dtype=model_component.dtype)
            source = str(weights)
        log.info("Loaded trained weights from %s", weights)
        return LoadedModel(model, self._tokenizer(base, model_component), None, source)

    def _tokenizer(self, base: LoadedModel | None, model_component: Any) -> Any:
        if (self.weights / "tokenizer_config.json").is_file():
            from transformers import AutoTokenizer

            return prepare_tokenizer(AutoTokenizer.from_pretrained(str(self.weights)))
        return (base or model_component.load()).tokenizer
