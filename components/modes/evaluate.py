"""mode=eval: evaluate a model without training, into a new Hydra run dir (eval.json, summary.json, report).

Run: python run_pipeline.py mode=eval model_component=tiny_random             # any model option
     python run_pipeline.py mode=eval eval_run.run_dir=outputs/DATE/TIME       # a finished training run
     python run_pipeline.py mode=eval data_component=gsm8k data.path=../shared/data/gsm8k reward_component=gsm8k \
         prompts=gsm8k data.max_eval_samples=50 evaluation_component=sampled
With eval_run.run_dir, the base model config comes from <run_dir>/.hydra/config.yaml and the weights from
<run_dir>/<eval_run.model_subdir> (a LoRA adapter or a full checkpoint); eval_run.task_from_run=true also
takes that run's data, prompts, reward and completion budget, false keeps this command's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from components.evaluation.history import append_eval
from components.provenance import write_provenance
from components.report.writer import write_report
from components.runtime import build, prepare_run_dir, resolved_config, seed_everything, write_json

log = logging.getLogger(__name__)
TASK_KEYS = ("data", "prompts", "reward", "tools")  # tools: a run trained with tools is evaluated with them


@dataclass(frozen=True)
class EvalRunSettings:
    """The `eval_run:` section of conf/config.yaml; config validation checks its keys against these types."""

    run_dir: str | None = None  # a finished run dir; null = evaluate this command's model config
    model_subdir: str = "model"  # model = final weights; best_model = the best probe checkpoint
    task_from_run: bool = True  # also take that run's data, prompts, reward; false = this command's


def _abs(path: str) -> Path:
    from hydra.utils import to_absolute_path

    return Path(to_absolute_path(str(path)))


def with_run_config(cfg: DictConfig) -> DictConfig:
    """cfg with the finished run's model (and, with task_from_run, its task) config; unchanged without a run dir."""
    section = cfg.get("eval_run") or {}
    if not section.get("run_dir"):
        return cfg
    run_dir = _abs(section.run_dir)
    saved = run_dir / ".hydra" / "config.yaml"
    if not saved.is_file():
        raise ValueError(f"eval_run.run_dir={section.run_dir}: no .hydra/config.yaml there; is it a finished run dir?")
    old = OmegaConf.load(saved)
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.model = old.model
        if section.get("task_from_run", True):
            for key in TASK_KEYS:
                if key in old:  # runs from before the tools group have no `tools`: this command's (none)
                    cfg[key] = old[key]
    return cfg


def load_weights(loaded: Any, cfg: DictConfig) -> Any:
    """The base LoadedModel, with the finished run's adapter (or full checkpoint) in place of its weights."""
    section = cfg.get("eval_run") or {}
    if not section.get("run_dir"):
        return loaded
    weights = _abs(section.run_dir) / section.get("model_subdir", "model")
    if (weights / "adapter_config.json").is_file():
        from peft import PeftModel

        # Merged: no training follows, and a plain model generates faster than base + adapter layers.
        model = PeftModel.from_pretrained(loaded.model, str(weights)).merge_and_unload()
    elif (weights / "config.json").is_file():
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(str(weights), dtype=loaded.model.dtype)
    else:
        raise ValueError(f"eval_run.model_subdir: {weights} holds neither adapter_config.json nor config.json")
    log.info("Loaded trained weights from %s", weights)
    return type(loaded)(model, loaded.tokenizer, None, f"{loaded.source} + {weights}")


def run(cfg: DictConfig) -> dict[str, Any]:
    from components.validation import validate

    merged = with_run_config(cfg)
    if merged is not cfg:  # the finished run's model (and task) replaced this command's: check them too
        validate(merged)
    cfg = merged
    run_dir = prepare_run_dir()
    write_provenance(run_dir, cfg)  # config_resolved.yaml = what was really evaluated (the report reads it)
    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    prompts = build(cfg.prompts)
    data = build(cfg.data)
    evaluator = build(cfg.eval, tools=build(cfg.tools))
    model_component = build(cfg.model)
    observer = build(cfg.observer)
    splits = data.load(prompts)
    loaded = load_weights(model_component.load(), cfg)
    observer.start(run_dir, resolved_config(cfg))
    try:
        result = evaluator.evaluate(loaded.model, loaded.tokenizer, splits.eval, reward)
        write_json(run_dir / "eval.json", result.metrics)
        append_eval(run_dir, result.samples, tag="eval", step=0)
        observer.log_metrics({f"eval/{k}": v for k, v in result.metrics.items()}, step=0)
        observer.log_samples("eval", result.samples, step=0)
        summary = {**result.metrics, "model_source": loaded.source, "evaluated_run": cfg.get("eval_run", {}).get("run_dir"),
                   "run_dir": str(run_dir)}
        write_json(run_dir / "summary.json", summary)
        observer.log_summary(summary)
    finally:
        observer.close()
    write_report(run_dir)
    print(f"eval: accuracy {result.metrics['accuracy']:.4f} on {result.metrics['num_samples']} problems -> {run_dir}")
    return summary
