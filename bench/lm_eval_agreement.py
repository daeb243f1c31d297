"""The project's own evaluation and lm-evaluation-harness on the same rows: do they give the same verdict, row by row?

    python bench/lm_eval_agreement.py --task rlvr_arithmetic --out outputs/lm_eval_agreement/arithmetic
    python bench/lm_eval_agreement.py --task rlvr_gpt3_2d_add --max-samples 50 --out outputs/lm_eval_agreement/2d_add
    python bench/lm_eval_agreement.py --task rlvr_arithmetic --out ... --override eval_run.run_dir=outputs/DATE/TIME
    python bench/lm_eval_agreement.py ... --record results/lm_eval_agreement.json   # adds or replaces its row

Two `python run_pipeline.py mode=eval` processes on the same model (base by default; each --override goes to both,
e.g. eval_run.run_dir=<run> or model.model_name_or_path=<exported folder>): one with the project's greedy
evaluator on the data/prompts/reward the task is built from, one with evaluation_component=lm_eval on the task.
Same rows (the task's rows are the data component's eval split), same prompt (the project's system + user turns
through the chat template), greedy, same max_new_tokens. The rows are paired by position (lm-eval's doc_id) and
the question is checked to be the same; printed: each side's accuracy, verdict agreement, identical completions,
and every row where the verdicts differ. Exit 1 when the accuracies differ by more than one row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import REPO, machine
from record_rows import upsert_row

from components.evaluation.history import EVAL_HISTORY, read_history

GPT3 = {
    "2d_add": "2D+", "2d_sub": "2D-", "3d_add": "3D+", "3d_sub": "3D-", "4d_add": "4D+", "4d_sub": "4D-",
    "5d_add": "5D+", "5d_sub": "5D-", "2d_mul": "2Dx", "1d_composite": "1DC",
}  # fmt: skip


def project_task(task: str, data_dir: str) -> list[str]:
    """The data/prompts/reward overrides under which mode=eval sees the rows the lm-eval task is built from."""
    if task == "rlvr_arithmetic":
        return ["data_component=arithmetic", "prompts=arithmetic", "reward_component=answer_format"]
    if task == "rlvr_gsm8k":
        return [
            "data_component=gsm8k", f"data.path={data_dir}/gsm8k", "data.max_eval_samples=null",
            "prompts=gsm8k", "reward_component=gsm8k",
        ]  # fmt: skip
    if task.startswith("rlvr_gpt3_") and task.removeprefix("rlvr_gpt3_") in GPT3:
        return [
            "data_component=gpt3_arithmetic", f"data.local_path={data_dir}/gpt3_synthetic",
            f"data.tasks=[{GPT3[task.removeprefix('rlvr_gpt3_')]}]", "data.eval_rows=all", "data.num_train=1",
            "prompts=gpt3_arithmetic", "reward_component=answer_format",
        ]  # fmt: skip
    raise SystemExit(f"--task {task}: not one of this folder's local tasks (rlvr_arithmetic, rlvr_gsm8k, rlvr_gpt3_*)")


def run(name: str, args: list[str], out: Path) -> tuple[list[dict], dict, float]:
    run_dir = out / name
    cmd = [sys.executable, "run_pipeline.py", "mode=eval", *args, f"hydra.run.dir={run_dir}"]
    print(f"{name}: {' '.join(cmd[1:])}", flush=True)
    start = time.time()
    with open(out / f"{name}.log", "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed (exit {proc.returncode}); see {out / f'{name}.log'}")
    rows = [r for r in read_history(run_dir / EVAL_HISTORY) if r.get("sample") is None]
    return rows, json.loads((run_dir / "summary.json").read_text()), time.time() - start


def compare(ours: list[dict], theirs: list[dict]) -> dict:
    if len(ours) != len(theirs):
        raise SystemExit(f"row counts differ: project {len(ours)}, lm-eval {len(theirs)}")
    differ = []
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a["question"] != b["question"]:
            raise SystemExit(f"row {i}: different questions: {a['question']!r} vs {b['question']!r}")
        if (a["correct"] is True) != (b["correct"] is True):
            differ.append({"row": i, "question": a["question"], "answer": a["answer"],
                           "project": {"correct": a["correct"], "completion": a["completion"]},
                           "lm_eval": {"correct": b["correct"], "completion": b["completion"]}})  # fmt: skip
    n = len(ours)
    right = [sum(r["correct"] is True for r in rows) for rows in (ours, theirs)]
    return {
        "rows": n,
        "project_correct": right[0],
        "lm_eval_correct": right[1],
        "project_accuracy": right[0] / n,
        "lm_eval_accuracy": right[1] / n,
        "verdict_agreement": (n - len(differ)) / n,
        "identical_completions": sum(a["completion"] == b["completion"] for a, b in zip(ours, theirs)),
        "project_truncated": sum(bool(r["truncated"]) for r in ours),
        "lm_eval_truncated": sum(bool(r["truncated"]) for r in theirs),
        "rows_where_verdicts_differ": differ,
        "within_one_row": abs(right[0] - right[1]) <= 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="rlvr_arithmetic", help="a local lm-eval task (lm_eval_tasks/rlvr_*.yaml)")
    parser.add_argument("--max-samples", type=int, default=None, help="the first N rows (default: every row)")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="the completion budget of both sides")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per generate() call, both sides")
    # both runs start in the repo root, so the default is relative to it (the records name no machine path)
    parser.add_argument("--data-dir", default="../shared/data", help="holds gsm8k/ and gpt3_synthetic/")
    parser.add_argument("--out", type=Path, required=True, help="a folder for the two runs and their logs")
    parser.add_argument("--record", type=Path, default=None, help="also write the result as a JSON record here")
    parser.add_argument(
        "--override", action="append", default=[], help="a run_pipeline.py override for both runs (repeatable)"
    )
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    both = [
        f"eval.max_new_tokens={args.max_new_tokens}", f"eval.batch_size={args.batch_size}",
        *([f"eval.max_samples={args.max_samples}"] if args.max_samples else []), "eval_run.task_from_run=false",
        *args.override,
    ]  # fmt: skip
    project_args = [*project_task(args.task, args.data_dir), *both, "eval.budget_check_factor=0"]
    lm_eval_args = [
        *project_task(args.task, args.data_dir), "evaluation_component=lm_eval", f"eval.tasks=[{args.task}]",
        f"eval.data_dir={args.data_dir}", *both,
    ]  # fmt: skip
    ours, our_summary, our_s = run("project", project_args, args.out)
    theirs, their_summary, their_s = run("lm_eval", lm_eval_args, args.out)
    result = compare(ours, theirs)
    n = result["rows"]
    print(f"{args.task}: {n} rows, max_new_tokens={args.max_new_tokens}, greedy")
    print(f"  project accuracy {result['project_accuracy']:.4f} ({result['project_correct']}/{n})")
    print(f"  lm-eval accuracy {result['lm_eval_accuracy']:.4f} ({result['lm_eval_correct']}/{n})")
    print(f"  same verdict on {n - len(result['rows_where_verdicts_differ'])}/{n} rows; identical completions "
          f"{result['identical_completions']}/{n}; truncated {result['project_truncated']} vs {result['lm_eval_truncated']}")  # fmt: skip
    for row in result["rows_where_verdicts_differ"]:
        print(
            f"  row {row['row']}: {row['question']!r} project={row['project']['correct']} lm-eval={row['lm_eval']['correct']}"
        )
    if args.record:
        record = {
            "benchmark": "lm_eval_agreement",
            "task": args.task,
            "key": f"{args.task} | {' '.join(args.override) or 'base'}",
            "command": " ".join(["python", "bench/lm_eval_agreement.py", *sys.argv[1:]]),
            "commands": {
                "project": " ".join(["python run_pipeline.py mode=eval", *project_args]),
                "lm_eval": " ".join(["python run_pipeline.py mode=eval", *lm_eval_args]),
            },
            "git_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip(),
            "machine": machine(),
            "versions": versions(),
            "seconds": {"project": round(our_s, 1), "lm_eval": round(their_s, 1)},
            "model_source": our_summary.get("model_source"),
            "evaluated_run": our_summary.get("evaluated_run"),
            **result,
        }  # fmt: skip
        upsert_row(args.record, "lm_eval_agreement", record, key="key")
        print(f"record: {args.record} (row {record['key']!r})")
    sys.exit(0 if result["within_one_row"] else 1)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("lm-eval", "torch", "transformers", "trl", "peft", "datasets")}


if __name__ == "__main__":
    main()
