"""Benchmark suite: run the benchmark experiments (or read finished run dirs) and write one results table.

    python bench/run_benchmarks.py                                     # all six benchmarks + the default run
    python bench/run_benchmarks.py --experiments gsm8k_smollm2,default --out outputs/benchmarks/gsm8k
    python bench/run_benchmarks.py --from-runs outputs/2026-11-30/*/   # collect runs that finished elsewhere
    python bench/run_benchmarks.py --experiments boolq_smollm2 --overrides train.max_steps=4 data.max_eval_samples=16

Each experiment runs as its own `python run_pipeline.py experiment=<name>` process (`default` = no experiment,
the default arithmetic run), one after another, in <out>/runs/<name>/, with the pre-flight power check on
(`--no-power-check` turns it off) so the table has pass@k at baseline. Everything in the table is read back
from the run dirs' files (summary.json, .hydra/, metrics.jsonl), so `--from-runs` gives the same table for runs
made by hand. An experiment whose YAML does not exist, a run that failed or stopped, or a dir that holds no run
becomes a row saying why. Outputs: <out>/results.md, results.csv, results.png (and the machine line in .md).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import REPO, machine

BENCHMARKS = [
    "gsm8k_smollm2",
    "math500_smollm2",
    "finqa_smollm2",
    "mbpp_smollm2",
    "nq_open_smollm2",
    "boolq_smollm2",
    "default",
]
COLUMNS = [
    "benchmark",
    "status",
    "model",
    "steps",
    "eval_max_new_tokens",
    "eval_problems",
    "grader",
    "accuracy_before",
    "accuracy_after",
    "gain",
    "gain_ci_low",
    "gain_ci_high",
    "mcnemar_p",
    "truncation_before",
    "truncation_after",
    "baseline_pass_at_k",
    "baseline_k",
    "expected_informative_share",
    "zero_signal_share",
    "wall_s",
    "cost_usd",
    "run_dir",
    "note",
]


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except json.JSONDecodeError:
        return {}


def _config(run_dir: Path) -> dict[str, Any]:
    from omegaconf import OmegaConf

    for path in (run_dir / "config_resolved.yaml", run_dir / ".hydra" / "config.yaml"):
        if path.is_file():
            return OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    return {}


def experiment_name(run_dir: Path) -> str:
    """`experiment=<name>` from the run's own overrides; `default` when it ran without one."""
    overrides = run_dir / ".hydra" / "overrides.yaml"
    lines = overrides.read_text(encoding="utf-8").splitlines() if overrides.is_file() else []
    names = [line.split("=", 1)[1].strip() for line in lines if line.lstrip("- ").startswith("experiment=")]
    return names[-1] if names else "default"


def zero_signal_share(run_dir: Path) -> float | None:
    """Mean over logged steps of TRL's frac_reward_zero_std (share of groups with identical rewards)."""
    path, values = run_dir / "metrics.jsonl", []
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        value = row.get("train/frac_reward_zero_std", row.get("frac_reward_zero_std"))
        if isinstance(value, (int, float)):
            values.append(float(value))
    return sum(values) / len(values) if values else None


def row_from_run(run_dir: Path, name: str | None = None, note: str = "", wall_s: float | None = None) -> dict:
    """One table row from a run dir's files; a dir without a summary gives a row saying so."""
    run_dir = Path(run_dir)
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(benchmark=name or experiment_name(run_dir), run_dir=str(run_dir), note=note, wall_s=wall_s)
    summary, before = _json(run_dir / "summary.json"), _json(run_dir / "eval_before.json")
    if not summary:
        row["status"] = "failed"
        row["note"] = note or f"no summary.json in {run_dir} (not a finished run dir)"
        row["accuracy_before"] = before.get("accuracy")
        return row
    config = _config(run_dir)
    model = summary.get("model_source")
    if model != "tiny_random":  # a hub id, local dir or GGUF: the name the user configured
        model = (config.get("model") or {}).get("model_name_or_path") or model
    after = _json(run_dir / "eval_after.json")
    row.update(
        status=summary.get("status", "finished"),
        model=str(model).rsplit("/", 1)[-1] if model else None,
        steps=summary.get("global_step"),
        eval_problems=after.get("num_samples", before.get("num_samples")),
        eval_max_new_tokens=summary.get("eval_max_new_tokens", before.get("max_new_tokens")),
        grader=summary.get("grader"),
        accuracy_before=summary.get("accuracy_before", before.get("accuracy")),
        accuracy_after=summary.get("accuracy_after"),
        gain=summary.get("accuracy_gain"),
        gain_ci_low=summary.get("accuracy_gain_ci_low"),
        gain_ci_high=summary.get("accuracy_gain_ci_high"),
        mcnemar_p=summary.get("mcnemar_p_value"),
        truncation_before=summary.get("truncation_rate_before", before.get("truncation_rate")),
        truncation_after=summary.get("truncation_rate_after"),
        baseline_pass_at_k=summary.get("power_check/pass_at_k"),
        baseline_k=summary.get("power_check/k"),
        expected_informative_share=summary.get("power_check/informative_share"),
        zero_signal_share=zero_signal_share(run_dir),
        wall_s=summary.get("cost/wall_s", wall_s),
        cost_usd=summary.get("cost/usd"),
    )
    if row["status"] != "finished":
        reason = summary.get("reason") or ""
        # the run's own last log line usually is its reason already (cut at 300 characters): say it once
        row["note"] = note if reason[:200] in note else "; ".join(x for x in (note, reason) if x)
    elif summary.get("power_check/warning") and not note:
        row["note"] = summary["power_check/warning"]
    return row


def run_experiment(name: str, out: Path, overrides: list[str], power_check: bool, timeout: float) -> dict:
    """Run one experiment in its own process; a missing YAML or a failure is a row, not a crash."""
    if name != "default" and not (REPO / "conf" / "experiment" / f"{name}.yaml").is_file():
        return row_from_run(out / "runs" / name, name, note=f"missing: conf/experiment/{name}.yaml does not exist") | {
            "status": "missing",
            "run_dir": None,
        }
    run_dir = out / "runs" / name
    args = [
        *([f"experiment={name}"] if name != "default" else []),
        *(["train.power_check.enabled=true"] if power_check else []),
        *overrides,
        f"hydra.run.dir={run_dir}",
    ]
    log_path = out / "runs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] python run_pipeline.py {' '.join(args)}", flush=True)
    start = time.perf_counter()
    try:
        with log_path.open("w", encoding="utf-8") as log:
            proc = subprocess.run(
                [sys.executable, str(REPO / "run_pipeline.py"), *args],
                check=False,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                env=dict(os.environ, HYDRA_FULL_ERROR="0"),
            )
        code, why = proc.returncode, ""
    except subprocess.TimeoutExpired:
        code, why = None, f"killed after --timeout {timeout:.0f} s"
    wall = time.perf_counter() - start
    if code != 0:
        tail = [line for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        last = next(
            (line for line in reversed(tail) if "error" in line.lower() or "stopped" in line.lower()),
            tail[-1] if tail else "",
        )
        why = why or f"exit {code}: {last.strip()[:300]} (log: {log_path})"
    row = row_from_run(run_dir, name, note=why, wall_s=wall)
    if code != 0 and row["status"] == "finished":
        row["status"] = "failed"
    print(f"[{name}] {row['status']} in {wall:.0f} s", flush=True)
    return row


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "n/a"


def _markdown_row(row: dict) -> list[str]:
    gain = "n/a"
    if isinstance(row["gain"], (int, float)):
        gain = f"{100 * row['gain']:+.1f} pp"
        if isinstance(row["gain_ci_low"], (int, float)):
            gain += f" [{100 * row['gain_ci_low']:+.1f}, {100 * row['gain_ci_high']:+.1f}]"
    k = f"pass@{row['baseline_k']} {_pct(row['baseline_pass_at_k'])}" if row["baseline_k"] else "n/a"
    p = f"{row['mcnemar_p']:.3g}" if isinstance(row["mcnemar_p"], (int, float)) else "n/a"
    wall = f"{row['wall_s'] / 60:.1f} min" if isinstance(row["wall_s"], (int, float)) else "n/a"
    cost = f"${row['cost_usd']:.4f}" if isinstance(row["cost_usd"], (int, float)) else "n/a"
    problems = f"{row['eval_max_new_tokens']} tok / {row['eval_problems']}" if row["eval_problems"] else "n/a"
    cells = [
        row["benchmark"],
        row["status"],
        row["model"] or "n/a",
        str(row["steps"] if row["steps"] is not None else "n/a"),
        problems,
        row["grader"] or "n/a",
        _pct(row["accuracy_before"]),
        _pct(row["accuracy_after"]),
        gain,
        p,
        f"{_pct(row['truncation_before'])} / {_pct(row['truncation_after'])}",
        k,
        _pct(row["expected_informative_share"]),
        _pct(row["zero_signal_share"]),
        wall,
        cost,
        row["note"] or "",
    ]
    return [str(c).replace("|", "\\|").replace("\n", " ") for c in cells]


MD_HEAD = [
    "benchmark",
    "status",
    "model",
    "steps",
    "eval budget / problems",
    "grader",
    "before",
    "after",
    "gain [95% CI]",
    "McNemar p",
    "truncated before / after",
    "baseline pass@k",
    "expected informative groups",
    "zero-signal groups (training)",
    "wall",
    "cost",
    "note",
]


def write_table(rows: list[dict], out: Path, command: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}",
        "",
        "| " + " | ".join(MD_HEAD) + " |",
        "|" + "---|" * len(MD_HEAD),
    ]
    lines += ["| " + " | ".join(_markdown_row(row)) + " |" for row in rows]
    lines += [
        "",
        (
            "Accuracy: greedy, held-out, graded by the grader column at the eval budget. Gain CI: paired "
            "bootstrap; McNemar: exact, on the same problems. Expected informative groups: the pre-flight power "
            "check; zero-signal groups: mean over training steps of TRL's frac_reward_zero_std."
        ),
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot(rows, out / "results.png")
    return [out / "results.md", out / "results.csv", out / "results.png"]


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else float("nan")


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["benchmark"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(max(8, 1.6 * len(rows) + 4), 4.5))
    xs = range(len(rows))
    left.bar([x - 0.2 for x in xs], [_num(r["accuracy_before"]) for r in rows], 0.4, label="before")
    left.bar([x + 0.2 for x in xs], [_num(r["accuracy_after"]) for r in rows], 0.4, label="after")
    left.set(ylabel="held-out accuracy", ylim=(0, 1), title="Accuracy before / after")
    left.legend()
    gains = [_num(r["gain"]) for r in rows]
    errs = [
        [max(0.0, g - _num(r["gain_ci_low"])) for g, r in zip(gains, rows)],
        [max(0.0, _num(r["gain_ci_high"]) - g) for g, r in zip(gains, rows)],
    ]
    right.bar(xs, gains, yerr=errs, capsize=4, color="tab:green")
    right.axhline(0, color="black", linewidth=0.8)
    right.set(ylabel="gain (after - before)", title="Gain with 95% CI (McNemar p above)")
    for x, g, r in zip(xs, gains, rows):
        label = f"p={r['mcnemar_p']:.2g}" if isinstance(r["mcnemar_p"], (int, float)) else r["status"]
        right.annotate(label, (x, 0.0 if math.isnan(g) else g), ha="center", va="bottom", fontsize=8)
    for axis in (left, right):
        axis.set_xticks(list(xs), names, rotation=30, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--experiments",
        default=",".join(BENCHMARKS),
        help="comma-separated conf/experiment names; `default` = the default run (no experiment)",
    )
    parser.add_argument("--from-runs", nargs="+", type=Path, metavar="DIR", help="read these run dirs, run nothing")
    parser.add_argument("--overrides", nargs="*", default=[], help="Hydra overrides added to every run")
    parser.add_argument("--out", type=Path, help="output dir (default outputs/benchmarks/<date_time>)")
    parser.add_argument("--no-power-check", action="store_true", help="do not add train.power_check.enabled=true")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per run before it is killed")
    args = parser.parse_args(argv)
    out = args.out or REPO / "outputs" / "benchmarks" / datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if args.from_runs:
        rows = [row_from_run(d) for d in args.from_runs]
    else:
        names = [n.strip() for n in args.experiments.split(",") if n.strip()]
        rows = [run_experiment(n, out, args.overrides, not args.no_power_check, args.timeout) for n in names]
    command = "python bench/run_benchmarks.py " + " ".join(sys.argv[1:] if argv is None else argv)
    for path in write_table(rows, out, command):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
