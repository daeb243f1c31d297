"""Every default the guides quote is the one conf/ holds: a changed YAML value with a stale guide fails here.

CONFIGURATION_GUIDE.md: every Markdown table with a `key` column and a `default` (or `value`) column, read under the
heading that names its section ("`training_loop_component` → `train`" = keys under `train`; "Run-level keys" = the
top level; Serving = conf/serve.yaml). A row is checked when its default cell is only backticked values (`v`, or
`a` / `b` beside keys `x` / `y`); an `option` column (`all`, `gsm8k, finqa`) composes the config with that option.
A parenthesised note after the values ("`null` (gsm8k: `200`)") is not parsed, nor are prose cells ("per option"). The values are read with Hydra's compose, as
the pipeline reads them (interpolations such as `${seed}` compared unresolved), and compared after YAML parsing
(`3.0e-4` = `0.0003`). README.md: the recipe sentence's figures, each tied to its key below.
"""

from __future__ import annotations

import re

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from tests.conftest import REPO

GUIDE = REPO / "CONFIGURATION_GUIDE.md"
SECTION = re.compile(r"^#{2,4} .*?→ `(\w+)`")
GROUP_OF = {"data": "data_component", "model": "model_component", "train": "training_loop_component",
            "reward": "reward_component", "eval": "evaluation_component", "observer": "observer_component",
            "prompts": "prompts", "tools": "tools_component"}  # fmt: skip
DEFAULT_OPTION = {"all": None}  # "all" rows: the default option of the group
MISSING = object()
# README's sentences that quote the default recipe: (the exact words, the key, the value those words state)
README_QUOTES = [
    ("Recipe: lr 3e-4,", "train.learning_rate", 3e-4),
    ("sampling temperature 0.7,", "train.temperature", 0.7),
    ("1 prompt × 8 completions per step", "train.num_generations", 8),
    ("1 prompt × 8 completions per step", "train.per_device_train_batch_size", 8),
    ("completions per step, 60 steps,", "train.max_steps", 60),
    ("training cap 32 tokens", "train.max_completion_length", 32),
    ("β = 0,", "train.beta", 0.0),
    ("at\n**128 new tokens**", "eval.max_new_tokens", 128),
    ("LoRA r16", "model.lora.r", 16),
    ("held-out problems before and after", "data.num_eval", 64),
]


def rows() -> list[tuple[int, str, str | None, str, str]]:
    """(line, config name, option override or None, full key, the quoted default) for each checkable row"""
    out, prefix, config, header = [], None, "config", None
    for n, line in enumerate(GUIDE.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            m = SECTION.match(line)
            prefix = m.group(1) if m else ("" if "Run-level keys" in line else None)  # None: no key tables
            config = "serve" if "conf/serve.yaml" in line else "config"
            if "Cost accounting" in line or config == "serve":
                prefix = ""
            header = None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(cells[0]) <= {"-", ":"} or prefix is None or "key" not in header:
            continue
        value_col = next((header.index(h) for h in ("default", "value") if h in header), None)
        if value_col is None or not set(header) <= {"option", "key", "default", "value", "meaning", "note"}:
            continue
        keys = re.fullmatch(r"`([\w.]+)`((?: / `[\w.]+`)*)", cells[header.index("key")])
        values = re.fullmatch(r"(`[^`]*`(?: / `[^`]*`)*)(?: \(.*\))?", cells[value_col])  # "(tiny: ...)" = a note
        if not keys or not values:
            continue
        key_list = re.findall(r"`([\w.]+)`", cells[header.index("key")])
        value_list = re.findall(r"`([^`]*)`", values.group(1))
        if len(key_list) != len(value_list):
            continue
        options = [None]
        if "option" in header:
            cell = cells[header.index("option")]
            options = [None if o == "all" else o for o in (x.strip() for x in cell.split(","))]
        parent = key_list[0].rpartition(".")[0]  # `serve.limits.a` / `b`: b is serve.limits.b
        key_list = [key_list[0]] + [k if "." in k or not parent else f"{parent}.{k}" for k in key_list[1:]]
        for option in options:
            for key, value in zip(key_list, value_list):
                full = key if (not prefix or key.startswith(prefix + ".")) else f"{prefix}.{key}"
                override = f"{GROUP_OF[prefix]}={option}" if option else None
                out.append((n, config, override, full, value))
    return out


_CACHE: dict[tuple[str, str | None], dict] = {}


def composed(config: str, override: str | None) -> dict:
    if (config, override) not in _CACHE:
        with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
            cfg = compose(config, overrides=[override] if override else [], return_hydra_config=True)
        _CACHE[(config, override)] = OmegaConf.to_container(cfg, resolve=False)
    return _CACHE[(config, override)]


def lookup(tree: dict, key: str):
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return MISSING
        tree = tree[part]
    return tree


def same(quoted: str, actual) -> bool:
    if isinstance(actual, str) and actual.startswith("${"):
        return quoted == actual
    try:
        parsed = yaml.safe_load(quoted)
    except yaml.YAMLError:
        parsed = quoted
    if isinstance(actual, (int, float)) and not isinstance(actual, bool) and isinstance(parsed, (int, float)):
        return float(parsed) == float(actual)
    if isinstance(actual, str) and not isinstance(parsed, str):
        return quoted == actual
    return parsed == actual


ROWS = rows()


def test_the_guide_quotes_enough_defaults_to_check() -> None:
    keys = {r[3] for r in ROWS}
    assert len(ROWS) > 80, f"the table parser lost the guide's rows ({len(ROWS)} found)"
    assert {"seed", "train.learning_rate", "model.lora.r", "eval.max_new_tokens", "data.num_eval"} <= keys


@pytest.mark.parametrize("line,config,override,key,quoted", ROWS, ids=[f"{r[0]}:{r[3]}" for r in ROWS])
def test_quoted_default_matches_conf(line, config, override, key, quoted) -> None:
    actual = lookup(composed(config, override), key)
    where = f"CONFIGURATION_GUIDE.md:{line}: `{key}`" + (f" ({override})" if override else "")
    assert actual is not MISSING, f"{where} is quoted with default `{quoted}` but conf/ has no such key"
    assert same(quoted, actual), f"{where}: the guide says `{quoted}`, conf/ says {actual!r}"


def test_a_wrong_quote_fails() -> None:
    assert not same("0.05", 0.0) and not same("true", False) and same("3.0e-4", 0.0003) and same("null", None)


@pytest.mark.parametrize("words,key,value", README_QUOTES, ids=[q[1] for q in README_QUOTES])
def test_readme_recipe_figures_are_the_defaults(words, key, value) -> None:
    assert words in (REPO / "README.md").read_text(encoding="utf-8"), f"README no longer says {words!r}: update"
    actual = lookup(composed("config", None), key)
    assert actual == value, f"README says {words!r} ({key}={value}); conf/ has {key}={actual!r}"
