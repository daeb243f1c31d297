"""mode=export: a finished run as a plain transformers model folder, with a model card, loadable anywhere.

Run: python run_pipeline.py mode=export export.run_dir=outputs/DATE/TIME export.output_dir=exported/my-model
     python run_pipeline.py mode=export export.run_dir=... export.output_dir=... export.model_subdir=best_model
The LoRA adapter is merged into its base weights (peft merge_and_unload); a 4-bit (QLoRA) run's base is loaded
de-quantized in `export.dtype` and the adapter merged into that. The folder holds safetensors weights, the
tokenizer with the chat template the run used, the generation config, README.md (the model card, from the run's
own files: components/modes/model_card.py) and export.json (what was exported from where).
`AutoModelForCausalLM.from_pretrained(folder)` loads it with nothing of this project installed; `python -m serve
model.model_name_or_path=<folder>` serves it; `export.push_to_hub=<owner/name>` uploads it (needs the Hub).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from omegaconf import DictConfig, OmegaConf, open_dict

from components.model.finished_run import FinishedRun
from components.modes import model_card
from components.paths import command_path
from components.runtime import build

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportSettings:
    """The `export:` section of conf/config.yaml; config validation checks its keys against these types."""

    run_dir: str | None = None  # a finished training run
    output_dir: str | None = None  # a new (or empty) folder: an export never overwrites files
    model_subdir: Literal["model", "best_model"] = "model"  # final weights, or the best probe checkpoint
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"  # saved weights; a 4-bit run is de-quantized into it
    push_to_hub: str | None = None  # a Hub repo id (owner/name) to upload the folder to; null = local only
    private: bool = True  # a repo push_to_hub creates is private


def check(section: ExportSettings) -> None:
    """Config-time checks (components/validation.py calls this): a finished run in, a new folder out."""
    if not section.run_dir or not section.output_dir:
        raise ValueError("mode=export needs export.run_dir=<finished run> and export.output_dir=<new folder>")
    run = FinishedRun(command_path(section.run_dir), section.model_subdir, key="export")
    run.config()
    run.check_weights()
    out = command_path(section.output_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"export.output_dir={section.output_dir}: already holds files (an export never overwrites)")


def dequantized_model_config(model: DictConfig, dtype: str) -> DictConfig:
    """The run's model config with its base weights loaded in full precision (no 4-bit) and in `dtype`."""
    model = OmegaConf.create(OmegaConf.to_container(model, resolve=True))
    with open_dict(model):
        if "load_in_4bit" in model:
            model.load_in_4bit = False
        if "dtype" in model:
            model.dtype = dtype
    return model


def export(section: ExportSettings) -> Path:
    import torch

    check(section)
    run = FinishedRun(command_path(section.run_dir), section.model_subdir, key="export")
    config = run.config()
    loaded = run.load(build(dequantized_model_config(config.model, section.dtype)), merge_adapter=True)
    model = loaded.model.to(getattr(torch, section.dtype))
    merged = (run.weights / "adapter_config.json").is_file()
    out = command_path(section.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = loaded.tokenizer
    tokenizer.padding_side = "right"  # the library default for a saved tokenizer; generation code pads as it needs
    tokenizer.save_pretrained(out)
    name = section.push_to_hub or out.name
    (out / "README.md").write_text(model_card.render(run.path, name, section.dtype, merged), encoding="utf-8")
    record = {"run_dir": str(run.path), "weights": str(run.weights), "dtype": section.dtype, "adapter_merged": merged}
    (out / "export.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log.info("Exported %s -> %s (%s)", run.weights, out, section.dtype)
    if section.push_to_hub:
        push(out, section.push_to_hub, section.private)
    return out


def push(folder: Path, repo_id: str, private: bool) -> Any:
    """Upload the folder as a Hub model repo (huggingface_hub; needs network and a token)."""
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        return api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model")
    except Exception as err:  # offline, no token, no rights: the export on disk is kept either way
        raise ValueError(
            f"export.push_to_hub={repo_id}: upload failed ({str(err).splitlines()[0]}); "
            f"the exported folder is kept at {folder}"
        ) from err


def run(cfg: DictConfig) -> dict[str, Any]:
    section = ExportSettings(**(cfg.get("export") or {}))
    out = export(section)
    print(f"export: {out}")
    return {"output_dir": str(out)}
