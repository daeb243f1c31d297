"""An exported run, loaded by plain transformers in a fresh process, writes the run's own eval_after completions?

    python bench/export_parity.py --run outputs/DATE/TIME --out outputs/export_parity/default
    python bench/export_parity.py --run ... --out ... --record results/export_parity.json   # adds or replaces its row

1. `python run_pipeline.py mode=export export.run_dir=<run> export.output_dir=<out>/model` (skipped when
   <out>/model/export.json exists).
2. A fresh interpreter (`python -I`, run from <out>: no PYTHONPATH, no repo on sys.path) runs PLAIN below: it
   imports torch and transformers only (and asserts that nothing of this project got imported), loads the folder
   with AutoModelForCausalLM / AutoTokenizer, and generates greedily on the run's held-out prompts with the run's
   budget and batch size, the way any transformers user would: the folder's chat template, left padding, the
   completion cut at the first end-of-turn/pad token, special tokens skipped.
3. Its completions are compared, row by row, with the run's eval_after completions (completions_eval.jsonl).
Exit 1 unless every completion is identical.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import REPO, machine
from record_rows import upsert_row

from components.evaluation.history import EVAL_HISTORY, read_history

PLAIN = r"""
import json, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

folder, prompts_file, out_file = sys.argv[1:4]
job = json.load(open(prompts_file))
model = AutoModelForCausalLM.from_pretrained(folder).eval()
tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left")
assert not any(m.split(".")[0] in ("components", "serve", "run_pipeline") for m in sys.modules), "imported the project"
ends = {tokenizer.eos_token_id, tokenizer.pad_token_id}
completions, lengths = [], []
with torch.inference_mode():
    for i in range(0, len(job["prompts"]), job["batch_size"]):
        texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
                 for p in job["prompts"][i : i + job["batch_size"]]]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)  # the template has BOS
        out = model.generate(**batch, max_new_tokens=job["max_new_tokens"], do_sample=False, temperature=None,
                             top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id)
        for row in out[:, batch["input_ids"].shape[1]:].tolist():
            n = next((j for j, t in enumerate(row) if t in ends), len(row))
            completions.append(tokenizer.decode(row[:n], skip_special_tokens=True))
            lengths.append(n)
json.dump({"completions": completions, "completion_tokens": lengths}, open(out_file, "w"))
"""


def export(run_dir: Path, folder: Path) -> None:
    if (folder / "export.json").is_file():
        print(f"export: done before ({folder})", flush=True)
        return
    cmd = [sys.executable, "run_pipeline.py", "mode=export", f"export.run_dir={run_dir}", f"export.output_dir={folder}",
           f"hydra.run.dir={folder.parent / 'export_hydra'}"]  # fmt: skip
    print("export: " + " ".join(cmd[1:]), flush=True)
    with open(folder.parent / "export.log", "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode:
        raise SystemExit(f"export failed (exit {proc.returncode}); see {folder.parent / 'export.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="a finished training run dir")
    parser.add_argument("--out", type=Path, required=True, help="a folder for the export and the plain completions")
    parser.add_argument("--record", type=Path, default=None, help="also write the result as a JSON record here")
    args = parser.parse_args()
    run_dir, out = args.run.resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    after = [r for r in read_history(run_dir / EVAL_HISTORY) if r["tag"] == "after" and r.get("sample") is None]
    if not after:
        raise SystemExit(f"{run_dir / EVAL_HISTORY}: no eval_after rows (is the run finished?)")
    summary = json.loads((run_dir / "summary.json").read_text())
    config = json.loads((run_dir / "provenance.json").read_text()) if (run_dir / "provenance.json").is_file() else {}
    import yaml

    eval_cfg = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())["eval"]
    budget, batch_size = summary["eval_max_new_tokens"], eval_cfg["batch_size"]
    export(run_dir, out / "model")
    job = {"prompts": [r["prompt"] for r in after], "max_new_tokens": budget, "batch_size": batch_size}
    (out / "prompts.json").write_text(json.dumps(job), encoding="utf-8")
    (out / "plain.py").write_text(PLAIN, encoding="utf-8")
    cmd = [
        sys.executable,
        "-I",
        str(out / "plain.py"),
        str(out / "model"),
        str(out / "prompts.json"),
        str(out / "plain.json"),
    ]
    print("plain transformers: " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"plain transformers failed: {proc.stderr[-2000:]}")
    plain = json.loads((out / "plain.json").read_text())
    differ = [  # the same text and the same number of generated tokens (a tiny model's tokens may decode to "")
        {"row": i, "question": r["question"], "run": r["completion"], "plain": p, "tokens": [r["completion_tokens"], n]}
        for i, (r, p, n) in enumerate(zip(after, plain["completions"], plain["completion_tokens"]))
        if (r["completion"], r["completion_tokens"]) != (p, n)
    ]
    n = len(after)
    print(f"{n - len(differ)}/{n} plain-transformers completions identical to the run's eval_after completions "
          f"(max_new_tokens={budget}, batch {batch_size}, greedy)")  # fmt: skip
    for row in differ:
        print(f"  row {row['row']} {row['question']!r} (tokens run/plain {row['tokens']}):")
        print(f"    run:   {row['run']!r}\n    plain: {row['plain']!r}")
    if args.record:
        write_record(args, summary, config, budget, batch_size, n, differ)
    sys.exit(0 if not differ else 1)


def write_record(args, summary: dict, config: dict, budget: int, batch_size: int, n: int, differ: list) -> None:
    """Add (or replace) this run's row in the record the docs' table is rendered from."""
    from importlib.metadata import version

    record = {
        "benchmark": "export_parity",
        "key": str(args.run),
        "command": " ".join(["python", "bench/export_parity.py", *sys.argv[1:]]),
        "git_commit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip(),
        "machine": machine(),
        "versions": {name: version(name) for name in ("torch", "transformers", "trl", "peft")},
        "run": {"accuracy_after": summary["accuracy_after"], "global_step": summary["global_step"],
                "eval_max_new_tokens": budget, "eval_batch_size": batch_size,
                "run_commit": config.get("git_commit"), "run_command": config.get("command")},
        "rows": n,
        "identical_completions": n - len(differ),
        "rows_that_differ": differ,
    }  # fmt: skip
    upsert_row(args.record, "export_parity", record, key="key")
    print(f"record: {args.record} (row {record['key']!r})")


if __name__ == "__main__":
    main()
