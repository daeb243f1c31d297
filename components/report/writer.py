"""report.md + report.html for a run dir, built only from the files the run wrote.

Inputs: .hydra/config.yaml, summary.json, eval_before.json / eval_after.json (mode=train) or eval.json
(mode=eval), metrics.jsonl, completions_eval.jsonl, completions_train.jsonl. Plots go to <run_dir>/plots/.
Run on any finished run dir: python -m components.report.writer <run_dir>
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from components.evaluation.history import EVAL_HISTORY, TRAIN_HISTORY, read_history
from components.jsonio import lookup
from components.report.episodes import environment_blocks

CONFIG_KEYS = [  # (label, dotted key) shown in the config summary when present
    ("mode", "mode"),
    ("seed", "seed"),
    ("model", "model._target_"),
    ("weights", "model.model_name_or_path"),
    ("data", "data._target_"),
    ("data path", "data.path"),
    ("prompts system", "prompts.system_prompt"),
    ("learning rate", "train.learning_rate"),
    ("max steps", "train.max_steps"),
    ("batch size", "train.per_device_train_batch_size"),
    ("generations", "train.num_generations"),
    ("max completion length", "train.max_completion_length"),
    ("beta", "train.beta"),
    ("eval samples (n)", "eval.n_samples"),
    ("eval k", "eval.k"),
    ("probe every", "eval.probe_every_steps"),
    ("evaluated run", "eval_run.run_dir"),
]
SAMPLES_SHOWN = 3


def _load_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _clip(text: Any, limit: int = 300) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit] + " …"


def _config_rows(run_dir: Path) -> list[list[str]]:
    # config_resolved.yaml (provenance) is what really ran: mode=eval swaps in the evaluated run's model there.
    path = next(
        (p for p in (run_dir / "config_resolved.yaml", run_dir / ".hydra" / "config.yaml") if p.is_file()), None
    )
    if path is None:
        return []
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    rows = [[label, _fmt(lookup(cfg, key))] for label, key in CONFIG_KEYS if lookup(cfg, key) is not None]
    names = [f.get("name") or f.get("function") for f in (lookup(cfg, "reward.reward_functions") or [])]
    weights = [f.get("weight", 1.0) for f in (lookup(cfg, "reward.reward_functions") or [])]
    if names:
        rows.append(["rewards", ", ".join(f"{n} x{w}" for n, w in zip(names, weights))])
    return rows


def _metric_table(columns: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    keys = [k for k in next(iter(columns.values())) if not k.startswith("seconds")]
    return ["metric", *columns], [[k, *(_fmt(m.get(k)) for m in columns.values())] for k in keys]


def _sample_rows(rows: list[dict]) -> list[list[str]]:
    return [
        [
            _fmt(r.get("index")),
            _clip(r.get("question"), 160),
            _fmt(r.get("answer")),
            _clip(r.get("completion")),
            _fmt(r.get("extracted")),
            _fmt(r.get("reward")),
            _fmt(r.get("correct")),
        ]
        for r in rows
    ]


def _sample_blocks(history: list[dict], last_tag: str) -> list[tuple]:
    greedy = {t: [r for r in history if r["tag"] == t and r.get("sample") is None] for t in ("before", last_tag)}
    final = greedy[last_tag]
    if not final:
        return []
    head = ["#", "question", "gold", "completion", "extracted", "reward", "correct"]
    ranked = sorted(final, key=lambda r: r.get("reward") or 0.0, reverse=True)
    blocks = [
        ("h", 3, f"Best {SAMPLES_SHOWN} ({last_tag})"),
        ("table", head, _sample_rows(ranked[:SAMPLES_SHOWN])),
        ("h", 3, f"Worst {SAMPLES_SHOWN} ({last_tag})"),
        ("table", head, _sample_rows(ranked[::-1][:SAMPLES_SHOWN])),
    ]
    before = {r["index"]: r for r in greedy["before"]}
    changed = [
        (before[r["index"]], r)
        for r in final
        if r["index"] in before
        and (
            before[r["index"]].get("extracted") != r.get("extracted")
            or before[r["index"]].get("correct") != r.get("correct")
        )
    ]
    if greedy["before"]:
        changed.sort(key=lambda p: p[0].get("correct") == p[1].get("correct"))  # flips of correctness first
        rows = [
            [
                _fmt(a["index"]),
                _clip(a.get("question"), 160),
                _fmt(a.get("answer")),
                _clip(b.get("completion"), 200),
                _fmt(b.get("extracted")),
                _fmt(b.get("reward")),
                _clip(a.get("completion"), 200),
                _fmt(a.get("extracted")),
                _fmt(a.get("reward")),
            ]
            for b, a in changed[:5]
        ]
        blocks += [
            ("h", 3, f"Answers that changed ({len(changed)} of {len(final)})"),
            ("table", ["#", "question", "gold", "before", "extracted", "reward", "after", "extracted", "reward"], rows)
            if rows
            else ("p", "No extracted answer changed between before and after."),
        ]
    return blocks


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, (int, float)) else "?"


def _headline(summary: dict, before: dict | None, after: dict | None) -> list[tuple]:
    """Accuracy with its budget, grader and truncation rates, and the budget check's warning, first."""
    if not (summary and before and after):
        return []
    line = (
        f"Held-out greedy accuracy at {summary.get('eval_max_new_tokens', before.get('max_new_tokens', '?'))} new "
        f"tokens, graded by `{summary.get('grader', '?')}`: {_pct(before.get('accuracy'))} before -> "
        f"{_pct(after.get('accuracy'))} after; truncated {_pct(before.get('truncation_rate'))} before, "
        f"{_pct(after.get('truncation_rate'))} after."
    )
    if "budget_check/accuracy_larger" in summary:
        line += (
            f" At {summary['budget_check/larger_budget']} new tokens the first {summary['budget_check/problems']} "
            f"problems score {_pct(summary['budget_check/accuracy_larger'])} (vs {_pct(summary['budget_check/accuracy'])})."
        )
    blocks: list[tuple] = [("h", 2, "Headline"), ("p", line)]
    if summary.get("budget_check/warning"):
        blocks.append(("p", f"WARNING (budget check): {summary['budget_check/warning']}"))
    return blocks


def _power_check(summary: dict) -> list[tuple]:
    """The pre-flight power check (components/training/power_check.py): will the groups carry signal?"""
    if "power_check/informative_share" not in summary:
        return []
    how = (
        "binomial in each prompt's share of samples at the higher reward"
        if summary.get("power_check/method") == "binomial"
        else "observed: the reward is not binary, so this is the share of prompts whose samples' rewards differ"
    )
    line = (
        f"Before training, {summary.get('power_check/samples_per_prompt')} samples for each of "
        f"{summary.get('power_check/prompts')} train prompts: {_pct(summary['power_check/informative_share'])} of "
        f"groups of {summary.get('power_check/group_size')} expected to carry signal ({how}); pass rate "
        f"{_pct(summary.get('power_check/pass_rate'))}, pass@{summary.get('power_check/k')} "
        f"{_pct(summary.get('power_check/pass_at_k'))}, truncated {_pct(summary.get('power_check/truncation_rate'))}."
    )
    blocks: list[tuple] = [("h", 2, "Pre-flight power check"), ("p", line)]
    if summary.get("power_check/warning"):
        blocks.append(("p", f"WARNING: {summary['power_check/warning']}"))
    return blocks


def build_blocks(run_dir: Path) -> list[tuple]:
    from components.report import plots  # matplotlib loads only when a report is written

    run_dir = Path(run_dir)
    plot_dir = run_dir / "plots"
    plot_dir.mkdir(exist_ok=True)
    summary = _load_json(run_dir / "summary.json") or {}
    before, after = _load_json(run_dir / "eval_before.json"), _load_json(run_dir / "eval_after.json")
    single = _load_json(run_dir / "eval.json")
    metrics_path = run_dir / "metrics.jsonl"
    rows = read_history(metrics_path)
    history = read_history(run_dir / EVAL_HISTORY)
    blocks: list[tuple] = [("h", 1, f"Run report: {run_dir.name}"), ("p", f"Run dir: `{run_dir}`")]
    blocks += _headline(summary, before, after)  # accuracy with its budget, grader and truncation, first
    blocks += _power_check(summary)
    config = _config_rows(run_dir)
    if config:
        blocks += [("h", 2, "Configuration"), ("table", ["setting", "value"], config)]
    if summary:
        blocks += [("h", 2, "Summary"), ("table", ["key", "value"], [[k, _fmt(v)] for k, v in summary.items()])]
    columns = {"before": before, "after": after} if before and after else {"eval": single} if single else {}
    blocks += environment_blocks(columns)  # per environment, with a game's optimum: before the long tables
    if columns:
        blocks += [("h", 2, "Metrics"), ("table", *_metric_table(columns))]
    figures = []
    if before and after and "accuracy_gain_ci_low" in summary:
        figures.append(
            ("Before/after accuracy", plots.before_after(before, after, summary, plot_dir / "before_after.png"))
        )
    figures.append(
        (
            "Reward and accuracy over training",
            plots.training_curves(rows, before, after, plot_dir / "training_curves.png"),
        )
    )
    figures.append(("Completion length", plots.completion_lengths(rows, plot_dir / "completion_length.png")))
    greedy = [r for r in history if r.get("sample") is None]
    groups = {
        tag: [r["reward"] for r in greedy if r["tag"] == tag and r.get("reward") is not None]
        for tag in ("before", "after", "eval")
    }
    groups["training completions"] = [
        r["reward"] for r in read_history(run_dir / TRAIN_HISTORY) if r.get("reward") is not None
    ]
    figures.append(("Reward distribution", plots.reward_distribution(groups, plot_dir / "reward_distribution.png")))
    blocks.append(("h", 2, "Plots"))
    for title, path in figures:
        blocks += [("h", 3, title), ("img", path.relative_to(run_dir).as_posix(), title)] if path else []
    if not rows:
        blocks.append(("p", "No training steps in this run, so there are no training curves."))
    blocks += [
        ("h", 2, "Sample completions"),
        *(_sample_blocks(history, "after" if after else "eval") or [("p", "No evaluated completions recorded.")]),
    ]
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def to_markdown(blocks: list[tuple]) -> str:
    out = []
    for block in blocks:
        if block[0] == "h":
            out.append("#" * block[1] + " " + block[2])
        elif block[0] == "p":
            out.append(block[1])
        elif block[0] == "img":
            out.append(f"![{block[2]}]({block[1]})")
        else:
            head, rows = block[1], block[2]
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def to_html(blocks: list[tuple], title: str) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}"
        "td{white-space:pre-wrap}img{max-width:100%}</style></head><body>"
    ]
    for block in blocks:
        if block[0] == "h":
            parts.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
        elif block[0] == "p":
            parts.append(f"<p>{html.escape(block[1])}</p>")
        elif block[0] == "img":
            parts.append(f"<img src='{html.escape(block[1])}' alt='{html.escape(block[2])}'>")
        else:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block[2])
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
    return "".join(parts) + "</body></html>\n"


def write_report(run_dir: str | Path) -> Path:
    """Write (or refresh) report.md and report.html in the run dir; returns the markdown path."""
    run_dir = Path(run_dir)
    blocks = build_blocks(run_dir)
    (run_dir / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
    (run_dir / "report.html").write_text(to_html(blocks, f"Run report: {run_dir.name}"), encoding="utf-8")
    return run_dir / "report.md"


if __name__ == "__main__":
    print(write_report(sys.argv[1]))
