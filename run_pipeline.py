"""RLVR training pipeline entry point: compose the config, build the six components, run the recipe.

    python run_pipeline.py                                  # default CPU run (SmolLM2 + LoRA, arithmetic)
    python run_pipeline.py model_component=tiny_random train.max_steps=2
    python run_pipeline.py -m train.learning_rate=1e-5,3e-5 # Hydra multirun sweep
"""

from __future__ import annotations

import logging
import sys

import hydra
from omegaconf import DictConfig

from components.provenance import write_provenance
from components.modes import check_rewards, score
from components.runtime import bracket_indices_to_dots, build, prepare_run_dir, resolved_config, seed_everything, write_json

log = logging.getLogger("run_pipeline")


def train(cfg: DictConfig) -> float:
    run_dir = prepare_run_dir()
    cost = build(cfg.cost)  # starts the run's clock
    write_provenance(run_dir, cfg)
    seed_everything(cfg.seed)
    # Cheap components first, so config errors surface before any model loads.
    reward = build(cfg.reward)
    train_loop = build(cfg.train, output_dir=str(run_dir))
    prompts = build(cfg.prompts)
    data = build(cfg.data)
    evaluator = build(cfg.eval)
    model_component = build(cfg.model)
    observer = build(cfg.observer)
    splits = data.load(prompts)
    loaded = model_component.load()
    cost.watch(loaded.model, reward, evaluator)
    observer.start(run_dir, resolved_config(cfg))
    try:
        before = evaluator.evaluate(loaded.model, loaded.tokenizer, splits.eval, reward)
        write_json(run_dir / "eval_before.json", before.metrics)
        observer.log_metrics({f"eval_before/{k}": v for k, v in before.metrics.items()}, step=0)
        observer.log_samples("eval", before.samples, step=0)

        from components.training.callbacks import ObserverCallback

        result = train_loop.fit(loaded, splits.train, reward, callbacks=[cost, ObserverCallback(observer)])
        after = evaluator.evaluate(result.model, loaded.tokenizer, splits.eval, reward)
        write_json(run_dir / "eval_after.json", after.metrics)
        observer.log_metrics({f"eval/{k}": v for k, v in after.metrics.items()}, step=result.global_step)
        observer.log_samples("eval", after.samples, step=result.global_step)

        summary = {
            "accuracy_before": before.metrics["accuracy"],
            "accuracy_after": after.metrics["accuracy"],
            "accuracy_gain": after.metrics["accuracy"] - before.metrics["accuracy"],
            "mean_reward_before": before.metrics["mean_reward"],
            "mean_reward_after": after.metrics["mean_reward"],
            "global_step": result.global_step,
            "train_runtime_s": result.metrics.get("train_runtime"),
            "model_source": loaded.source,
            "saved_model": result.saved_to,
            "run_dir": str(run_dir),
        }
        summary.update(cost.summary(summary["accuracy_gain"]))
        write_json(run_dir / "summary.json", summary)
        observer.log_summary(summary)
    finally:
        observer.close()
    return summary["accuracy_after"]


MODES = {"train": train, "score": score.run, "check_rewards": check_rewards.run}


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    try:
        return MODES[cfg.mode](cfg)
    except ValueError as err:  # bad input: one line naming the key, file or field; no traceback
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.argv = bracket_indices_to_dots(sys.argv)
    main()
