"""Generate the config reference: one page per config group of conf/, built from the YAML files themselves.

Runs inside `mkdocs build` (mkdocs-gen-files). For every option it shows the header comment (what it is and its
run command), the Hydra package, the defaults it composes, and every key with its default and its comment, so a
new option or a changed default appears in the reference on the next build without anyone editing the docs.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import mkdocs_gen_files
import yaml

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"
# page -> (title, YAML files, how an option is chosen); groups in the order a run composes them
PAGES = {
    "run": ("Run-level keys (config.yaml)", ["config.yaml"], "python run_pipeline.py <key>=<value>"),
    "data_component": ("data_component", "data_component", "data_component={name}"),
    "prompts": ("prompts", "prompts", "prompts={name}"),
    "model_component": ("model_component", "model_component", "model_component={name}"),
    "training_loop_component": ("training_loop_component", "training_loop_component", "training_loop_component={name}"),
    "trl": ("trl: every GRPOConfig field", "trl", "train.<field>=<value>"),
    "reward_component": ("reward_component", "reward_component", "reward_component={name}"),
    "evaluation_component": ("evaluation_component", "evaluation_component", "evaluation_component={name}"),
    "observer_component": ("observer_component", "observer_component", "observer_component={name}"),
    "experiment": ("experiment", "experiment", "experiment={name}"),
    "serve": ("serve (serve.yaml)", ["serve.yaml"], "python -m serve <key>=<value>"),
    "hydra_launcher": ("hydra/launcher", "hydra/launcher", "-m hydra/launcher={name}"),
    "hydra_sweeper": ("hydra/sweeper", "hydra/sweeper", "-m hydra/sweeper={name}"),
    "accelerate": (
        "accelerate launch configs",
        "accelerate",
        "accelerate launch --config_file conf/accelerate/{name}.yaml",
    ),
}
KEY = re.compile(r"^(\s*)(- )?([A-Za-z_][\w@/.-]*|\"[^\"]+\"):(\s|$)")


def split_comment(line: str) -> tuple[str, str]:
    """(content, comment) of one YAML line; a `#` inside quotes or not preceded by a space is content."""
    quote = None
    for i, ch in enumerate(line):
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote else ch
        elif ch == "#" and quote is None and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def header(lines: list[str]) -> tuple[list[str], int]:
    """The leading comment block (without `# @package`) and the index of the first line after it.

    It ends at a blank line or the first key. The generated TRL mirror is the exception: its two-line header runs
    straight into the first field's help text, which belongs to that field.
    """
    out, i = [], 0
    limit = 2 if lines and lines[0].startswith("# GENERATED") else len(lines)
    while i < len(lines) and i < limit and lines[i].startswith("#"):
        if not lines[i].startswith("# @package"):
            out.append(lines[i][1:].strip())
        i += 1
    return out, i


def key_comments(lines: list[str], start: int) -> dict[str, str]:
    """Dotted key -> its comment: the one on its line plus aligned continuation lines, or a comment block above it."""
    comments: dict[str, str] = {}
    stack: list[tuple[int, str]] = []  # (indent, dotted path) of the open mappings
    items: dict[tuple[str, int], int] = {}  # (parent path, indent) -> index of the current list item
    pending: list[str] = []
    last_key, last_indent = None, -1
    for raw in lines[start:]:
        content, comment = split_comment(raw)
        if not content.strip():
            if comment and last_key and raw.index("#") > last_indent and comments.get(last_key):
                comments[last_key] += " " + comment  # a continuation of the comment on the key's line
            elif comment:
                pending.append(comment)
                last_key = None
            else:
                pending, last_key = [], None
            continue
        match = KEY.match(content)
        if not match:
            pending, last_key = [], None
            continue
        indent, dash, key = len(match.group(1)), match.group(2), match.group(3).strip('"')
        if dash:  # a list item that is a mapping: its keys live under parent[i]
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ""
            n = items.get((parent, indent), -1) + 1
            items[(parent, indent)] = n
            stack.append((indent, f"{parent}[{n}]"))
            indent += 2
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = f"{stack[-1][1]}.{key}" if stack else key
        stack.append((indent, path))
        text = " ".join(pending + ([comment] if comment else []))
        if text:
            comments[path] = text
        pending, last_key, last_indent = [], path, indent
    return comments


def flatten(value, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted key, leaf value); mappings and lists of mappings are opened, lists of scalars are one value."""
    if isinstance(value, dict) and value and prefix.rsplit(".", 1)[-1] != "defaults":
        out = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and prefix != "defaults":
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, value)]


def show(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def cell(text: str) -> str:
    """Table-cell safe: no pipes, no bare angle brackets (comments say `<run_dir>`)."""
    return html.escape(text, quote=False).replace("|", "\\|")


def option_section(path: Path, choose: str, level: str) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    head, start = header(lines)
    package = next((ln.split("@package", 1)[1].strip() for ln in lines[:3] if ln.startswith("# @package")), None)
    data = yaml.safe_load("\n".join(lines)) or {}
    out = [f"{level} `{path.stem}`", "", f"`{path.relative_to(REPO)}`" + (f" · package `{package}`" if package else "")]
    prose = [h for h in head if not h.startswith("Run:") and not h.startswith("    ")]
    runs = [h.removeprefix("Run:").strip() for h in head if h.startswith("Run:") or h.startswith("    ")]
    if prose:
        out += ["", cell(" ".join(prose))]
    if choose:
        out += ["", f"Choose it: `{choose.format(name=path.stem)}`"]
    if runs:
        out += ["", "```bash", *runs, "```"]
    defaults = data.pop("defaults", None) if isinstance(data, dict) else None
    if defaults:
        out += ["", "Composes: " + ", ".join(f"`{show(d)}`" for d in defaults)]
    comments = key_comments(lines, start)
    rows = [(k, v) for k, v in flatten(data) if k] if isinstance(data, dict) else []
    if rows:
        out += ["", "| key | default | comment |", "|---|---|---|"]
        out += [f"| `{k}` | `{cell(show(v))}` | {cell(comments.get(k, ''))} |" for k, v in rows]
    return out + [""]


def page(name: str, title: str, source, choose: str) -> str:
    files = [CONF / f for f in source] if isinstance(source, list) else sorted((CONF / source).glob("*.yaml"))
    single = isinstance(source, list)
    out = [f"# {title}", ""]
    if not single:
        out += [
            f"Options in `conf/{source}/`: " + ", ".join(f"[`{f.stem}`](#{f.stem.replace('_', '_')})" for f in files),
            "",
        ]
    for f in files:
        out += option_section(f, "" if single else choose, "##")
    if single:
        out.insert(2, f"Override any key: `{choose}`\n")
    return "\n".join(out)


def index() -> str:
    defaults = yaml.safe_load((CONF / "config.yaml").read_text(encoding="utf-8"))["defaults"]
    chosen = {k: v for d in defaults if isinstance(d, dict) for k, v in d.items()}
    lines = [
        "# Config reference",
        "",
        "Generated from the YAML in `conf/` at build time (`docs/gen_config_pages.py`): every option of every "
        "group, its header comment and run command, and each key with its default. The guide to what the "
        "groups mean and how to override them is the [Configuration guide](../../guides/configuration.md).",
        "",
        "| group | default | options |",
        "|---|---|---|",
    ]
    for name, (title, source, _) in PAGES.items():
        files = [CONF / f for f in source] if isinstance(source, list) else sorted((CONF / source).glob("*.yaml"))
        default = chosen.get(name, "")
        lines.append(
            f"| [{title}]({name}.md) | {f'`{default}`' if default else ''} | "
            + ", ".join(f"`{f.stem}`" for f in files)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    summary = ["* [Overview](index.md)\n"]
    for name, (title, source, choose) in PAGES.items():
        with mkdocs_gen_files.open(f"reference/config/{name}.md", "w") as f:
            f.write(page(name, title, source, choose))
        src = source[0] if isinstance(source, list) else source
        mkdocs_gen_files.set_edit_path(f"reference/config/{name}.md", f"conf/{src}")
        summary.append(f"* [{title}]({name}.md)\n")
    with mkdocs_gen_files.open("reference/config/index.md", "w") as f:
        f.write(index())
    with mkdocs_gen_files.open("reference/config/SUMMARY.md", "w") as f:
        f.writelines(summary)


main()
