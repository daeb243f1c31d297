"""Where a GRPO step's time goes (generation / reward / log-prob forward / backward / optimizer / the rest), and
A/B of candidate settings, interleaved so machine noise cancels.

    python bench/profile_step.py                                   # SmolLM2 default recipe, 3 steps
    python bench/profile_step.py --variant default: --variant gc:model.gradient_checkpointing=true
    python bench/profile_step.py --model tiny --torch-profile      # + torch.profiler top ops of the last step
    python bench/profile_step.py --steps 6 --rounds 2 --variant pipeline: \
        --variant trl:train.prune_zero_signal=false,train.merge_lora_for_generation=false,\
train.transpose_weights_for_generation=false,train.inverse_cdf_sampling=false,train.static_cache_for_generation=false,\
train.shared_prompt_forward=false,train.truncated_reward_scale=1.0
                                   # this pipeline's trainer vs TRL's GRPOTrainer with the identical GRPOConfig

Each --variant is `name:override,override,...` (Hydra overrides on top of the default recipe). The trainer is
built exactly as components/training/grpo.py builds it (same GRPOConfig, same trainer class: zero-signal pruning,
the shared-prompt forward and the rollout savings per their train.* switches; with every switch off it is TRL's
GRPOTrainer), then its phases are timed by wrapping
the trainer's own methods on the instance (no TRL code changes). The first step of each run is dropped.

Roofline (measured in the same run: copy bandwidth and a 1024^3 fp32 matmul's FLOP/s), each phase's fraction =
roofline seconds / measured seconds: generation's roofline is the larger of its decode steps x the weights read
once per step (the longest completion of each generate call sets its steps) and 2 x params FLOPs per prompt and
completion token; the log-prob forward's is 2 x params FLOPs per token of the rows it was given (prompt +
completion, as TRL's pass computes them); the backward's twice that (activation gradients through frozen base
weights). A fraction above 1 means the phase did less work than that count (the shared-prompt forward runs each
prompt once; pruning drops rows); a phase under 0.05 s is not rated.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import TINY, bandwidth_gbs, compose, matmul_gflops, median, print_machine

PHASES = {
    "generation": "_generate_single_turn",
    "reward": "_calculate_rewards",
    "logprob_forward": "_get_per_token_logps_and_entropies",
}


COUNTS = ("tokens", "decode_steps", "prompt_tokens", "scored_tokens")  # bucket entries that are not seconds


def roofline_fractions(row: dict, params: int, weight_bytes: int, bandwidth: float, flops: float) -> dict:
    """Each phase's roofline seconds / its measured seconds (see the module doc); None where under 0.05 s."""
    decode = row.get("decode_steps", 0) * weight_bytes / bandwidth
    prefill_and_decode = 2 * params * (row.get("prompt_tokens", 0) + row.get("tokens", 0)) / flops
    forward = 2 * params * row.get("scored_tokens", 0) / flops
    bounds = {"generation": max(decode, prefill_and_decode), "logprob_forward": forward, "backward": 2 * forward}
    return {k: (bound / row[k] if row.get(k, 0.0) >= 0.05 else None) for k, bound in bounds.items()}


def timed(fn, bucket: dict, name: str):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            bucket[name] += time.perf_counter() - start

    return wrapper


def phase_clock(bucket: dict, rows: list[dict], steps: int, torch_profile: bool):
    """A trainer callback that appends each step's wall time, optimizer time and phase bucket to `rows` (and,
    with torch_profile, prints the last step's top ops). A factory: transformers is imported only when run."""
    import torch
    from transformers import TrainerCallback

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
            row["other"] = wall - sum(v for k, v in bucket.items() if k not in COUNTS)
            rows.append(row)
            if torch_profile and hasattr(self, "prof"):
                self.prof.__exit__(None, None, None)
                print(self.prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15), flush=True)

    return PhaseClock()


def instrument(trainer, bucket: dict) -> None:
    """Wrap the trainer's own methods on the instance: phase seconds, and the token counts the roofline needs."""
    for phase, method in PHASES.items():
        setattr(trainer, method, timed(getattr(trainer, method), bucket, phase))
    generate = trainer._generate_single_turn

    def counted(*args, **kwargs):  # completion tokens generated this step (EOS included), for tokens/s
        completion_ids, logprobs = generate(*args, **kwargs)
        bucket["tokens"] += sum(len(ids) for ids in completion_ids)
        bucket["decode_steps"] += max((len(ids) for ids in completion_ids), default=0)
        bucket["prompt_tokens"] += sum(len(ids) for ids in args[0])
        return completion_ids, logprobs

    trainer._generate_single_turn = counted
    forward = trainer._get_per_token_logps_and_entropies

    def scored(*args, **kwargs):  # tokens of the rows handed to the log-prob pass, for its roofline
        mask = args[2] if len(args) > 2 else kwargs["attention_mask"]
        bucket["scored_tokens"] += int(mask.sum())
        return forward(*args, **kwargs)

    trainer._get_per_token_logps_and_entropies = scored
    trainer.accelerator.backward = timed(trainer.accelerator.backward, bucket, "backward")


def run_variant(base: list[str], overrides: list[str], steps: int, torch_profile: bool) -> list[dict]:
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
    trainer = loop.trainer_class(loaded)(
        model=loaded.model,
        reward_funcs=list(reward.funcs),
        args=loop.args,
        train_dataset=splits.train,
        processing_class=loaded.tokenizer,
        peft_config=loaded.peft_config,
        callbacks=[phase_clock(bucket, rows, steps, torch_profile)],
    )
    instrument(trainer, bucket)
    trainer.train()
    sizes = {"params": sum(p.numel() for p in loaded.model.parameters())}
    sizes["weight_bytes"] = sum(p.numel() * p.element_size() for p in loaded.model.parameters())
    return [dict(row, **sizes) for row in rows[1:]]


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
    bandwidth, flops = bandwidth_gbs() * 1e9, matmul_gflops() * 1e9
    result["roofline"] = {"copy_bandwidth_GBs": bandwidth / 1e9, "matmul_GFLOPs": flops / 1e9}
    print(f"roofline: copy {bandwidth / 1e9:.1f} GB/s, matmul {flops / 1e9:.1f} GFLOP/s", flush=True)
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
        fractions = [roofline_fractions(r, r["params"], r["weight_bytes"], bandwidth, flops) for r in got]
        roof = {
            k: (
                median([f[k] for f in fractions if f[k] is not None])
                if any(f[k] is not None for f in fractions)
                else None
            )
            for k in ("generation", "logprob_forward", "backward")
        }
        result["variants"][name] = {
            "overrides": variants[name],
            "median_s": med,
            "n": len(got),
            "wall_vs_first": med["wall"] / ref,
            "roofline_fraction": roof,
        }
        shares = ", ".join(f"{k} {med[k]:.2f}s ({med[k] / med['wall']:.0%})" for k in keys[1:])
        print(
            f"{name}: step {med['wall']:.2f}s (x{med['wall'] / ref:.2f} vs first variant), "
            f"{med['tokens_per_step_second']:.1f} generated tokens/s of step time = {shares}; fraction of roofline: "
            + ", ".join(f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in roof.items())
        )
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
