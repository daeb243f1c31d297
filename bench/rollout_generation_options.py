"""Rollout generation options on a GRPO group (1 prompt x G completions), measured on and off, interleaved.

    python bench/rollout_generation_options.py                    # SmolLM2-135M, a GSM8K prompt, 8 x 128 tokens
    python bench/rollout_generation_options.py --arms dynamic static --max-new-tokens 256 --rounds 5 --threads 2

Arms (each generates exactly G x max_new_tokens tokens: the model is given no EOS token, so every arm does the same
work without a min-length logits processor that TRL's rollouts do not run; sampling at TRL's temperature 0.7):
- dynamic: what TRL's GRPOTrainer does with transformers generation: the prompt repeated G times, DynamicCache.
- static: the same with `cache_implementation="static"` (preallocated KV cache, no per-step concatenation);
  TRL exposes it as GRPOConfig.cache_implementation (train.cache_implementation here).
- shared_prefix: the prompt prefilled ONCE (batch 1), its KV cache repeated G times, then generation of the G
  completions from that cache (shared-prompt prefill).
- static_compile: static cache + torch.compile of the forward (compiled on the first warm-up call: the compile
  seconds are printed separately, they are paid once per process and per shape).
- transposed: dynamic, with every linear layer multiplying by a contiguous W^T (train.transpose_weights_for_generation,
  components/model/generation_weights.py; the transpose is made in the warm-up and cached, as in training).
- transposed_static: transposed + static cache.
- transposed_packed_head: transposed, and the output head (frozen under LoRA, the largest matmul of a decode step)
  on MKL's packed GEMM: what a LoRA run's rollouts do (generation_weights' `pack`).
- transposed_packed: transposed, every linear layer on MKL's packed GEMM (every weight frozen: evaluation of a
  model without adapters).
- inverse_cdf: transposed_packed_head + inverse-CDF sampling (components/model/sampling.py) instead of
  torch.multinomial.
- rollouts: what the trainer's CPU rollouts do by default: inverse_cdf + the static cache.
Rounds alternate the arms so that load drifting on a shared machine hits every arm alike; the ratios printed
are medians of per-round ratios against `dynamic`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time

from common import SMOLLM2, print_machine

ARMS = (
    "dynamic",
    "static",
    "shared_prefix",
    "static_compile",
    "transposed",
    "transposed_static",
    "transposed_packed_head",
    "transposed_packed",
    "inverse_cdf",
    "rollouts",
)


def options():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=SMOLLM2)
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--gsm8k", default="../shared/data/gsm8k/test.jsonl", help="the prompt's source (first row)")
    return parser.parse_args()


def cache_arms(model, ids, group_size: int, common: dict) -> dict:
    """The arms that differ in the KV cache: dynamic, static, shared_prefix, static_compile."""
    group = ids.repeat(group_size, 1)

    def dynamic():
        return model.generate(group, **common)

    def static():
        return model.generate(group, cache_implementation="static", **common)

    def shared_prefix():
        # Prefill every prompt token but the last once; generate() then feeds only the uncached last token.
        cache = model(ids[:, :-1], use_cache=True).past_key_values
        cache.batch_repeat_interleave(group_size)
        return model.generate(group, past_key_values=cache, **common)

    def static_compile():  # static; main() swaps in the compiled forward for this arm
        return model.generate(group, cache_implementation="static", **common)

    return {"dynamic": dynamic, "static": static, "shared_prefix": shared_prefix, "static_compile": static_compile}


def weight_arms(model, dynamic, static) -> dict:
    """The arms that change the weights' layout (transposed, packed) or the sampler, on top of a cache arm."""
    from components.model.generation_weights import generation_weights
    from components.model.sampling import inverse_cdf_sampling

    head = model.get_output_embeddings().weight
    body = [p for p in model.parameters() if p is not head]

    def with_weights(arm, pack=False):
        def run():
            with generation_weights(model, merge_lora=False, transpose=True, pack=pack):
                return arm()

        return run

    @contextlib.contextmanager
    def lora_like_weights():
        # as under LoRA: the base layers' weights are merged per step (so not packed), only the head is frozen
        for p in body:
            p.requires_grad_(True)
        try:
            with generation_weights(model, merge_lora=False, transpose=True, pack=True) as done:
                assert done.packable == 1, done
                yield
        finally:
            for p in body:
                p.requires_grad_(False)

    def transposed_packed_head():
        with lora_like_weights():
            return dynamic()

    def inverse_cdf():
        with lora_like_weights(), inverse_cdf_sampling():
            return dynamic()

    def rollouts():
        with lora_like_weights(), inverse_cdf_sampling():
            return static()

    return {
        "transposed": with_weights(dynamic),
        "transposed_static": with_weights(static),
        "transposed_packed_head": transposed_packed_head,
        "transposed_packed": with_weights(dynamic, pack=True),
        "inverse_cdf": inverse_cdf,
        "rollouts": rollouts,
    }


def measure(model, fns: dict, arms: list[str], rounds: int, shape: tuple[int, int], compiled_forward) -> dict:
    """Seconds per arm per round, after one warm-up call per arm (which also compiles static_compile)."""
    import torch

    eager_forward = model.forward
    seconds: dict[str, list[float]] = {a: [] for a in arms}
    with torch.no_grad():
        for arm in arms:  # warm-up (and compilation for static_compile)
            model.forward = compiled_forward if arm == "static_compile" else eager_forward
            start = time.perf_counter()
            out = fns[arm]()
            assert out.shape == shape, (arm, tuple(out.shape))
            print(f"warm-up {arm}: {time.perf_counter() - start:.1f} s", flush=True)
        for r in range(rounds):
            for arm in arms:
                model.forward = compiled_forward if arm == "static_compile" else eager_forward
                start = time.perf_counter()
                fns[arm]()
                seconds[arm].append(time.perf_counter() - start)
            print(f"round {r}: " + ", ".join(f"{a} {seconds[a][-1]:.2f} s" for a in arms), flush=True)
    model.forward = eager_forward
    return seconds


def main() -> None:
    opts = options()

    import torch

    from components.model.hf import HFCausalLM

    if opts.threads:
        torch.set_num_threads(opts.threads)
    print_machine()
    loaded = HFCausalLM(opts.model, lora={"enabled": False}).load()
    model, tokenizer = loaded.model.eval(), loaded.tokenizer
    model.requires_grad_(False)  # inference: every weight frozen (packing only ever touches frozen weights)
    with open(opts.gsm8k) as f:
        question = json.loads(f.readline())["question"]
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": question}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    n = opts.max_new_tokens
    model.generation_config.eos_token_id = None  # no stop token: every arm generates exactly n tokens per row
    common = dict(
        do_sample=True,
        temperature=0.7,
        top_p=1.0,
        top_k=None,
        max_new_tokens=n,
        pad_token_id=tokenizer.eos_token_id,
        attention_mask=torch.ones(opts.group_size, ids.shape[1], dtype=ids.dtype),
    )
    compiled_forward = torch.compile(model.forward, dynamic=False) if "static_compile" in opts.arms else None
    fns = cache_arms(model, ids, opts.group_size, common)
    fns.update(weight_arms(model, fns["dynamic"], fns["static"]))
    arms = ["dynamic"] + [a for a in opts.arms if a != "dynamic"]
    print(f"prompt {ids.shape[1]} tokens, group {opts.group_size} x {n} new tokens, arms {arms}", flush=True)
    seconds = measure(model, fns, arms, opts.rounds, (opts.group_size, ids.shape[1] + n), compiled_forward)
    tokens = opts.group_size * n
    for arm in arms:
        ratio = statistics.median(d / s for d, s in zip(seconds["dynamic"], seconds[arm]))
        med = statistics.median(seconds[arm])
        print(f"{arm:15s} median {med:7.2f} s  {tokens / med:7.1f} tok/s  speed-up vs dynamic {ratio:.3f}x", flush=True)
    print_machine("machine after")


if __name__ == "__main__":
    main()
