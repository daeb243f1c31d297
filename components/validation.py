"""Reject a bad config right after Hydra composes, in every mode and for the server: before any model loads.

    validate(cfg)   # raises ValueError("train.max_steps=2.5: expected an integer") -> one line, exit 2

The one validation layer, in two parts. Per key, from the constructors' signatures (components/config_schema.py:
each `_target_`'s `__init__`, each mode's settings class): unknown keys, types, and ranges, which are declared
once on the parameter as `Annotated[int, Ge(1)]` (components/bounds.py; the `train.<field>` keys passed to TRL
get theirs in components/training/export_grpo_fields.py). This file adds only what no single parameter can
say: rules across keys (batch divisibility, context length, 4-bit backend, which evaluator a mode may use),
files that must exist, names that must be registered. Each mode checks the sections it uses (MODE_KEYS).
Component constructors keep only what needs their runtime objects; these checks run first so every mistake
costs seconds (importing a target's module, no weights), not a model load.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from components.config_schema import CONF_DIR, check_schemas
from components.jsonio import lookup
from components.model.finished_run import FinishedRun
from components.model.four_bit import check_4bit_supported
from components.model.sources import gguf_source
from components.modes.check_rewards import CheckRewardsSettings
from components.modes.evaluate import with_run_config
from components.modes.export import ExportSettings
from components.modes.export import check as check_export
from components.reward.discovery import registry
from components.training.batch_checks import check_batch_geometry
from components.training.checkpoints import resolve_resume

MODE_KEYS = {  # the sections each mode builds something from (run-level keys are always checked); None = all
    "train": None,
    "eval": ("data", "model", "reward", "eval", "observer", "prompts", "tools", "environment", "eval_run"),
    "score": ("reward", "score", "environment"),  # environment: replays episodes (components/environments/replay.py)
    "check_rewards": ("reward", "check_rewards"),
    "export": ("export",),
    "serve": ("model", "reward", "prompts", "tools", "environment", "serve"),  # conf/serve.yaml (serve/app.py)
}
OTHER_MODES_SECTIONS = ("score", "check_rewards", "eval_run", "serve", "export")  # each read by one other mode only
LM_EVAL_TARGET = "components.evaluation.lm_eval_harness.LMEvalHarness"  # evaluates finished models: not in mode=train
FILE_KEYS = (
    "data.train_file",
    "data.eval_file",
    "score.input",
    "check_rewards.path",
    "tools.tools.lookup.corpus",  # the lookup tool reads it when the first episode starts: fail before loading
)
HUB_OR_PATH_KEYS = ("data.path",)  # a hub dataset id ("openai/gsm8k") or a local path: only the latter is checked here


def _looks_local(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~")) or Path(value).suffix in (".json", ".jsonl", ".csv", ".gz")


def resolved(cfg: DictConfig, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The config as plain values; a missing `???` or a broken `${...}` is a one-line error naming the key.

    With `keys`, only those sections and the run-level scalars are resolved (a mode's own inputs).
    """
    wanted = [
        k for k in cfg if k != "hydra" and (keys is None or k in keys or not OmegaConf.is_config(cfg._get_node(k)))
    ]
    body = OmegaConf.masked_copy(cfg, wanted)
    try:
        return OmegaConf.to_container(body, resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as err:
        what = (
            "is required (it is ???)"
            if "Missing mandatory" in str(err)
            else f"cannot be resolved ({str(err).splitlines()[0]})"
        )
        raise ValueError(f"{err.full_key} {what}") from None


def in_scope(key: str, keys: tuple[str, ...] | None) -> bool:
    return keys is None or "." not in key or key.split(".", 1)[0] in keys


def check_mode_files(values: Mapping[str, Any], keys: tuple[str, ...] | None) -> None:
    """Files the non-training modes read or write, named by their key (only for the sections `keys` names)."""
    keys = keys or ()
    if "score" in keys:
        section = values.get("score") or {}
        if not section.get("input") or not section.get("output"):
            raise ValueError("mode=score needs score.input=IN.jsonl and score.output=OUT.jsonl")
        if Path(section["output"]).expanduser().exists():
            raise ValueError(f"score.output={section['output']}: file already exists (never overwritten)")
    if "check_rewards" in keys and not lookup(values, "check_rewards.path"):
        default = CheckRewardsSettings(**values["check_rewards"]).source()
        if not default.exists():
            raise ValueError(
                f"check_rewards.path=null: the default file {default} is not there; set check_rewards.path"
            )
    if "export" in keys:
        check_export(ExportSettings(**(values.get("export") or {})))
    run_dir = lookup(values, "eval_run.run_dir") if "eval_run" in keys else None
    if run_dir:
        run = FinishedRun(run_dir, lookup(values, "eval_run.model_subdir") or "model", key="eval_run")
        run.config()  # a finished run's .hydra/config.yaml
        run.check_weights()  # and the weights it saved


def check_files(values: Mapping[str, Any], keys: tuple[str, ...] | None = None) -> None:
    for key in FILE_KEYS:
        value = lookup(values, key) if in_scope(key, keys) else None
        if isinstance(value, str) and value and not Path(value).expanduser().exists():
            raise ValueError(f"{key}={value}: file not found")
    for key in HUB_OR_PATH_KEYS:
        value = lookup(values, key) if in_scope(key, keys) else None
        if isinstance(value, str) and _looks_local(value) and not Path(value).expanduser().exists():
            raise ValueError(f"{key}={value}: file not found")
    check_mode_files(values, keys)
    if not in_scope("model.", keys):
        return
    model = values.get("model") or {}
    if model.get("model_name_or_path") is not None:
        gguf_source(str(model["model_name_or_path"]), model.get("gguf_file"))  # stdlib only: local paths, pkg://
    resume = lookup(values, "train.resume_from_checkpoint") if in_scope("train.", keys) else None
    if resume is not None and str(resume).lower() not in ("auto", "latest", "true", "false", "null", "none", ""):
        resolve_resume(resume, ".")  # a path: it must be a complete checkpoint


def check_rewards(values: Mapping[str, Any]) -> None:
    """Every reward name registered, then each entry's params against its function's signature (RewardSet)."""
    known = registry()
    for i, entry in enumerate(lookup(values, "reward.reward_functions") or []):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(entry, Mapping) and not entry.get("function") and name not in known:
            raise ValueError(
                f"reward.reward_functions[{i}].name={name}: unknown reward; known: {', '.join(sorted(known))}"
            )
    from hydra.utils import instantiate

    try:  # cheap: binds params and runs each function on an empty batch; no model, no I/O
        instantiate(values["reward"])
    except Exception as err:  # noqa: BLE001 (Hydra wraps the constructor's ValueError)
        cause = err.__cause__ if isinstance(err.__cause__, (ValueError, TypeError)) else err
        raise ValueError(f"reward.{str(cause).splitlines()[0]}") from None


def check_4bit(model: Mapping[str, Any]) -> None:
    if model.get("load_in_4bit"):
        check_4bit_supported((model.get("lora") or {}).get("enabled", True))  # the model constructors' check too


@lru_cache(maxsize=1)
def grpo_defaults() -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.load(CONF_DIR / "trl" / "grpo_config.yaml"))


def _model_positions(model: Mapping[str, Any]) -> int | None:
    if isinstance(model.get("max_position_embeddings"), int):
        return model["max_position_embeddings"]
    config = Path(str(model.get("model_name_or_path", ""))).expanduser() / "config.json"
    if config.is_file():  # a local checkpoint: read its context without loading it
        return json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
    return None


def check_cross_fields(values: Mapping[str, Any], keys: tuple[str, ...] | None = None) -> None:
    train = (values.get("train") or {}) if in_scope("train.", keys) else {}
    model = (values.get("model") or {}) if in_scope("model.", keys) else {}
    if "num_generations" in train:  # GRPO's batch geometry (an SFT loop has no generations)
        check_batch_geometry(train, grpo_defaults(), world_size=int(os.environ.get("WORLD_SIZE", "1")))
    positions, completion = _model_positions(model), train.get("max_completion_length")
    if positions and isinstance(completion, int) and completion >= positions:
        raise ValueError(
            f"train.max_completion_length={completion} leaves no room for the prompt in the model's "
            f"context of {positions} positions; use less than {positions}"
        )
    check_4bit(model)


def check_choices(cfg: DictConfig) -> None:
    """A name with no YAML for an optional group (`experiment=typo`) is dropped by Hydra without a word: refuse it."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        choices = HydraConfig.get().runtime.choices
        sources = HydraConfig.get().runtime.config_sources
    else:  # composed by hand (compose(..., return_hydra_config=True)) or a plain config without `hydra:`
        choices = OmegaConf.select(cfg, "hydra.runtime.choices", default=None) or {}
        sources = OmegaConf.select(cfg, "hydra.runtime.config_sources", default=None) or []
    # Every file:// dir Hydra searched (hydra.searchpath adds a user's own conf dir beside conf/).
    search = [CONF_DIR, *(Path(str(s.path).removeprefix("file://")) for s in sources if s.schema == "file")]
    for key, choice in choices.items():
        group = str(key).split("@")[0]
        if "/" in group or not isinstance(choice, str) or not (CONF_DIR / group).is_dir():
            continue
        if not any((root / group / f"{choice}.yaml").is_file() for root in search):
            raise ValueError(f"{group}={choice}: there is no conf/{group}/{choice}.yaml; {options(group, choice)}")


def options(group: str, choice: str, most: int = 8) -> str:
    """The group's options, all of them when few; else the closest names and how many there are (one short line)."""
    names = sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))
    if len(names) <= most:
        return f"choose one of {', '.join(names)}"
    close = difflib.get_close_matches(choice, names, n=3, cutoff=0.5)
    hint = f"closest: {', '.join(close)}; " if close else ""
    return f"{hint}{len(names)} options in conf/{group}/ (`ls conf/{group}`)"


def validate(cfg: DictConfig, modes: Mapping[str, Any] | None = None, mode: str | None = None) -> None:
    """Raise a one-line ValueError naming the key for the first problem found; return quietly otherwise.

    `mode` defaults to the config's `mode` key; `modes` (the entry point's table) limits which are accepted.
    """

    check_choices(cfg)
    mode = mode or str(cfg.get("mode", "train"))
    accepted = list(modes) if modes is not None else list(MODE_KEYS)
    if mode not in accepted or mode not in MODE_KEYS:
        raise ValueError(f"mode={mode}: unknown mode; choose one of {', '.join(accepted)}")
    check_config(cfg, mode)
    if mode == "eval":  # a finished run's model (and task) replace this command's: check what will really run
        merged = with_run_config(cfg)
        if merged is not cfg:
            check_config(merged, mode)


def check_config(cfg: DictConfig, mode: str) -> None:
    """Every per-key, cross-field and file rule for the sections `mode` builds something from."""
    keys = MODE_KEYS[mode] or tuple(k for k in cfg if k != "hydra" and k not in OTHER_MODES_SECTIONS)
    values = resolved(cfg, keys)
    check_schemas(values, keys)
    check_cross_fields(values, keys)
    if mode == "train" and (values.get("eval") or {}).get("_target_") == LM_EVAL_TARGET:
        raise ValueError(
            "evaluation_component=lm_eval evaluates finished models (mode=eval): train with evaluation_component=greedy, "
            "then run mode=eval evaluation_component=lm_eval eval_run.run_dir=<run>"
        )
    check_files(values, keys)
    if in_scope("reward.", keys) and "reward" in values:
        check_rewards(values)
