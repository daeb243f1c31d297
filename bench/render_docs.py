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
import environments
import eval_generation_table
import fast_loop_table
import gpt3_arithmetic_table
import gpu_history_table
import lm_eval_tables
import real_benchmarks_table
import reward_throughput_table
import sandbox_table
import table_record
import tools_table

REPO = Path(__file__).resolve().parents[1]
# record name (results/<name>.json) -> the renderer's blocks(record) -> {block: (markdown, docs)}
RENDERERS = {
    "gpt3_arithmetic": gpt3_arithmetic_table.blocks,
    "lm_eval_agreement": lm_eval_tables.agreement_blocks,
    "export_parity": lm_eval_tables.parity_blocks,
    "environments": environments.blocks,
    "default_run": default_run_table.blocks,
    "real_benchmarks": real_benchmarks_table.blocks,
    "gpu_h100_history": gpu_history_table.blocks,
    "tools_multiply_base": tools_table.blocks,
    "eval_generation": eval_generation_table.blocks,
    "reward_throughput": reward_throughput_table.blocks,
    "sandbox_isolation": sandbox_table.blocks,
    "test_fast_durations_dec06": fast_loop_table.blocks,
    "test_durations_dec07": fast_loop_table.blocks,
    "test_fast_durations_dec07": fast_loop_table.blocks,
}
# Tables converted from a run's printed output (bench/table_record.py), by the doc that shows them
TABLE_RECORDS = {
    "BENCHMARKS.md": [
        "test_durations_dec06",
        "rollout_transposed_dec01",
        "profile_transposed_dec01",
        "profile_inverse_cdf_dec01",
        "profile_defaults_dec01",
        "power_check_cost_nov30",
        "time_to_accuracy_nov30",
        "serve_openai_quiet",
        "serve_compile_quiet",
        "ab_default_dec01",
        "rollout_levers_dec01",
        "profile_gsm8k_nov30",
        "overhead_dec06",
        "overhead_nov23",
        "eval_generation_nov23",
        "pruning_runs_nov30",
        "rollout_levers_nov30",
        "scaling_nov23",
        "profile_nov23",
        "threads_nov23",
        "serve_shared_nov30",
        "serve_httpx_nov30",
        "serve_loaded_nov23",
        "tools_sampling_nov30",
        "tools_trained_nov30",
    ],
    "RECIPE_NOTES.md": [
        "recipe_temperature_dec01",
        "recipe_16_token_search",
        "recipe_benchmark_probes",
        "recipe_honest_nov30",
    ],
}
for _doc, _names in TABLE_RECORDS.items():
    RENDERERS.update({name: table_record.blocks_in(_doc) for name in _names})
RECORDS = {name: (REPO / "results" / f"{name}.json", blocks) for name, blocks in RENDERERS.items()}


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
