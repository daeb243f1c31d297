"""RLVR training pipeline entry point: compose the config, build the six components, run the recipe.

python run_pipeline.py                                  # default CPU run (SmolLM2 + LoRA, arithmetic)
python run_pipeline.py model_component=tiny_random train.max_steps=2
python run_pipeline.py -m train.learning_rate=1e-5,3e-5 # Hydra multirun sweep
"""

from __future__ import annotations

import logging
import sys

from components.runtime import choose_openmp_wait_policy

choose_openmp_wait_policy()  # before torch is imported: idle OpenMP threads sleep when cores are shared

import hydra
from omegaconf import DictConfig

from components.cost.base import CostWatcher
from components.data.base import DataComponent, Prompts
from components.distributed import agree_on_run_dir, is_main_process
from components.environments.base import EnvironmentProvider
from components.evaluation.base import Evaluator
from components.evaluation.history import append_eval
from components.model.base import ModelComponent
from components.modes import check_rewards, evaluate, export, score
from components.observer.base import Observer, main_process_only
from components.provenance import write_provenance
from components.report.summary import train_summary
from components.report.writer import write_report
from components.reward.base import RewardComponent
from components.run_files import write_json
from components.runtime import (
    bracket_indices_to_dots,
    build,
    finish_stopped,
    prepare_run_dir,
    resolved_config,
    reuse_eval_before,
    seed_everything,
)
from components.tools.base import ToolProvider
from components.training.base import TrainingLoop
from components.training.memory_estimate import check_memory
from components.types import EvalResult
from components.validation import validate
from serve.drift import write_reference_distribution

log = logging.getLogger("run_pipeline")


def train(cfg: DictConfig) -> float:
    run_dir = prepare_run_dir(cfg.train.get("resume_from_checkpoint"))  # a new dir, or this run's own to resume
    cost: CostWatcher = build(cfg.cost, CostWatcher)  # starts the run's clock
    main = is_main_process()  # rank 0 alone writes files and observer output; every rank trains
    if main:
        write_provenance(run_dir, cfg)
    seed_everything(cfg.seed)
    # Cheap components first, so config errors surface before any model loads.
    reward: RewardComponent = build(cfg.reward, RewardComponent)
    tools: ToolProvider = build(cfg.tools, ToolProvider)  # none = single-turn; else TRL's multi-turn tool loop
    environment: EnvironmentProvider = build(cfg.environment, EnvironmentProvider)  # none = off; TRL's env loop
    with_env = {"environment": environment} if environment.enabled else {}  # components older than the group work
    train_loop: TrainingLoop = build(cfg.train, TrainingLoop, output_dir=str(run_dir), tools=tools, **with_env)
    prompts: Prompts = build(cfg.prompts, Prompts)
    data: DataComponent = build(cfg.data, DataComponent)
    evaluator: Evaluator = build(cfg.eval, Evaluator, tools=tools, **with_env)
    model_component: ModelComponent = build(cfg.model, ModelComponent)
    check_memory(model_component, train_loop.args, enforce=cfg.memory_check)  # stop before loading what cannot fit
    observer: Observer = main_process_only(build(cfg.observer, Observer))
    splits = environment.splits(prompts) if environment.enabled else data.load(prompts)  # it owns its episodes
    loaded = model_component.load()
    cost.watch(loaded.model, reward, evaluator)
    observer.start(run_dir, resolved_config(cfg))
    try:
        before = evaluate_before(run_dir, evaluator, loaded, splits.eval, reward, observer)
        # transformers' Trainer machinery loads only for training (the other modes never import it)
        from components.training.callbacks import ObserverCallback
        from components.training.guards import TrainingStopped

        probe = evaluator.probe(splits.eval, reward, loaded.tokenizer, run_dir, observer)  # eval/... every N steps
        callbacks = [cost, ObserverCallback(observer), probe]
        try:
            result = train_loop.fit(loaded, splits.train, evaluator.recording(reward, run_dir), callbacks=callbacks)
        except TrainingStopped as stop:  # Ctrl-C, non-finite loss, failed preflight: summary.json says which
            finish_stopped(run_dir, stop)
        after = evaluate_after(run_dir, evaluator, result, loaded, splits.eval, reward, observer)
        summary = train_summary(before, after, result, loaded, reward, run_dir)
        summary.update(probe.summary())
        if main:  # more room, same problems: does accuracy hold when the model is not cut off?
            summary.update(evaluator.check_budget(result.model, loaded.tokenizer, splits.eval, reward, after))
        summary.update(cost.summary(summary["accuracy_gain"]))
        write_json(run_dir / "summary.json", summary)
        if main:
            write_report(run_dir)  # before observers close, so they can keep it (MLflow artifact)
        observer.log_summary(summary)
    finally:
        observer.close()
    return summary["accuracy_after"]


def evaluate_before(run_dir, evaluator, loaded, dataset, reward, observer) -> EvalResult:
    """The evaluation before training: read back when a resumed run already did it (and logged it)."""
    before = reuse_eval_before(run_dir)
    if before is None:
        before = evaluator.evaluate(loaded.model, loaded.tokenizer, dataset, reward)
        write_json(run_dir / "eval_before.json", before.metrics)
        observer.log_metrics({f"eval_before/{k}": v for k, v in before.metrics.items()}, step=0)
        observer.log_samples("eval", before.samples, step=0)
        if is_main_process():
            append_eval(run_dir, before.samples, tag="before", step=0)
    return before


def evaluate_after(run_dir, evaluator, result, loaded, dataset, reward, observer) -> EvalResult:
    after = evaluator.evaluate(result.model, loaded.tokenizer, dataset, reward)
    write_json(run_dir / "eval_after.json", after.metrics)
    observer.log_metrics({f"eval/{k}": v for k, v in after.metrics.items()}, step=result.global_step)
    observer.log_samples("eval", after.samples, step=result.global_step)
    if is_main_process():
        write_reference_distribution(run_dir, after.samples, loaded.tokenizer)  # the server's drift baseline
        append_eval(run_dir, after.samples, tag="after", step=result.global_step)
    return after


MODES = dict(train=train, eval=evaluate.run, score=score.run, check_rewards=check_rewards.run, export=export.run)


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    try:
        validate(cfg, MODES)  # every mode: types, ranges, files, names, cross-field rules, before any model loads
        return MODES[cfg.mode](cfg)
    except ValueError as err:  # bad input: one line naming the key, file or field; no traceback
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.argv = agree_on_run_dir(bracket_indices_to_dots(sys.argv))  # one run dir for every rank
    main()
