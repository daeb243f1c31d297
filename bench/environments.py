"""Environments on CPU: SmolLM2-135M-Instruct before and after GRPO in each environment, on held-out episodes.

    python bench/environments.py --out outputs/benchmarks/environments                     # run both, then record
    python bench/environments.py --out outputs/benchmarks/environments --only guess_number # one environment
    python bench/environments.py --out ... --record results/environments.json             # also write the record

Each environment is one `python run_pipeline.py experiment=<its experiment>` process in <out>/runs/<name> (a run
dir with a summary.json is not run again). Its eval_before / eval_after are the base and the trained model on the
same held-out episodes (greedy, the same budget): success with McNemar's exact test on the paired outcomes,
truncation, turns, tool calls, invalid actions and, for the game, the guesses of a win beside binary search's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import REPO, machine

from components.evaluation.history import EVAL_HISTORY, read_history
from components.evaluation.stats import mcnemar_exact

EXPERIMENTS = {  # run name -> (experiment, the environments it trains and evaluates)
    "guess_number": ("env_guess_number_smollm2", ["guess_number"]),
    "gpt3_calculator": ("env_calculator_smollm2", ["gpt3_calculator"]),
    "mixed": ("env_mixed_smollm2", ["guess_number", "gpt3_calculator"]),  # one model, both: a row per environment
}


def command(name: str, out: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "run_pipeline.py",
        f"experiment={EXPERIMENTS[name][0]}",
        *extra,
        f"hydra.run.dir={out / 'runs' / name}",
    ]


def result(run_dir: Path, environment: str) -> dict:
    """One environment's before/after on the run's held-out episodes (a mixed run's rows say their environment)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    history = [
        r
        for r in read_history(run_dir / EVAL_HISTORY)
        if r.get("sample") is None and r.get("environment", environment) == environment  # greedy rows of this one
    ]
    tags = {tag: [r for r in history if r.get("tag") == tag] for tag in ("before", "after")}
    before = [r["correct"] is True for r in tags["before"]]
    after = [r["correct"] is True for r in tags["after"]]
    keys = ("success", "turns", "tool_calls", "invalid_actions", "solved_tool_calls", "optimal_tool_calls")
    env = {f"{k}_{when}": summary.get(f"env/{environment}/{k}_{when}") for k in keys for when in ("before", "after")}
    provenance = json.loads((run_dir / "provenance.json").read_text())
    return {
        "run_commit": provenance.get("git_commit"),  # the code the run itself ran
        "run_started_utc": datetime.fromtimestamp((run_dir / "provenance.json").stat().st_mtime, UTC).isoformat(),
        "episodes": len(after),
        "successes_before": sum(before),
        "successes_after": sum(after),
        "mcnemar": mcnemar_exact(before, after),
        "truncation_rate_before": sum(r["truncated"] for r in tags["before"]) / len(tags["before"]),
        "truncation_rate_after": sum(r["truncated"] for r in tags["after"]) / len(tags["after"]),
        "eval_max_new_tokens": summary["eval_max_new_tokens"],
        "global_step": summary["global_step"],
        "train_runtime_s": summary["train_runtime_s"],
        "train_success_by_step": train_success(run_dir, environment),
        **env,
    }


def train_success(run_dir: Path, environment: str) -> list[float]:
    """The sampled training episodes' success rate at each logged step (metrics.jsonl): where the signal was."""
    key = f"train/env/{environment}/success"
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [row[key] for row in rows if key in row]


LABELS = {
    "gpt3_calculator": "`gpt3_calculator`, GPT-3 sum of digits (`SD`), first 32 published rows",
    "guess_number": "`guess_number` 1..8, one game demonstrated in the prompt",
    "mixed/guess_number": "`mixed`: its `guess_number` games",
    "mixed/gpt3_calculator": "`mixed`: its `gpt3_calculator` rows (`SD`, first 32)",
    "guess_number_one_call_shown": "`guess_number` 1..8, one worked call shown (superseded)",
    "guess_number_integer_argument": "`guess_number` 1..8, `guess(number: int)` (superseded)",
}


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def guesses(run: dict) -> str:
    """A game's mean guesses in the episodes it won, beside its optimal strategy's mean ("—" where no optimum)."""
    optimum = run.get("optimal_tool_calls_before")
    if optimum is None:
        return "—"
    won = [run.get(f"solved_tool_calls_{when}") for when in ("before", "after")]
    return " → ".join("no win" if w is None else f"{w:.2f}" for w in won) + f" ({optimum:.3f})"


def render_table(record: dict) -> str:
    """The BENCHMARKS.md table, from the record alone (tests/bench/test_environments_record.py compares them)."""
    lines = [
        "| environment | held-out episodes | success before → after | McNemar (better / worse, p) "
        "| truncated before → after | guesses per win before → after (optimum) | training |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in record["environments"].items():
        n, test = r["episodes"], r["mcnemar"]
        lines.append(
            f"| {LABELS.get(name, name)} | {n} "
            f"| {percent(r['successes_before'] / n)} ({r['successes_before']}) → "
            f"{percent(r['successes_after'] / n)} ({r['successes_after']}) "
            f"| {test['better']} / {test['worse']}, p = {test['p_value']:.3g} "
            f"| {percent(r['truncation_rate_before'])} → {percent(r['truncation_rate_after'])} "
            f"| {guesses(r)} | {r['global_step']} steps, {r['train_runtime_s']:.0f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", choices=sorted(EXPERIMENTS), action="append")
    parser.add_argument("--record", type=Path, help="write the record (JSON) here")
    parser.add_argument("--extra", nargs="*", default=[], help="overrides added to every run")
    parser.add_argument("--table", type=Path, help="print the docs table of this record and stop")
    args = parser.parse_args()
    if args.table:
        print(render_table(json.loads(args.table.read_text())))
        return
    names = args.only or list(EXPERIMENTS)
    record = {"benchmark": "environments", "git_commit": git_commit(), "machine": machine(), "versions": versions()}
    record["environments"] = {}
    for name in names:
        run_dir = args.out / "runs" / name
        cmd = command(name, args.out, args.extra)
        if not (run_dir / "summary.json").exists():
            start = time.time()
            subprocess.run(cmd, cwd=REPO, check=True)
            print(f"{name}: {time.time() - start:.0f} s", flush=True)
        environments = EXPERIMENTS[name][1]
        for environment in environments:
            key = environment if len(environments) == 1 else f"{name}/{environment}"
            record["environments"][key] = {"command": " ".join(["python", *cmd[1:]]), **result(run_dir, environment)}
            print(json.dumps({key: record["environments"][key]}, indent=1), flush=True)
    if args.record:  # the environments not run this time keep their entries (each names its own command and commit)
        kept = json.loads(args.record.read_text())["environments"] if args.record.exists() else {}
        record["environments"] = {**kept, **record["environments"]}
        args.record.write_text(json.dumps(record, indent=1) + "\n")


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformers", "trl", "peft")}


def current(record: dict) -> dict:
    """The entries of the experiments as they are now (not the superseded designs the record also keeps)."""
    keys = [n if len(envs) == 1 else f"{n}/{e}" for n, (_, envs) in EXPERIMENTS.items() for e in envs]
    return {**record, "environments": {k: record["environments"][k] for k in keys if k in record["environments"]}}


def blocks(record: dict) -> dict[str, tuple[str, list[Path]]]:
    """bench/render_docs.py: the BENCHMARKS.md table (every entry) and the README's (the current experiments)."""
    m, v = record["machine"], record["versions"]
    line = (f"{m['date']}, commit {record['git_commit'][:7]} (each run's own commit and command in the record), "
            f"CPU: {m['cpu']} ({m['cores']} cores), torch {v['torch']}, trl {v['trl']}. Record: `results/environments.json`.")  # fmt: skip
    return {
        "table": (render_table(record) + "\n\n" + line, [REPO / "BENCHMARKS.md"]),
        "readme": (render_table(current(record)) + "\n\n" + line, [REPO / "README.md"]),
    }


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
