"""Framework overhead: the pipeline's GRPO steps vs a bare TRL GRPOTrainer script, interleaved in one process.

    python bench/overhead.py                       # tiny random model (overhead is largest relative to work)
    python bench/overhead.py --model smollm2 --rounds 2 --steps 3

Both arms train the same model (freshly loaded each round), on the same dataset, with the same reward functions
and an identical GRPOConfig, so generations and work are the same: the bare arm takes the GRPOConfig that the
pipeline's training loop builds from the composed `train` section (one derivation: a new field or a changed
default reaches both arms), and every bare fit after a pipeline fit is checked against the config that fit
trained with, field by field (tests/bench/test_overhead.py runs it on the tiny model). The pipeline arm is
built exactly as run_pipeline.train builds it (hydra config -> components, cost tracker wrapping generate and
the rewards, observer bridge, probe and completion recorder); the bare arm is plain `GRPOTrainer(...).train()`.
Arms alternate ABBA across rounds to cancel drift in machine load; the first step of every fit is dropped
(warm-up). Printed: median step time per arm and the ratio pipeline / bare, for TRL's `step_time` (generation +
forward/backward) and for wall time step-end to step-end (everything, callbacks and optimizer included).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from common import TINY, compose, median, print_machine, step_timer


def overrides_for(model: str, steps: int, extra: list[str]) -> list[str]:
    base = TINY if model == "tiny" else ["model_component=smollm2_135m"]
    return base + [f"train.max_steps={steps}", "train.save_final_model=false", "data.num_eval=16", *extra]


def pipeline_arm(cfg, timer) -> None:
    """run_pipeline.train's build-and-fit path, minus the before/after evaluations (not GRPO steps)."""
    from components.runtime import build, resolved_config, seed_everything
    from components.training.callbacks import ObserverCallback

    run_dir = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    cost = build(cfg.cost)
    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    train_loop = build(cfg.train, output_dir=str(run_dir))
    prompts, data, evaluator = build(cfg.prompts), build(cfg.data), build(cfg.eval)
    model_component, observer = build(cfg.model), build(cfg.observer)
    splits = data.load(prompts)
    loaded = model_component.load()
    cost.watch(loaded.model, reward, evaluator)
    observer.start(run_dir, resolved_config(cfg))
    callbacks = [cost, ObserverCallback(observer)]
    if hasattr(evaluator, "probe") and evaluator.probe_every_steps:
        callbacks.append(evaluator.probe(splits.eval, reward, loaded.tokenizer, run_dir, observer))
    train_reward = evaluator.recording(reward, run_dir) if hasattr(evaluator, "recording") else reward
    try:
        train_loop.fit(loaded, splits.train, train_reward, callbacks=[*callbacks, timer])
    finally:
        observer.close()
    return train_loop.args


def bare_model(cfg):
    """(model, tokenizer, peft config) loaded with transformers and peft directly, as a TRL-only script does."""
    import torch
    from hydra.utils import instantiate

    if cfg.model._target_.endswith("TinyRandomLM"):
        loaded = instantiate(cfg.model).load()
        return loaded.model, loaded.tokenizer, loaded.peft_config
    from omegaconf import OmegaConf
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from components.model.lora import lora_settings
    from components.model.sources import resolve_source  # GGUF -> converted checkpoint dir (cached)

    source = resolve_source(cfg.model.model_name_or_path, cfg.model.gguf_file, cfg.model.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(source, padding_side="left")
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    # The pipeline's own LoraConfig (a hand-built copy would drift from model.lora, as the GRPOConfig copy did)
    peft_config = lora_settings(OmegaConf.to_container(cfg.model.lora, resolve=True)).to_peft_config()
    return model, tokenizer, peft_config


def grpo_config(cfg, reward_weights: list[float]):
    """The GRPOConfig the pipeline trains with, built by its own training loop from the same `train` section
    (a hand-written copy of its fields drifted: cache_implementation); only the output dir is this arm's."""
    from components.runtime import build

    args = build(cfg.train, output_dir=tempfile.mkdtemp(prefix="bench_bare_")).args
    args.reward_weights = reward_weights  # as the loop's fit() sets them from the reward set
    return args


def bare_arm(cfg, timer, pipeline_args=None):
    """What a user writes with TRL alone: load, GRPOConfig, GRPOTrainer, train."""
    from hydra.utils import instantiate
    from transformers import set_seed
    from trl import GRPOTrainer

    set_seed(cfg.seed)
    reward = instantiate(cfg.reward)  # the same reward functions, unwrapped
    splits = instantiate(cfg.data).load(instantiate(cfg.prompts))  # the same rows
    model, tokenizer, peft_config = bare_model(cfg)
    args = grpo_config(cfg, list(reward.weights))
    if pipeline_args is not None:
        check_identical(args, pipeline_args)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=list(reward.funcs),
        args=args,
        train_dataset=splits.train,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[timer],
    )
    trainer.train()


PATH_FIELDS = {"output_dir", "logging_dir", "run_name"}


def check_identical(bare, pipeline) -> None:
    """The comparison is only fair if every GRPOConfig field matches; name the first that does not."""
    a, b = bare.to_dict(), pipeline.to_dict()
    diff = [k for k in sorted(set(a) | set(b)) if k not in PATH_FIELDS and a.get(k) != b.get(k)]
    if diff:
        k = diff[0]
        raise ValueError(f"GRPOConfig differs at {k}: bare={a.get(k)!r} pipeline={b.get(k)!r} ({len(diff)} fields)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["tiny", "smollm2"], default="tiny")
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds; each arm runs once per round")
    parser.add_argument("--steps", type=int, default=6, help="optimizer steps per fit (the first is dropped)")
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON here")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides applied to both arms")
    opts = parser.parse_args()
    before = print_machine()
    cfg = compose(overrides_for(opts.model, opts.steps, opts.overrides))
    times = {"pipeline": {"wall": [], "trl": []}, "bare": {"wall": [], "trl": []}}
    pipeline_args = None
    for r in range(opts.rounds):
        order = ["pipeline", "bare"] if r % 2 == 0 else ["bare", "pipeline"]
        for arm in order:
            timer = step_timer()
            if arm == "pipeline":
                pipeline_args = pipeline_arm(cfg, timer)
            else:
                bare_arm(cfg, timer, pipeline_args)
            times[arm]["wall"] += timer.wall[1:]
            times[arm]["trl"] += timer.trl[1:]
            print(
                f"round {r} {arm}: wall {[round(x, 3) for x in timer.wall]} trl {[round(x, 3) for x in timer.trl]}",
                flush=True,
            )
    result = {"model": opts.model, "rounds": opts.rounds, "steps_per_fit": opts.steps, "machine_before": before}
    for kind in ("trl", "wall"):
        p, b = median(times["pipeline"][kind]), median(times["bare"][kind])
        result[kind] = {"pipeline_median_s": p, "bare_median_s": b, "ratio": p / b, "n": len(times["bare"][kind])}
        print(f"{kind:5s} step time: pipeline {p:.4f}s  bare {b:.4f}s  ratio {p / b:.3f}  (target <= 1.03)")
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
