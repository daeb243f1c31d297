#!/usr/bin/env bash
# GRPO on SmolLM2-135M-Instruct (the default model), one GPU: the BENCHMARKS.md "Scale-out / GPU" rows.
# Run: bash examples/bench/gpu_grpo.sh outputs/b1 model.load_in_4bit=true    (add train.use_vllm=true for vLLM colocate)
# GPU memory is sampled with nvidia-smi every 200 ms (it includes the CUDA context and any vLLM reservation).
set -euo pipefail
out=${1:?usage: gpu_grpo.sh <out_dir> [overrides]}; shift
mkdir -p "$out"
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$out/gpu_mem.csv" &
smi=$!
trap 'kill $smi 2>/dev/null || true' EXIT
python run_pipeline.py train.max_steps="${STEPS:-20}" \
  eval.max_samples=32 eval.probe_every_steps=0 hydra.run.dir="$out/run" "$@"
kill $smi 2>/dev/null || true
python examples/bench/summarize_run.py "$out/run" "$out/gpu_mem.csv"
