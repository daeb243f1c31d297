"""The lm-eval agreement and export parity tables (README, BENCHMARKS), rendered from results/lm_eval_agreement.json
and results/export_parity.json: one row per run that bench/lm_eval_agreement.py / bench/export_parity.py recorded."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _provenance(r: dict, name: str) -> str:
    m, v = r["machine"], r["versions"]
    versions = ", ".join(f"{k} {v[k]}" for k in ("lm-eval", "torch", "transformers", "peft") if k in v)
    return f"{m['date']}, CPU: {m['cpu']} ({m['cores']} cores), {versions}. Record (each row's command and commit): `results/{name}.json`."


def _fraction(k: int, n: int) -> str:
    return f"{k / n:.3f} ({k}/{n})"


def agreement_table(r: dict) -> str:
    lines = [
        "| task | model | rows | `mode=eval` accuracy | lm-eval accuracy | same verdict | identical completions | truncated (eval / lm-eval) | commit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for row in r["rows"]:
        n, model = row["rows"], row["key"].split(" | ", 1)[1]
        model = "SmolLM2-135M-Instruct base" if model == "base" else f"`{model}`"
        same = n - len(row["rows_where_verdicts_differ"])
        lines.append(
            f"| `{row['task']}` | {model} | {n} | {_fraction(row['project_correct'], n)} | "
            f"{_fraction(row['lm_eval_correct'], n)} | {same}/{n} | {row['identical_completions']}/{n} | "
            f"{row['project_truncated']} / {row['lm_eval_truncated']} | {row['git_commit'][:7]} |"
        )
    return "\n".join(lines + ["", _provenance(r, "lm_eval_agreement")])


def parity_table(r: dict) -> str:
    lines = [
        "| run | steps | held-out accuracy after | held-out rows | identical completions | commit |",
        "|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        run, n = row["run"], row["rows"]
        lines.append(
            f"| `{row['key']}` | {run['global_step']} | {run['accuracy_after']:.3f} | {n} | "
            f"{row['identical_completions']}/{n} | {row['git_commit'][:7]} |"
        )
    return "\n".join(lines + ["", _provenance(r, "export_parity")])


def agreement_blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    return {"table": (agreement_table(r), [REPO / "README.md", REPO / "BENCHMARKS.md"])}


def parity_blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    return {"table": (parity_table(r), [REPO / "BENCHMARKS.md"])}
