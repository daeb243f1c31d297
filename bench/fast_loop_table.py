"""A test entry point's durations (`make test-fast`, or `make test` with --entry), before and after it was cut:
BENCHMARKS.md's table of the slowest 20 tests of each run beside each run's wall time, and README's sentence on how
long it takes (the newest record per entry point: an older one names the record that superseded it).

    python bench/fast_loop_table.py BEFORE.log AFTER.log --before-commit SHA --after-commit SHA --out results/X.json

reads two logs of `pytest ... --durations=80` (what `--durations` and the final summary line print) into a record;
bench/render_docs.py renders the record into the docs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DURATION = re.compile(r"^(\d+\.\d+)s (call|setup|teardown) +(\S.*)$")
SUMMARY = re.compile(r"^=*\s*(.*\bpassed\b.*) in (\d+\.\d+)s")


def read_log(path: Path) -> dict:
    """The --durations rows (slowest first) and pytest's summary line of one run's log."""
    slowest, summary, seconds = [], "", None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if m := DURATION.match(line.strip()):
            slowest.append([m.group(1), m.group(2), m.group(3)])
        elif m := SUMMARY.match(line.strip()):
            summary, seconds = m.group(1), float(m.group(2))
    if seconds is None or not slowest:
        raise ValueError(f"{path}: no pytest summary line or no --durations list (run pytest with --durations=80)")
    return {"pytest_seconds": seconds, "result": summary, "slowest": slowest[:20]}


def render_table(r: dict) -> str:
    before, after = r["runs"]["before"], r["runs"]["after"]
    lines = ["| rank | before: s | phase | test | after: s | phase | test |", "|---|---|---|---|---|---|---|"]
    for i in range(20):
        b = before["slowest"][i] if i < len(before["slowest"]) else ["", "", ""]
        a = after["slowest"][i] if i < len(after["slowest"]) else ["", "", ""]
        cells = [str(i + 1), b[0], b[1], f"`{b[2]}`" if b[2] else "", a[0], a[1], f"`{a[2]}`" if a[2] else ""]
        lines.append("| " + " | ".join(cells) + " |")
    m, v = r["machine"], r["versions"]
    lines += [
        "",
        f"Whole run (pytest's own figure): before {before['pytest_seconds']:.0f} s ({before['result']}), after "
        f"{after['pytest_seconds']:.0f} s ({after['result']}). Load average (1 min) while each ran: before "
        f"{before['load_average_1min']}, after {after['load_average_1min']}, on {m['cores']} cores.",
        *quiet_line(r),
        "",
        f"{r['date']}, commits {before['git_commit'][:7]} (before) and {after['git_commit'][:7]} (after), CPU: "
        f"{m['cpu']}, {m['cores']} cores, torch threads {m['torch_threads']}, torch {v['torch']}, transformers "
        f"{v['transformers']}, trl {v['trl']}. Record: `results/{r['name']}.json`.",
    ]
    return "\n".join(lines)


def quiet_line(r: dict) -> list[str]:
    """The after-run again with nothing else on the machine, where the record has one."""
    quiet = r["runs"].get("after_quiet")
    if quiet is None:
        return []
    return [
        f"The after-state again with nothing else running (commit {quiet['git_commit'][:7]}, load average "
        f"{quiet['load_average_1min']}): {quiet['pytest_seconds']:.0f} s ({quiet['result']})."
    ]


def render_readme(r: dict) -> str:
    m, entry = r["machine"], r.get("entry", "make test-fast")
    after = r["runs"].get("after_quiet") or r["runs"]["after"]
    quiet = "after_quiet" in r["runs"] or r.get("nothing_else_running", False)
    where = "with nothing else running" if quiet else "shared with other work"
    return (
        f"Measured {r['date']} on {m['cores']} {m['cpu']} cores {where} (1-minute load average "
        f"{after['load_average_1min']}, while it ran): `{entry}` took {after['pytest_seconds']:.0f} s "
        f"({after['result']}); pytest's collection alone (importing torch, transformers and TRL) "
        f'{r["collection_seconds"]:.0f} s. Slowest tests before and after: BENCHMARKS.md, "Test suite: where the '
        f'time goes". Record: `results/{r["name"]}.json`.'
    )


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    out = {"table": (render_table(r), [REPO / "BENCHMARKS.md"])}
    if "superseded_by" not in r:  # README quotes the newest figure only
        out["readme"] = (render_readme(r), [REPO / "README.md"])
    return out


def versions() -> dict:
    import peft
    import torch
    import transformers
    import trl

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "peft": peft.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--before-commit", required=True)
    parser.add_argument("--after-commit", required=True)
    parser.add_argument("--before-load", required=True, help="1-minute load averages sampled while it ran")
    parser.add_argument("--after-load", required=True, help="1-minute load averages sampled while it ran")
    parser.add_argument("--quiet", type=Path, help="the after-state's log again, on an otherwise idle machine")
    parser.add_argument("--quiet-commit")
    parser.add_argument("--quiet-load")
    parser.add_argument("--collection-seconds", type=float, required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--entry", default="make test-fast", help="the entry point both logs ran")
    parser.add_argument("--what", required=True, help="what the two runs are, for the record")
    parser.add_argument("--nothing-else-running", action="store_true", help="the machine ran nothing else meanwhile")
    args = parser.parse_args()
    import torch

    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("Model name")), "")
    runs = {}
    for name, log, commit, load in (
        ("before", args.before, args.before_commit, args.before_load),
        ("after", args.after, args.after_commit, args.after_load),
    ):
        runs[name] = {"git_commit": commit, "load_average_1min": load, **read_log(log)}
    if args.quiet:
        runs["after_quiet"] = {"git_commit": args.quiet_commit, "load_average_1min": args.quiet_load}
        runs["after_quiet"].update(read_log(args.quiet))
    record = {
        "name": args.out.stem,
        "what": args.what,
        "entry": args.entry,
        "nothing_else_running": args.nothing_else_running,
        "command": args.command,
        "collection_command": args.command.replace("--durations=80", "--collect-only"),
        "collection_seconds": args.collection_seconds,
        "git_commit": args.after_commit,
        "date": args.date,
        "machine": {
            "cpu": model or platform.processor(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_at_record": list(os.getloadavg()),
        },
        "versions": versions(),
        "runs": runs,
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
