"""Render every figure block in the docs from its committed record under results/ (run by `make docs`).

    python bench/render_docs.py            # rewrite every block from its record
    python bench/render_docs.py --check    # exit 1 naming each block that differs from its record

A record is a JSON file with the command, commit, date, machine and versions beside its figures; a renderer module
in bench/ turns it into Markdown blocks (bench/doc_blocks.py: `<!-- <record>:<block> -->` markers).
tests/docs/test_rendered_results.py runs the same check.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import default_run_table
import doc_blocks
import eval_generation_table
import gpt3_arithmetic_table
import gpu_history_table
import lm_eval_tables
import real_benchmarks_table
import reward_throughput_table
import sandbox_table
import table_record
import tools_table

REPO = Path(__file__).resolve().parents[1]
# record name -> (its file, the renderer's blocks(record) -> {block: (markdown, docs)})
RECORDS = {
    "gpt3_arithmetic": (REPO / "results" / "gpt3_arithmetic.json", gpt3_arithmetic_table.blocks),
    "lm_eval_agreement": (REPO / "results" / "lm_eval_agreement.json", lm_eval_tables.agreement_blocks),
    "export_parity": (REPO / "results" / "export_parity.json", lm_eval_tables.parity_blocks),
    "default_run": (REPO / "results" / "default_run.json", default_run_table.blocks),
    "real_benchmarks": (REPO / "results" / "real_benchmarks.json", real_benchmarks_table.blocks),
    "gpu_h100_history": (REPO / "results" / "gpu_h100_history.json", gpu_history_table.blocks),
    "tools_multiply_base": (REPO / "results" / "tools_multiply_base.json", tools_table.blocks),
    "eval_generation": (REPO / "results" / "eval_generation.json", eval_generation_table.blocks),
    "reward_throughput": (REPO / "results" / "reward_throughput.json", reward_throughput_table.blocks),
    "sandbox_isolation": (REPO / "results" / "sandbox_isolation.json", sandbox_table.blocks),
    "serve_openai_quiet": (REPO / "results" / "serve_openai_quiet.json", table_record.blocks_in("BENCHMARKS.md")),
    "serve_compile_quiet": (REPO / "results" / "serve_compile_quiet.json", table_record.blocks_in("BENCHMARKS.md")),
    "rollout_transposed_dec01": (
        REPO / "results" / "rollout_transposed_dec01.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "profile_transposed_dec01": (
        REPO / "results" / "profile_transposed_dec01.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "ab_default_dec01": (REPO / "results" / "ab_default_dec01.json", table_record.blocks_in("BENCHMARKS.md")),
    "rollout_levers_dec01": (REPO / "results" / "rollout_levers_dec01.json", table_record.blocks_in("BENCHMARKS.md")),
    "profile_inverse_cdf_dec01": (
        REPO / "results" / "profile_inverse_cdf_dec01.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "profile_defaults_dec01": (
        REPO / "results" / "profile_defaults_dec01.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "profile_gsm8k_nov30": (REPO / "results" / "profile_gsm8k_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "overhead_nov23": (REPO / "results" / "overhead_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "eval_generation_nov23": (REPO / "results" / "eval_generation_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "pruning_runs_nov30": (REPO / "results" / "pruning_runs_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "rollout_levers_nov30": (REPO / "results" / "rollout_levers_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "power_check_cost_nov30": (
        REPO / "results" / "power_check_cost_nov30.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "time_to_accuracy_nov30": (
        REPO / "results" / "time_to_accuracy_nov30.json",
        table_record.blocks_in("BENCHMARKS.md"),
    ),
    "scaling_nov23": (REPO / "results" / "scaling_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "profile_nov23": (REPO / "results" / "profile_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "threads_nov23": (REPO / "results" / "threads_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "serve_shared_nov30": (REPO / "results" / "serve_shared_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "serve_httpx_nov30": (REPO / "results" / "serve_httpx_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "serve_loaded_nov23": (REPO / "results" / "serve_loaded_nov23.json", table_record.blocks_in("BENCHMARKS.md")),
    "tools_sampling_nov30": (REPO / "results" / "tools_sampling_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "tools_trained_nov30": (REPO / "results" / "tools_trained_nov30.json", table_record.blocks_in("BENCHMARKS.md")),
    "recipe_temperature_dec01": (
        REPO / "results" / "recipe_temperature_dec01.json",
        table_record.blocks_in("RECIPE_NOTES.md"),
    ),
    "recipe_honest_nov30": (REPO / "results" / "recipe_honest_nov30.json", table_record.blocks_in("RECIPE_NOTES.md")),
    "recipe_16_token_search": (
        REPO / "results" / "recipe_16_token_search.json",
        table_record.blocks_in("RECIPE_NOTES.md"),
    ),
    "recipe_benchmark_probes": (
        REPO / "results" / "recipe_benchmark_probes.json",
        table_record.blocks_in("RECIPE_NOTES.md"),
    ),
}


def rendered() -> list[tuple[str, str, str, Path]]:
    """(record name, block, expected Markdown, doc) for every block of every record"""
    out = []
    for name, (path, blocks) in RECORDS.items():
        for block, (body, docs) in blocks(json.loads(path.read_text(encoding="utf-8"))).items():
            out += [(name, block, body.strip(), doc) for doc in docs]
    return out


def stale() -> list[str]:
    return [
        f"{doc.relative_to(REPO)}: block {name}:{block} differs from results/{RECORDS[name][0].name}"
        for name, block, body, doc in rendered()
        if doc_blocks.read_block(doc.read_text(encoding="utf-8"), name, block, doc.name) != body
    ]


def write() -> None:
    for name, block, body, doc in rendered():
        text = doc.read_text(encoding="utf-8")
        doc.write_text(doc_blocks.replace_block(text, name, block, body, doc.name), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report blocks that differ; exit 1 if any")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        print("\n".join(problems) or "every rendered block matches its record")
        sys.exit(1 if problems else 0)
    write()


if __name__ == "__main__":
    main()
