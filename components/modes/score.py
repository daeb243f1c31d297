"""mode=score: score existing completions offline with the configured rewards (no model loaded).

Run: python run_pipeline.py mode=score reward_component=gsm8k score.input=IN.jsonl score.output=OUT.jsonl
Every input row is written back unchanged plus ``rewards`` (per function) and ``reward`` (the
weighted total); the output is written atomically and never overwrites an existing file.

With an environment_component (python run_pipeline.py mode=score environment_component=guess_number
reward_component=environment score.input=episodes.jsonl score.output=out.jsonl) each row is a recorded episode:
`environment` (optional with one environment), the fields the environment's `reset` names (`seed`, `answer`) and
`trajectory` (the messages after the prompt, as /generate and completions_eval.jsonl hold them). It is replayed in
a fresh instance (components/environments/replay.py: the calls run again through the episode loop's step), the
replayed trajectory is the completion and the instance the `environments` column, as TRL hands them to the rewards
in training; `completion` is optional. Rows gain `replay` (the Outcome), the summary env/<name>/* (as evaluation
reports them) and replay/tool_result_mismatches. Without an environment the `environment` reward is not applicable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

from components.environments.base import EnvironmentProvider
from components.environments.metrics import final_text
from components.jsonio import read_jsonl, write_jsonl_new
from components.paths import command_path
from components.reward.reward_set import RewardScores
from components.runtime import build

if TYPE_CHECKING:
    from components.environments.replay import Replayed

log = logging.getLogger(__name__)
BATCH = 256  # rows per reward call: big enough for the code worker pool, small in memory


@dataclass(frozen=True)
class ScoreSettings:
    """The `score:` section of conf/config.yaml; config validation checks its keys against these types."""

    input: str | None = None  # JSONL with a `completion` field per row
    output: str | None = None  # written new; an existing file is never overwritten


def check_rows(rows: list[dict], source: str, episodes: bool) -> None:
    """One-line errors naming the file, row and field; with episodes `completion` is optional (derived)."""
    written = ("rewards", "reward", "replay") if episodes else ("rewards", "reward")
    for n, row in enumerate(rows, 1):
        if not episodes and not isinstance(row.get("completion"), str):
            problem = "missing field" if "completion" not in row else "non-string field"
            raise ValueError(f"{source}: row {n}: {problem} 'completion'")
        for key in written:
            if key in row:
                raise ValueError(f"{source}: row {n}: field {key!r} already present (already scored?)")


def replay_rows(environments: Any, rows: list[dict], source: str) -> list[tuple[str, Replayed]]:
    """Each row's episode replayed in a fresh instance (components/environments/replay.py)."""
    from components.environments.replay import BadRow, replay  # the episode loop imports torch: not before validation

    out = []
    for n, row in enumerate(rows, 1):
        try:
            out.append(replay(environments, row))
        except BadRow as err:
            raise ValueError(f"{source}: row {n}: {err}") from None
    return out


def score_rows(
    reward_set, rows: list[dict], source: str, environments: Any = None
) -> tuple[list[dict], dict[str, Any]]:
    """Score each row's ``completion`` against its other fields; returns (rows out, summary).

    environments: the run's EnvironmentSet when it has environments: each row's episode is replayed, the replayed
    trajectory is the completion and its instance the `environments` column, as TRL hands them in training.
    """
    check_rows(rows, source, episodes=environments is not None)
    episodes = replay_rows(environments, rows, source) if environments is not None else None
    columns = sorted({k for row in rows for k in row} - {"completion"})
    completions = [e.trajectory for _, e in episodes] if episodes else [row["completion"] for row in rows]
    out, totals = [], []
    statuses: dict[str, list[str]] = {name: [] for name in reward_set.names}
    scores: dict[str, list[float | None]] = {name: [] for name in reward_set.names}
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        kwargs = {c: [row.get(c) for row in batch] for c in columns}
        if episodes:
            kwargs["environments"] = [e.environment for _, e in episodes[start : start + BATCH]]
        result = reward_set.score(completions[start : start + BATCH], **kwargs)
        for i, row in enumerate(batch):
            rewards = {name: result.per_function[name][i] for name in reward_set.names}
            out.append({**row, "rewards": rewards, "reward": result.total[i]})
        totals.extend(result.total)
        for name in reward_set.names:
            statuses[name].extend(result.statuses[name])
            scores[name].extend(result.per_function[name])
    summary = summarize(reward_set, totals, scores, statuses)
    if episodes:
        summary.update(replay_summary(environments, episodes, out))
    return out, summary


def replay_summary(environments: Any, episodes: list[tuple[str, Replayed]], out: list[dict]) -> dict[str, Any]:
    """Each output row's `replay` outcome; env/<name>/* as evaluation reports them, and the replay mismatches."""
    for row, (_, e) in zip(out, episodes):
        ended = e.environment(final_text(e.trajectory))
        row["replay"] = {**ended.as_dict(), "tool_result_mismatch": e.mismatch}
    metrics = environments.outcome_metrics(
        [e.environment for _, e in episodes], [name for name, _ in episodes], [e.trajectory for _, e in episodes]
    )
    mismatches = sum(e.mismatch for _, e in episodes)
    if mismatches:  # the environment did not answer a call as it did live: its verdict may differ from the live one
        first = next(n for n, (_, e) in enumerate(episodes, 1) if e.mismatch)
        log.warning("%d replayed episodes got other tool results than recorded (first: row %d)", mismatches, first)
    return {**metrics, "replay/tool_result_mismatches": mismatches}


def summarize(reward_set, totals, scores, statuses) -> dict[str, Any]:
    best = reward_set.max_total
    summary: dict[str, Any] = {
        "rows": len(totals),
        "reward_mean": sum(totals) / len(totals) if totals else float("nan"),
        "full_marks_fraction": sum(t >= best - 1e-9 for t in totals) / len(totals) if totals else float("nan"),
        "max_total": best,
    }
    # reward/<name> (mean over applicable rows) and reward/<name>/unparseable (a rate): the definitions training
    # logs (RewardScores.metrics, the same code), so a score-mode figure reads like a training one.
    per_function = RewardScores(scores, totals, statuses).metrics()
    for name in reward_set.names:
        summary[f"reward/{name}"] = per_function[f"reward/{name}"]
        summary[f"reward/{name}/unparseable"] = per_function[f"reward/{name}/unparseable"]
        summary[f"reward/{name}/not_applicable"] = statuses[name].count("n/a")  # a count of rows
    summary["unparseable"] = sum(statuses[n].count("unparseable") for n in reward_set.names)  # a count of rows
    return summary


def print_summary(title: str, summary: dict[str, Any]) -> None:
    print(
        f"{title}: {summary['rows']} rows, mean reward {summary['reward_mean']:.4f}, "
        f"{summary['full_marks_fraction']:.2%} at full marks ({summary['max_total']:g}), "
        f"{summary['unparseable']} unparseable"
    )
    for key, value in summary.items():
        if key.startswith(("reward/", "env/", "replay/")):
            print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")


def run(cfg: DictConfig) -> dict[str, Any]:

    settings = ScoreSettings(**cfg.score)
    if not settings.input or not settings.output:
        raise ValueError("mode=score needs score.input=IN.jsonl and score.output=OUT.jsonl")
    source, target = command_path(settings.input), command_path(settings.output)
    if target.exists():  # fail before any scoring work
        raise ValueError(f"output file already exists (not overwritten): {target}")
    reward_set = build(cfg.reward)
    environments = build(cfg.environment, EnvironmentProvider) if cfg.get("environment") else None
    environments = environments if environments is not None and environments.enabled else None
    log.info("scoring %s with %s (%s)", source, cfg.reward._target_, ", ".join(reward_set.names))
    if environments is not None:
        log.info("replaying each row's episode in %s", ", ".join(environments.specs))
    out, summary = score_rows(reward_set, read_jsonl(source), str(source), environments)
    write_jsonl_new(target, out)
    print_summary(f"scored {source} -> {target}", summary)
    return {f"score/{k}": v for k, v in summary.items()}
