"""Where a GRPO step's time goes (generation / reward / log-prob forward / backward / optimizer / the rest), and
A/B of candidate settings, interleaved so machine noise cancels.

    python bench/profile_step.py                                   # SmolLM2 default recipe, 3 steps
    python bench/profile_step.py --variant default: --variant gc:model.gradient_checkpointing=true
    python bench/profile_step.py --model tiny --torch-profile      # + torch.profiler top ops of the last step
    python bench/profile_step.py --steps 6 --rounds 2 --variant pipeline: \
        --variant trl:train.prune_zero_signal=false,train.merge_lora_for_generation=false,\
train.transpose_weights_for_generation=false,train.truncated_reward_scale=1.0
                                   # this pipeline's trainer vs TRL's GRPOTrainer with the identical GRPOConfig

Each --variant is `name:override,override,...` (Hydra overrides on top of the default recipe). The trainer is
built exactly as components/training/grpo.py builds it (same GRPOConfig, same trainer class: zero-signal pruning
and merged/transposed rollout weights per train.prune_zero_signal / train.merge_lora_for_generation /
train.transpose_weights_for_generation), then its phases are timed by wrapping
the trainer's own methods on the instance (no TRL code changes). The first step of each run is dropped.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import TINY, compose, median, print_machine

PHASES = {
    "generation": "_generate_single_turn",
    "reward": "_calculate_rewards",
    "logprob_forward": "_get_per_token_logps_and_entropies",
}


def timed(fn, bucket: dict, name: str):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[name] += time.perf_counter() - start

    return wrapper


def run_variant(base: list[str], overrides: list[str], steps: int, torch_profile: bool) -> list[dict]:
    import torch
    from transformers import TrainerCallback

    from components.runtime import build, seed_everything

    cfg = compose(base + [f"train.max_steps={steps}", *overrides])
    seed_everything(cfg.seed)
    reward = build(cfg.reward)
    loop = build(cfg.train, output_dir=tempfile.mkdtemp(prefix="bench_profile_"))
    splits = build(cfg.data).load(build(cfg.prompts))
    loaded = build(cfg.model).load()
    loop.args.reward_weights = list(reward.weights)
    rows: list[dict] = []
    bucket: dict = defaultdict(float)

    class PhaseClock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            bucket.clear()
            self.start = time.perf_counter()
            if torch_profile and state.global_step == steps - 1:
                self.prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
                self.prof.__enter__()

        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            self.opt = time.perf_counter()

        def on_optimizer_step(self, args, state, control, **kwargs):
            bucket["optimizer"] += time.perf_counter() - self.opt

        def on_step_end(self, args, state, control, **kwargs):
            wall = time.perf_counter() - self.start
            row = {"step": state.global_step, "wall": wall, **bucket}
            row["other"] = wall - sum(v for k, v in bucket.items() if k != "tokens")
            rows.append(row)
            if torch_profile and hasattr(self, "prof"):
                self.prof.__exit__(None, None, None)
                print(self.prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), flush=True)

    trainer = loop.trainer_class(loaded)(
        model=loaded.model,
        reward_funcs=list(reward.funcs),
        args=loop.args,
        train_dataset=splits.train,
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
        callbacks=[PhaseClock()],
    )
    for phase, method in PHASES.items():
        setattr(trainer, method, timed(getattr(trainer, method), bucket, phase))
    generate = trainer._generate_single_turn

    def counted(*args, **kwargs):  # completion tokens generated this step (EOS included), for tokens/s
        completion_ids, logprobs = generate(*args, **kwargs)
        bucket["tokens"] += sum(len(ids) for ids in completion_ids)
        return completion_ids, logprobs

    trainer._generate_single_turn = counted
    trainer.accelerator.backward = timed(trainer.accelerator.backward, bucket, "backward")
    trainer.train()
    return rows[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["tiny", "smollm2"], default="smollm2")
    parser.add_argument("--variant", action="append", default=None, help="name:override,override (repeatable)")
    parser.add_argument("--steps", type=int, default=3, help="steps per run; the first is dropped")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds over the variants")
    parser.add_argument("--torch-profile", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    opts = parser.parse_args()
    base = TINY if opts.model == "tiny" else []
    variants = {}
    for spec in opts.variant or ["default:"]:
        name, _, rest = spec.partition(":")
        variants[name] = [o for o in rest.split(",") if o]
    result = {"machine_before": print_machine(), "model": opts.model, "variants": {}}
    rows = defaultdict(list)
    for r in range(opts.rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in order:
            rows[name] += run_variant(base, variants[name], opts.steps, opts.torch_profile)
            print(f"round {r} {name}: {[round(x['wall'], 2) for x in rows[name]]}", flush=True)
    ref = None
    for name, got in rows.items():
        keys = ["wall", "generation", "logprob_forward", "backward", "optimizer", "reward", "other"]
        med = {k: median([row.get(k, 0.0) for row in got]) for k in keys}
        tokens, wall = sum(row.get("tokens", 0) for row in got), sum(row["wall"] for row in got)
        med["tokens_per_step_second"] = tokens / wall  # generated completion tokens per second of step wall time
        ref = ref or med["wall"]
        result["variants"][name] = {
            "overrides": variants[name],
            "median_s": med,
            "n": len(got),
            "wall_vs_first": med["wall"] / ref,
        }
        shares = ", ".join(f"{k} {med[k]:.2f}s ({med[k] / med['wall']:.0%})" for k in keys[1:])
        print(
            f"{name}: step {med['wall']:.2f}s (x{med['wall'] / ref:.2f} vs first variant), "
            f"{med['tokens_per_step_second']:.1f} generated tokens/s of step time = {shares}"
        )
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
