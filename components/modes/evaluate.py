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
from typing import Any

from omegaconf import DictConfig, open_dict

from components.data.base import DataComponent, Prompts
from components.environments.base import EnvironmentProvider
from components.evaluation.base import Evaluator
from components.evaluation.history import append_eval
from components.model.base import ModelComponent
from components.model.finished_run import FinishedRun
from components.observer.base import Observer
from components.paths import command_path
from components.provenance import write_provenance
from components.report.writer import write_report
from components.reward.base import RewardComponent
from components.run_files import write_json
from components.runtime import build, prepare_run_dir, resolved_config, seed_everything

log = logging.getLogger(__name__)
# tools / environment: a run trained with tools or in environments is evaluated with them
TASK_KEYS = ("data", "prompts", "reward", "tools", "environment")


@dataclass(frozen=True)
class EvalRunSettings:
    """The `eval_run:` section of conf/config.yaml; config validation checks its keys against these types."""

    run_dir: str | None = None  # a finished run dir; null = evaluate this command's model config
    model_subdir: str = "model"  # model = final weights; best_model = the best probe checkpoint
    task_from_run: bool = True  # also take that run's data, prompts, reward; false = this command's


def finished_run(cfg: DictConfig) -> FinishedRun | None:
    """The finished run `eval_run.run_dir` names, or None to evaluate this command's model config as it is."""
    section = EvalRunSettings(**(cfg.get("eval_run") or {}))
    if not section.run_dir:
        return None
    return FinishedRun(command_path(section.run_dir), section.model_subdir, key="eval_run")


def with_run_config(cfg: DictConfig) -> DictConfig:
    """cfg with the finished run's model (and, with task_from_run, its task) config; unchanged without a run dir."""
    run = finished_run(cfg)
    if run is None:
        return cfg
    old = run.config()
    cfg = cfg.copy()
    with open_dict(cfg):
        cfg.model = old.model
        if cfg.eval_run.get("task_from_run", True):
            for key in TASK_KEYS:
                if key in old:  # runs from before the tools/environment groups lack them: this command's (none)
                    cfg[key] = old[key]
    return cfg


def run(cfg: DictConfig) -> dict[str, Any]:
    cfg = with_run_config(cfg)  # validation.validate checked the merged config before this mode started
    run_dir = prepare_run_dir()
    write_provenance(run_dir, cfg)  # config_resolved.yaml = what was really evaluated (the report reads it)
    seed_everything(cfg.seed)
    reward: RewardComponent = build(cfg.reward, RewardComponent)
    prompts: Prompts = build(cfg.prompts, Prompts)
    data: DataComponent = build(cfg.data, DataComponent)
    environment: EnvironmentProvider = build(cfg.environment, EnvironmentProvider)  # none = off
    with_env = {"environment": environment} if environment.enabled else {}  # evaluators older than the group work
    evaluator: Evaluator = build(cfg.eval, Evaluator, tools=build(cfg.tools), **with_env)
    model_component: ModelComponent = build(cfg.model, ModelComponent)
    observer: Observer = build(cfg.observer, Observer)
    splits = environment.splits(prompts) if environment.enabled else data.load(prompts)
    run = finished_run(cfg)  # validate() already checked that its weights are there
    loaded = run.load(model_component) if run is not None else model_component.load()
    observer.start(run_dir, resolved_config(cfg))
    try:
        result = evaluator.evaluate(loaded.model, loaded.tokenizer, splits.eval, reward)
        write_json(run_dir / "eval.json", result.metrics)
        append_eval(run_dir, result.samples, tag="eval", step=0)
        observer.log_metrics({f"eval/{k}": v for k, v in result.metrics.items()}, step=0)
        observer.log_samples("eval", result.samples, step=0)
        summary = {
            **result.metrics,
            "model_source": loaded.source,
            "evaluated_run": cfg.get("eval_run", {}).get("run_dir"),
            "run_dir": str(run_dir),
        }
        write_json(run_dir / "summary.json", summary)
        observer.log_summary(summary)
    finally:
        observer.close()
    write_report(run_dir)
    print(f"eval: accuracy {result.metrics['accuracy']:.4f} on {result.metrics['num_samples']} problems -> {run_dir}")
    return summary
