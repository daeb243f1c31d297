"""Generate the API reference: one page per module of components/ and serve/, rendered by mkdocstrings.

Runs inside `mkdocs build` (mkdocs-gen-files), so a new module gets its page without anyone editing the docs.
The index lists every component: each group's interface (components/<group>/base.py) and the class or function
each YAML of its conf/ group builds, so "which class does `data_component=gsm8k` make?" is one click.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mkdocs_gen_files
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["components", "serve"]
# component group folder -> its conf/ group (the public names users type)
GROUPS = {
    "data": "data_component",
    "model": "model_component",
    "training": "training_loop_component",
    "reward": "reward_component",
    "evaluation": "evaluation_component",
    "observer": "observer_component",
    "tools": "tools_component",
    "environments": "environment_component",
}


def module_pages() -> dict[str, str]:
    """Dotted module name -> generated page path, for every .py file (packages by their __init__)."""
    pages = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            pages[".".join(parts)] = "/".join(parts) + ".md"
    return pages


def targets(conf_group: str) -> list[tuple[str, str]]:
    """(option, target) for each YAML of a conf group: `_target_`, or each reward function's name/function."""
    out = []
    for path in sorted((REPO / "conf" / conf_group).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        target = data.get("_target_", "")
        for base in data.get("defaults") or []:  # an option that extends a sibling builds the sibling's class
            sibling = REPO / "conf" / conf_group / f"{base}.yaml"
            if not target and isinstance(base, str) and sibling.is_file():
                target = (yaml.safe_load(sibling.read_text(encoding="utf-8")) or {}).get("_target_", "")
        out.append((path.stem, target))
        for fn in data.get("reward_functions") or []:
            if fn.get("function"):
                out.append((path.stem, fn["function"]))
    return out


def registered_rewards() -> list[tuple[str, str]]:
    """(name, dotted function) for every `@register_reward("name")` in components/reward/, read without importing."""
    out = []
    for path in sorted((REPO / "components" / "reward").glob("*.py")):
        module = "components.reward." + path.stem
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for deco in getattr(node, "decorator_list", []):
                if (
                    isinstance(deco, ast.Call)
                    and getattr(deco.func, "id", "") == "register_reward"
                    and deco.args
                    and isinstance(deco.args[0], ast.Constant)
                ):
                    out.append((deco.args[0].value, f"{module}.{node.name}"))
    return out


def link(dotted: str, pages: dict[str, str]) -> str:
    """A Markdown link to the page of the module that defines `dotted` (a module or module.attribute)."""
    module = dotted
    while module and module not in pages:
        module = module.rpartition(".")[0]
    if not module:
        return f"`{dotted}`"
    anchor = f"#{dotted}" if dotted != module else ""
    return f"[`{dotted}`]({pages[module]}{anchor})"


def index(pages: dict[str, str]) -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the docstrings at build time (`docs/gen_api_pages.py`). Each component group has a tiny "
        "interface in `components/<group>/base.py`; each option of its config group builds one implementation.",
        "",
        "| group | interface | option → what it builds |",
        "|---|---|---|",
    ]
    for folder, conf_group in GROUPS.items():
        built = "<br>".join(f"`{conf_group}={opt}` → {link(t, pages)}" for opt, t in targets(conf_group) if t)
        if folder == "reward":  # every option builds a RewardSet; what differs is the functions it lists
            built += "<br>registered functions: " + ", ".join(
                f"`{name}` {link(fn, pages)}" for name, fn in registered_rewards()
            )
        lines.append(f"| {folder} | {link(f'components.{folder}.base', pages)} | {built} |")
    lines += [
        "",
        "A `reward_component` YAML lists reward functions by their registered name (`@register_reward`) or by "
        "dotted path; the [Rewards guide](../../guides/rewards.md) explains each. Every module, including the helpers and the server (`serve/`), has its page in the navigation.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    pages = module_pages()
    nav = mkdocs_gen_files.Nav()
    for dotted, page in pages.items():
        nav[tuple(dotted.split("."))] = page
        with mkdocs_gen_files.open(f"reference/api/{page}", "w") as f:
            f.write(f"# `{dotted}`\n\n::: {dotted}\n")
        # "edit this page" and source links point at the module, not at the generated stub
        source = REPO / page.replace(".md", ".py")
        if not source.exists():
            source = REPO / page.replace(".md", "/__init__.py")
        mkdocs_gen_files.set_edit_path(f"reference/api/{page}", source.relative_to(REPO).as_posix())
    with mkdocs_gen_files.open("reference/api/index.md", "w") as f:
        f.write(index(pages))
    with mkdocs_gen_files.open("reference/api/SUMMARY.md", "w") as f:
        f.write("* [Overview](index.md)\n")
        f.writelines(nav.build_literate_nav())


main()
