"""A model card (the Hub's README.md: YAML front matter + Markdown) written from a finished run's own files.

Every figure comes from the run dir: `.hydra/config.yaml` (model, data, reward, recipe), `.hydra/overrides.yaml`
(the command that reproduces it), `summary.json` (accuracy before/after with its budget, grader, truncation,
paired CI, McNemar p, steps, wall time, cost). A figure the run did not record is written as "not recorded".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "not recorded"


def _hub_id(name: str) -> str | None:
    """`owner/name` on the Hub; a local path, a GGUF file or a package resource is not a Hub id."""
    parts = name.split("/")
    local = name.startswith((".", "/", "~", "pkg://")) or name.endswith(".gguf") or Path(name).expanduser().exists()
    return name if len(parts) == 2 and all(parts) and not local else None


def reproduce_command(run_dir: Path) -> str:
    overrides = run_dir / ".hydra" / "overrides.yaml"
    args = yaml.safe_load(overrides.read_text(encoding="utf-8")) if overrides.is_file() else []
    kept = [a for a in args or [] if not str(a).startswith(("hydra.run.dir", "hydra.sweep"))]
    return " ".join(["python run_pipeline.py", *kept])


def front_matter(config: DictConfig, summary: dict[str, Any], name: str) -> dict[str, Any]:
    base = str(config.model.get("model_name_or_path", "")) if "model" in config else ""
    meta: dict[str, Any] = {"library_name": "transformers", "pipeline_tag": "text-generation"}
    if _hub_id(base):
        meta["base_model"] = base
    meta["tags"] = ["rlvr", "grpo" if "grpo" in str(config.train.get("_target_", "")).lower() else "sft", "trl"]
    if isinstance(summary.get("accuracy_after"), (int, float)):
        meta["model-index"] = [
            {
                "name": name,
                "results": [
                    {
                        "task": {"type": "text-generation"},
                        "dataset": {"name": str(config.data.get("_target_", "")).rsplit(".", 1)[-1], "type": "custom"},
                        "metrics": [
                            {
                                "type": "accuracy",
                                "name": f"held-out accuracy, greedy, {summary.get('eval_max_new_tokens')} new tokens",
                                "value": round(100 * summary["accuracy_after"], 2),
                            }
                        ],
                    }
                ],
            }
        ]
    return meta


def render(run_dir: Path, name: str, dtype: str, merged: bool) -> str:
    """The whole README.md for an exported model of the run in `run_dir`."""
    config = OmegaConf.load(run_dir / ".hydra" / "config.yaml")
    summary = _json(run_dir / "summary.json")
    train = config.train
    rewards = ", ".join(
        f"`{f.get('name')}` (weight {f.get('weight')})" for f in (config.reward.get("reward_functions") or [])
    )
    lines = [
        "---",
        yaml.safe_dump(front_matter(config, summary, name), sort_keys=False).strip(),
        "---",
        "",
        f"# {name}",
        "",
        f"Trained with rlvr-pipeline ({str(train.get('_target_', '')).rsplit('.', 1)[-1]} through TRL) and exported as "
        f"a plain transformers model ({dtype}{', LoRA adapter merged into the base weights' if merged else ''}).",
        "",
        "## Training",
        "",
        "| | |",
        "|---|---|",
        f"| base model | `{config.model.get('model_name_or_path')}` |",
        f"| data | `{config.data.get('_target_')}` |",
        f"| reward | {rewards or 'not recorded'} |",
        f"| learning rate | {train.get('learning_rate')} |",
        f"| steps | {summary.get('global_step', 'not recorded')} |",
        f"| training time | {_seconds(summary.get('train_runtime_s'))} (whole run {_seconds(summary.get('cost/wall_s'))}) |",
        f"| cost | {_usd(summary.get('cost/usd'))} on `{summary.get('cost/accelerator', 'not recorded')}` |",
        "",
        "## Evaluation (held-out rows, greedy)",
        "",
        "| | before | after |",
        "|---|---|---|",
        f"| accuracy | {_pct(summary.get('accuracy_before'))} | {_pct(summary.get('accuracy_after'))} |",
        f"| truncated at the budget | {_pct(summary.get('truncation_rate_before'))} "
        f"| {_pct(summary.get('truncation_rate_after'))} |",
        "",
        f"Budget {summary.get('eval_max_new_tokens', 'not recorded')} new tokens, grader `{summary.get('grader')}`. "
        f"Gain {_points(summary.get('accuracy_gain'))}, 95% paired bootstrap CI "
        f"[{_points(summary.get('accuracy_gain_ci_low'))}, {_points(summary.get('accuracy_gain_ci_high'))}], "
        f"McNemar p = {_p(summary.get('mcnemar_p_value'))}.",
        "",
        "## Reproduce",
        "",
        "```bash",
        reproduce_command(run_dir),
        "```",
        "",
    ]
    return "\n".join(lines)


def _seconds(value: Any) -> str:
    return f"{value:.0f} s" if isinstance(value, (int, float)) else "not recorded"


def _usd(value: Any) -> str:
    return f"${value:.4f}" if isinstance(value, (int, float)) else "not recorded"


def _points(value: Any) -> str:
    return f"{100 * value:+.1f} pts" if isinstance(value, (int, float)) else "not recorded"


def _p(value: Any) -> str:
    return f"{value:.2g}" if isinstance(value, (int, float)) else "not recorded"
