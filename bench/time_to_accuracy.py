"""Time to accuracy: the default CPU recipe vs TRL's default GRPOConfig (same model, data, reward, LoRA).

    python bench/time_to_accuracy.py --budget 1800                 # full: 30 min of training per arm
    python bench/time_to_accuracy.py --budget 300 --trl-max-steps 2  # reduced: TRL arm measured 2 steps only

Both arms start from the same freshly loaded model and are judged by the same greedy evaluation on the same
held-out prompts (the pipeline's evaluator, eval.max_new_tokens) every --eval-every steps. Only training time
counts: the clock pauses while evaluating. An arm stops when it reaches --target accuracy or when its training
time passes --budget. The pipeline arm is the recipe as configured (conf/, plus any overrides given); the TRL arm
is `GRPOConfig()` with only what CPU needs (use_cpu=True) and the step cap, i.e. TRL's bf16=True,
gradient_checkpointing=True, learning_rate=1e-6, per_device_train_batch_size=8, max_completion_length=512.
With --trl-max-steps the TRL arm is cut short; its time to target is then reported as a lower bound
(budget-free extrapolation: measured seconds/step x steps, stated as such in the output).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import compose, print_machine


def accuracy_clock(evaluate, eval_every: int, target: float, budget: float, log: list):
    """TrainerCallback: training seconds (eval excluded), an evaluation every N steps, stop at target/budget."""
    from transformers import TrainerCallback

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.train_s, self._start = 0.0, None

        def on_step_begin(self, args, state, control, **kwargs):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, model=None, **kwargs):
            self.train_s += time.perf_counter() - self._start
            if state.global_step % eval_every == 0 or self.train_s >= budget:
                acc = evaluate(model)
                log.append({"step": state.global_step, "train_s": round(self.train_s, 1), "accuracy": acc})
                print(f"  step {state.global_step}: train {self.train_s:.0f}s accuracy {acc:.3f}", flush=True)
                if acc >= target or self.train_s >= budget:
                    control.should_training_stop = True

    return Clock()


def run_arm(arm: str, cfg, opts, evaluate, target: float) -> dict:
    from trl import GRPOConfig, GRPOTrainer

    from components.runtime import build, seed_everything

    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    splits = build(cfg.data).load(build(cfg.prompts))
    loaded = build(cfg.model).load()
    log: list = []
    clock = accuracy_clock(
        lambda m: evaluate(m, loaded.tokenizer, reward), opts.eval_every[arm], target, opts.budget, log
    )
    out = tempfile.mkdtemp(prefix=f"bench_tta_{arm}_")
    if arm == "pipeline":
        loop = build(cfg.train, output_dir=out)
        loop.save_final_model = False
        loop.args.max_steps = 10**6  # the clock stops it
        loop.fit(loaded, splits.train, reward, callbacks=[clock])
    else:
        max_steps = opts.trl_max_steps or 10**6
        args = GRPOConfig(
            output_dir=out,
            use_cpu=True,
            report_to="none",
            save_strategy="no",
            max_steps=max_steps,
            seed=cfg.seed,
            reward_weights=list(reward.weights),
        )
        trainer = GRPOTrainer(
            model=loaded.model,
            reward_funcs=list(reward.funcs),
            args=args,
            train_dataset=splits.train,
            processing_class=loaded.tokenizer,
            peft_config=loaded.peft_config,
            callbacks=[clock],
        )
        trainer.train()
    reached = next((row for row in log if row["accuracy"] >= target), None)
    steps = log[-1]["step"] if log else 0
    return {
        "trajectory": log,
        "reached": reached,
        "train_s": clock.train_s,
        "steps": steps,
        "s_per_step": clock.train_s / max(1, steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=1800, help="training seconds per arm before giving up")
    parser.add_argument("--target", type=float, default=None, help="held-out accuracy; default baseline + 0.10")
    parser.add_argument("--eval-samples", type=int, default=32)
    parser.add_argument("--eval-every-pipeline", type=int, default=5)
    parser.add_argument("--eval-every-trl", type=int, default=1)
    parser.add_argument("--trl-max-steps", type=int, default=None, help="cut the TRL arm short (see docstring)")
    parser.add_argument("--arms", nargs="+", default=["pipeline", "trl_default"])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides (both arms' model/data/reward; pipeline's train)")
    opts = parser.parse_args()
    opts.eval_every = {"pipeline": opts.eval_every_pipeline, "trl_default": opts.eval_every_trl}

    from components.runtime import build

    result = {"machine_before": print_machine(), "budget_s": opts.budget, "overrides": opts.overrides}
    cfg = compose([f"data.num_eval={opts.eval_samples}", *opts.overrides])
    if "preflight" in cfg.train:  # the early-stop guard would end a low-baseline run before the clock does
        cfg.train.preflight = False
    evaluator = build(cfg.eval)
    eval_ds = build(cfg.data).load(build(cfg.prompts)).eval

    def evaluate(model, tokenizer, reward) -> float:
        return evaluator.evaluate(model, tokenizer, eval_ds, reward).metrics["accuracy"]

    loaded = build(cfg.model).load()
    baseline = evaluate(loaded.model, loaded.tokenizer, build(cfg.reward))
    del loaded
    target = opts.target if opts.target is not None else round(baseline + 0.10, 3)
    result.update(baseline_accuracy=baseline, target_accuracy=target)
    print(f"baseline accuracy {baseline:.3f}; target {target:.3f}; budget {opts.budget:.0f}s per arm", flush=True)
    for arm in opts.arms:
        print(f"arm {arm}:", flush=True)
        result[arm] = run_arm(arm, cfg, opts, evaluate, target)
        row = result[arm]
        when = (
            f"{row['reached']['train_s']}s (step {row['reached']['step']})"
            if row["reached"]
            else f"not within {row['train_s']:.0f}s"
        )
        print(f"arm {arm}: {row['steps']} steps, {row['s_per_step']:.1f} s/step, target reached: {when}", flush=True)
    p, t = result.get("pipeline"), result.get("trl_default")
    if p and t and p["reached"]:
        if t["reached"]:
            result["speedup"] = t["reached"]["train_s"] / p["reached"]["train_s"]
            print(f"time-to-target ratio TRL default / pipeline = {result['speedup']:.2f}x (target >= 2x)")
        else:
            bound = max(t["train_s"], opts.budget if not opts.trl_max_steps else t["train_s"])
            result["speedup_lower_bound"] = bound / p["reached"]["train_s"]
            print(
                f"TRL default did not reach the target in {t['train_s']:.0f}s measured "
                f"({t['steps']} steps at {t['s_per_step']:.1f} s/step): speedup >= {result['speedup_lower_bound']:.1f}x"
            )
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
