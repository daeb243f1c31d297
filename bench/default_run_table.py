"""The default recipe's figures (README's headline table, the speed and seed sentences, BENCHMARKS' A/B table),
rendered from results/default_run.json. bench/render_docs.py writes them into the docs."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD_NAME = "default_run"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f}"


def _min_s(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(round(seconds % 60))} s"


def provenance(r: dict) -> str:
    m, v = r["machine"], r["versions"]
    return (
        f"{r['date']}, commit {r['git_commit'][:7]}, torch {v['torch']}, transformers {v['transformers']}, "
        f"trl {v['trl']}, peft {v['peft']}; CPU: {m['cpu']}. Record: `results/default_run.json`."
    )


def render_table(r: dict) -> str:
    f, e = r["fresh_clone"], r["eval"]
    gain = f["accuracy_after"] - f["accuracy_before"]
    return "\n".join(
        [
            f"| run (2-core VM, no GPU) | held-out accuracy at {e['max_new_tokens']} new tokens, graded by `gsm8k` (last "
            "answer) | truncated before → after | gain (95% paired bootstrap CI) | training | pipeline wall time |",
            "|---|---|---|---|---|---|",
            f"| `make run` from a fresh clone, {f['started_utc']} UTC | {_pct(f['accuracy_before'])}% → "
            f"**{_pct(f['accuracy_after'])}%** | {_pct(f['truncation_before'])}% → **{_pct(f['truncation_after'])}%** "
            f"| **{_pts(gain)} pts** [{_pct(f['gain_ci95'][0])}, {_pct(f['gain_ci95'][1])}], {f['improved']} improved / "
            f"{f['regressed']} regressed, McNemar p = {f['mcnemar_p']:.0e} | {f['train_runtime_s']} s ({f['steps']} steps) "
            f"| **{_min_s(f['pipeline_wall_s'])}** (`time make run`: {_min_s(f['make_run_wall_s'])}, of which "
            f"{_min_s(f['venv_build_s'])} built `.venv`) |",
            "",
            provenance(r),
        ]
    ).replace("e-0", "e-")


def render_speed(r: dict) -> str:
    arms = {a["arm"]: a for a in r["ab"]["arms"]}
    trl, ours = arms["trl_step"]["train_runtime_s"], arms["defaults"]["train_runtime_s"]
    run = r["fresh_clone"]["train_runtime_s"]
    return (
        f"Against TRL's own step on the same recipe ({trl} s of training with every saving off) this run's {run} s is "
        f"{run / trl:.2f}x; in that A/B's own sitting the defaults trained in {ours} s, {ours / trl:.2f}x, and ended "
        "with the same 64 held-out answers, word for word (BENCHMARKS.md, Rollouts)."
    )


def render_seeds(r: dict) -> str:
    before = r["fresh_clone"]["accuracy_before"]
    after = r["seeds"]["accuracy_after"]
    gains = [_pts(after[s] - before) for s in after]
    return (
        f"Three training seeds of this recipe ({', '.join(after)}; same data and eval set, `train.seed=1,2`) ended at "
        f"{', '.join(gains[:-1])} and {gains[-1]} points"
    )


def render_budget(r: dict) -> str:
    b, (at_budget, at_double) = r["eval"]["budget_check"], r["fresh_clone"]["budget_check_accuracy"]
    return (
        f"(`eval.budget_check_factor`) the first {b['rows']} held-out problems score {_pct(at_budget)}% at "
        f"{r['eval']['max_new_tokens']} and {_pct(at_double)}% at {b['max_new_tokens']} new tokens"
    )


def render_ab_ratio(r: dict) -> str:
    arms = {a["arm"]: a for a in r["ab"]["arms"]}
    return f"{arms['defaults']['train_runtime_s'] / arms['trl_step']['train_runtime_s']:.2f}x"


def render_gain(r: dict) -> str:
    f = r["fresh_clone"]
    gain = f["accuracy_after"] - f["accuracy_before"]
    return (
        f"the default run's {_pts(gain)} points has a 95% paired bootstrap CI of [{_pct(f['gain_ci95'][0])}, "
        f"{_pct(f['gain_ci95'][1])}], {f['improved']} problems improved and {f['regressed']} regressed, McNemar p = "
        f"{f['mcnemar_p']:.0e}".replace("e-0", "e-")
    )


def render_ab(r: dict) -> str:
    e = r["eval"]
    lines = [
        f"| arm (seed 42) | held-out at {e['max_new_tokens']} tok | training | generation | optimisation | wall "
        "(`cost/wall_s`) | steps with no signal | mean completion length |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in r["ab"]["arms"]:
        bold = a["arm"] == "defaults"
        after = f"**{_pct(a['accuracy_after'])}%**" if bold else f"{_pct(a['accuracy_after'])}%"
        train = f"**{a['train_runtime_s']} s**" if bold else f"{a['train_runtime_s']} s"
        signal = "(not pruned)" if a["steps_no_signal"] is None else f"{a['steps_no_signal']} of 60"
        lines.append(
            f"| {a['label']} | {_pct(a['accuracy_before'])}% → {after} | {train} | {a['generation_s']} s "
            f"| {a['optimisation_s']} s | {a['wall_s']} s | {signal} | {a['mean_completion_length']} |"
        )
    return "\n".join([*lines, "", provenance(r)])


def blocks(r: dict) -> dict[str, tuple[str, list[Path]]]:
    """block name -> (its Markdown rendered from the record, the docs that hold it)"""
    readme, bench = REPO / "README.md", REPO / "BENCHMARKS.md"
    return {
        "table": (render_table(r), [readme]),
        "speed": (render_speed(r), [readme]),
        "seeds": (render_seeds(r), [readme, REPO / "docs" / "best_practices.md"]),
        "budget": (render_budget(r), [readme]),
        "ab_ratio": (render_ab_ratio(r), [REPO / "docs" / "best_practices.md"]),
        "gain": (render_gain(r), [REPO / "docs" / "best_practices.md"]),
        "ab": (render_ab(r), [bench]),
    }
