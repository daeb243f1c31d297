"""The GPT-3 arithmetic table, rendered from its committed record: the docs cannot drift from the measurement.

    python bench/gpt3_arithmetic_table.py results/gpt3_arithmetic.json              # print the table
    python bench/gpt3_arithmetic_table.py results/gpt3_arithmetic.json --write-docs # refresh README/BENCHMARKS

The docs hold each rendered block between `<!-- gpt3_arithmetic:<block> -->` and `<!-- /gpt3_arithmetic:<block> -->`
(the table in README and BENCHMARKS, the trained model's errors in BENCHMARKS); tests/docs/test_rendered_results.py
fails when a block differs from what this renders from the record.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import doc_blocks

RECORD_NAME = "gpt3_arithmetic"
REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "BENCHMARKS.md"]

# Brown et al. 2020 (arXiv 2005.14165), section 3.9.1, few-shot, as the paper's text states them: (shown, upper %).
# A range ("25-26") is compared at its upper end, so "above GPT-3" never leans on the lower figure.
GPT3_175B = {
    "2D+": ("100", 100.0),
    "2D-": ("98.9", 98.9),
    "3D+": ("80.2", 80.2),
    "3D-": ("94.2", 94.2),
    "4D+": ("25-26", 26.0),
    "4D-": ("25-26", 26.0),
    "5D+": ("9-10", 10.0),
    "5D-": ("9-10", 10.0),
    "2Dx": ("29.2", 29.2),
    "1DC": ("21.3", 21.3),
}
TRUNCATION = ("truncation_base", "truncation_trained")
# The paper's text on the 13B model: about half right on 2-digit addition and subtraction, under 10% elsewhere.
GPT3_13B = {task: ("~50" if task in ("2D+", "2D-") else "<10") for task in GPT3_175B}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def verdict(row: dict) -> str:
    bar = GPT3_175B[row["task"]][1] / 100
    if row["trained_ci95"][0] > bar:
        return "**above** (CI)"
    return "above" if row["trained"] > bar else "below"


def render_markdown(result: dict) -> str:
    stages, m = result["stages"], result["machine"]
    lines = [
        "| task | rows | base | warm start (SFT) | trained (SFT + GRPO) | 95% CI | McNemar p vs base | truncated base / trained "
        "| GPT-3 13B | GPT-3 175B few-shot | vs 175B |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["tasks"]:
        lines.append(
            f"| {r['task']} | {r['rows']} | {_pct(r['base'])} | {_pct(r['warm_start'])} | {_pct(r['trained'])} "
            f"| {_pct(r['trained_ci95'][0])}-{_pct(r['trained_ci95'][1])} | {r['mcnemar_p_base_vs_trained']:.2g} "
            f"| {_pct(r['truncation_base'])} / {_pct(r['truncation_trained'])} | {GPT3_13B[r['task']]} "
            f"| {GPT3_175B[r['task']][0]} | {verdict(r)} |"
        )
    above = sum(verdict(r) != "below" for r in result["tasks"])
    above_ci = sum(verdict(r) == "**above** (CI)" for r in result["tasks"])
    sft, grpo = stages.get("sft", {}), stages.get("grpo", {})
    tasks = result["tasks"]
    truncated = {k: sum(r[k] * r["rows"] for r in tasks) / sum(r["rows"] for r in tasks) for k in TRUNCATION}
    lines += [
        "",
        f"Accuracy in %, exact match of the integer, greedy, {grpo.get('eval_max_new_tokens')} new tokens, on the first "
        f"{result['tasks'][0]['rows']} published rows of each task; truncated at that budget: base "
        f"{_pct(truncated['truncation_base'])}%, trained {_pct(truncated['truncation_trained'])}% of all rows. "
        f"Above GPT-3 175B few-shot on {above} of "
        f"{len(result['tasks'])} tasks, {above_ci} with the whole Wilson 95% interval above it. Training: warm start "
        f"{sft.get('global_step')} steps in {_minutes(sft.get('train_runtime_s'))}, GRPO {grpo.get('global_step')} "
        f"steps in {_minutes(grpo.get('train_runtime_s'))}; {m['cpu']}, {m['cores']} cores, {m['torch_threads']} "
        f"torch threads, {m['date']}, commit {result['git_commit'][:7]}, trl {result['versions']['trl']}.",
    ]
    if isinstance(grpo.get("accuracy_before"), float):
        lines[-1] += (
            f" GRPO's own effect, warm start -> trained over all {sum(r['rows'] for r in tasks)} rows: "
            f"{_pct(grpo['accuracy_before'])}% -> {_pct(grpo['accuracy_after'])}% ({grpo['problems_improved']} "
            f"improved, {grpo['problems_regressed']} regressed, McNemar p = {grpo['mcnemar_p_value']:.2g})."
        )
    return "\n".join(lines)


def render_errors(result: dict) -> str:
    """Where GPT-3 stays ahead: the trained model's accuracy by the answer's sign and its first wrong answers."""
    lines = []
    for r in result["tasks"]:
        if verdict(r) != "below":
            continue
        (neg, n_neg), (pos, n_pos) = r["trained_negative_answers"], r["trained_other_answers"]
        split = f"{neg}/{n_neg} right where the answer is negative, {pos}/{n_pos} elsewhere" if n_neg else ""
        lines.append(
            f"- **{r['task']}** ({_pct(r['trained'])}% vs {GPT3_175B[r['task']][0]}%){': ' + split if split else ''}."
        )
        for ex in r["wrong_examples"]:
            work = ex["completion"].replace("\n", " / ")
            lines.append(f'  - "{ex["question"]}" (gold {ex["answer"]}): `{work}`')
    return "\n".join(lines)


def _minutes(seconds: float | None) -> str:
    return "not run" if seconds is None else f"{seconds / 60:.1f} min"


def render_plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [r["task"] for r in result["tasks"]]
    x = range(len(tasks))
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.27
    series = [
        ("SmolLM2-135M base", [100 * r["base"] for r in result["tasks"]]),
        ("SmolLM2-135M trained", [100 * r["trained"] for r in result["tasks"]]),
        ("GPT-3 175B few-shot", [GPT3_175B[t][1] for t in tasks]),
    ]
    for k, (label, values) in enumerate(series):
        ax.bar([i + (k - 1) * width for i in x], values, width, label=label)
    low = [100 * (r["trained"] - r["trained_ci95"][0]) for r in result["tasks"]]
    high = [100 * (r["trained_ci95"][1] - r["trained"]) for r in result["tasks"]]
    ax.errorbar(list(x), series[1][1], yerr=[low, high], fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(list(x), tasks)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("GPT-3's arithmetic test sets: first 200 published rows per task")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def blocks(result: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    return {"table": (render_markdown(result), DOCS), "errors": (render_errors(result), [REPO / "BENCHMARKS.md"])}


def read_block(text: str, block: str, where: str) -> str:
    return doc_blocks.read_block(text, RECORD_NAME, block, where)


def replace_block(text: str, block: str, body: str, where: str) -> str:
    return doc_blocks.replace_block(text, RECORD_NAME, block, body, where)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("record", type=Path)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    result = json.loads(args.record.read_text(encoding="utf-8"))
    if args.write_docs:
        for block, (body, docs) in blocks(result).items():
            for doc in docs:
                doc.write_text(replace_block(doc.read_text(encoding="utf-8"), block, body, doc.name), encoding="utf-8")
    print(render_markdown(result))


if __name__ == "__main__":
    main()
