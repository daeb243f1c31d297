"""Evaluation generation throughput: components/model/generation.py vs a naive one-prompt-at-a-time loop.

    python bench/eval_generation.py                          # SmolLM2-135M, greedy, 32 new tokens
    python bench/eval_generation.py --batch-sizes 1 8 32 64 --naive-prompts 16 --max-new-tokens 32

Throughput counts useful tokens only (completion tokens up to and including nothing after EOS; padding and
post-EOS steps are waste, not work). Both arms run on the held-out arithmetic prompts of the default recipe.
The roofline is measured in the same run: memory bandwidth (a large tensor copy) bounds batch 1, where every
new token reads all weights once; matmul FLOP/s bounds large batches, where a token costs ~2 x params FLOPs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import SMOLLM2, bandwidth_gbs, compose, matmul_gflops, print_machine


def naive(model, tokenizer, prompts, max_new_tokens: int) -> tuple[int, float]:
    """What a first evaluation loop looks like: one prompt, one generate call, decode, next."""
    import torch

    tokens, start = 0, time.perf_counter()
    for prompt in prompts:
        ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with torch.no_grad():
            out = model.generate(
                **ids, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
            )
        new = out[0, ids["input_ids"].shape[1] :].tolist()
        stop = next((i for i, t in enumerate(new) if t == tokenizer.eos_token_id), len(new))
        tokens += stop
        tokenizer.decode(new[:stop], skip_special_tokens=True)
    return tokens, time.perf_counter() - start


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=SMOLLM2)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--prompts", type=int, default=64, help="held-out prompts for the batched runs")
    parser.add_argument("--naive-prompts", type=int, default=16, help="prompts for the naive loop (it is slow)")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args()


def roofline(model) -> dict:
    """The bounds measured on this machine: bandwidth for batch 1, matmul FLOP/s for large batches."""
    params = sum(p.numel() for p in model.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    bw, flops = bandwidth_gbs(), matmul_gflops()
    return {
        "copy_bandwidth_GBs": bw,
        "matmul_GFLOPs": flops,
        "params": params,
        "weight_MB": weight_bytes / 1e6,
        "batch1_bound_tok_s": bw * 1e9 / weight_bytes,  # every token streams all weights once
        "compute_bound_tok_s": flops * 1e9 / (2 * params),  # ~2 FLOPs per parameter per token
    }


def batched(model, tokenizer, prompts, batch_sizes, max_new_tokens: int, naive_rate: float) -> dict:
    """generation.py's throughput at each batch size (x_naive against the first naive run, redone at the end)."""
    from components.model.generation import generate

    rows = {}
    for bs in batch_sizes:
        gen = generate(model, tokenizer, prompts, bs, max_new_tokens)
        rate = gen.tokens_per_second
        rows[bs] = {
            "tokens": sum(gen.completion_tokens),
            "seconds": gen.seconds,
            "tok_s": rate,
            "x_naive": rate / naive_rate,
        }
        print(f"generation.py batch {bs:3d}: {rate:7.1f} tok/s = {rate / naive_rate:.1f}x naive", flush=True)
    return rows


def main() -> None:
    opts = options()

    import torch

    from components.model.generation import generate
    from components.model.hf import HFCausalLM
    from components.runtime import build

    if opts.threads:
        torch.set_num_threads(opts.threads)
    result = {"machine_before": print_machine(), "model": opts.model, "max_new_tokens": opts.max_new_tokens}
    loaded = HFCausalLM(opts.model, lora={"enabled": False}).load()
    model, tokenizer = loaded.model, loaded.tokenizer
    model.eval()
    cfg = compose([f"data.num_eval={opts.prompts}"])
    prompts = [row["prompt"] for row in build(cfg.data).load(build(cfg.prompts)).eval]
    result["roofline"] = roofline(model)
    print(f"roofline: {result['roofline']}", flush=True)

    generate(model, tokenizer, prompts[:2], 2, 4)  # warm-up: first-call allocations, thread pool
    tokens, seconds = naive(model, tokenizer, prompts[: opts.naive_prompts], opts.max_new_tokens)
    result["naive"] = {"tokens": tokens, "seconds": seconds, "tok_s": tokens / seconds}
    print(f"naive loop: {tokens} tokens in {seconds:.1f}s = {tokens / seconds:.1f} tok/s", flush=True)
    result["batched"] = batched(model, tokenizer, prompts, opts.batch_sizes, opts.max_new_tokens, tokens / seconds)
    # naive again at the end: the ratio uses the mean of both naive runs, so drift in load cancels
    tokens2, seconds2 = naive(model, tokenizer, prompts[: opts.naive_prompts], opts.max_new_tokens)
    naive_rate = (tokens + tokens2) / (seconds + seconds2)
    result["naive"] = {"tokens": tokens + tokens2, "seconds": seconds + seconds2, "tok_s": naive_rate}
    for row in result["batched"].values():
        row["x_naive"] = row["tok_s"] / naive_rate
    print(
        f"naive (both runs): {naive_rate:.1f} tok/s; x naive: "
        f"{ {bs: round(r['x_naive'], 2) for bs, r in result['batched'].items()} } (target >= 8 at batch 32)"
    )
    result["machine_after"] = print_machine()
    if opts.out:
        opts.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
