"""Find every shell command shown in the repo's Markdown: fenced shell blocks and inline `command` spans.

Discovery walks the tree (README, the root guides, docs/**, bench/README.md, components/**/README.md, and any
Markdown file added later, plus the Markdown cells of the tutorial notebooks: their code cells are executed by
tests/docs/test_notebooks.py), so a command another engineer adds to any doc is checked without editing a list.

    fenced  ```bash / sh / shell / console: every line is a command (comments, `$ ` prompts, `\\` continuations
            handled; `a; b` and `a && b` are two commands); an untagged or `text` block: only lines that start
            with a known program (a tree or a diagram is not a command)
    inline  `python run_pipeline.py ...`: a span whose first word (after VAR=value) is a known program and that
            has an argument (`make run` is a command, `python` alone is a word), or any `scripts/*.sh`
    both    `.venv/bin/<program>` counts as the program; `<a|b|c>` alternatives give one command per option
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {"site", "outputs", "multirun", "node_modules", "__pycache__"}  # build output, run output
SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh"}
LOOSE_LANGS = {"", "text", "txt"}  # checked line by line for lines that start with a program
PYTHONS = {"python", "python3", ".venv/bin/python"}
PROGRAMS = PYTHONS | {
    "make",
    "torchrun",
    "accelerate",
    "uvicorn",
    "docker",
    "kubectl",
    "pip",
    "poetry",
    "pytest",
    "mkdocs",
    "curl",
    "helm",
    "bash",
    "sh",
    ".",
    "source",
    "export",
    "uptime",
    "git",
}
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+-]*)")
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SEPARATORS = {";", "&&", "||", "|", "&"}


@dataclass(frozen=True)
class Command:
    where: str  # file:line
    env: tuple[tuple[str, str], ...]
    argv: tuple[str, ...]
    redirect: str | None = None  # `> file`
    inline: bool = field(default=False, compare=False)

    @property
    def text(self) -> str:
        """The command as one normalised line: what allow-list patterns and the report match."""
        words = [f"{k}={shlex.quote(v)}" for k, v in self.env] + [shlex.quote(a) for a in self.argv]
        return " ".join(words) + (f" > {self.redirect}" if self.redirect else "")


def doc_files() -> list[Path]:
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        found += [Path(root) / f for f in sorted(files) if f.endswith((".md", ".ipynb"))]
    # Config YAML headers carry a `Run:` command each; the config reference pages show them (docs/gen_config_pages.py)
    found += sorted((REPO / "conf").rglob("*.yaml"))
    return found


def _is_program(word: str) -> bool:
    return word.removeprefix(".venv/bin/") in PROGRAMS or bool(re.fullmatch(r"(\./)?scripts/[\w./-]+\.sh", word))


ALTERNATIVES = re.compile(r"<([\w.-]+(?:\|[\w.-]+)+)>")  # `conf/accelerate/<ddp|fsdp>.yaml`: one command each


def _split(line: str, where: str, inline: bool) -> list[Command]:
    """One shell line -> its commands (env prefix, argv, redirect); [] when it is not a command."""
    choice = ALTERNATIVES.search(line)
    if choice:
        return [
            cmd
            for option in choice.group(1).split("|")
            for cmd in _split(line[: choice.start()] + option + line[choice.end() :], where, inline)
        ]
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    tokens = list(lexer)  # raises ValueError on unbalanced quotes
    out, current = [], []
    for token in [*tokens, ";"]:
        if token not in SEPARATORS:
            current.append(token)
            continue
        env = []
        while current and ENV_ASSIGN.match(current[0]) and len(current) > 1:
            key, _, value = current.pop(0).partition("=")
            env.append((key, value))
        redirect = None
        if ">" in current:
            at = current.index(">")
            current, redirect = current[:at], " ".join(current[at + 1 :])
        if current:
            out.append(Command(where, tuple(env), tuple(current), redirect, inline))
        current = []
    return out


def _logical_lines(lines: list[str], first: int) -> list[tuple[int, str]]:
    """Join `\\` continuations; drop `$ ` prompts, blank lines and whole-line comments."""
    out, buffer, start = [], "", first
    for number, raw in enumerate(lines, first):
        if not buffer:
            start = number
        stripped = raw.strip()
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        text = (buffer + stripped).strip()
        buffer = ""
        text = text[2:] if text.startswith("$ ") else text
        if text and not text.startswith("#"):
            out.append((start, text))
    return out


def markdown_lines(path: Path) -> list[str]:
    """A Markdown file's lines; a notebook's Markdown cells, one after another (line numbers count those)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return text.splitlines()
    cells = json.loads(text).get("cells", [])
    return [
        line
        for cell in cells
        if cell.get("cell_type") == "markdown"
        for line in "".join(cell.get("source", "")).splitlines() + [""]
    ]


RUN_PREFIX = re.compile(r"^(?:Run\b[^:]*:\s*)?")  # "Run: cmd", "Run (from the repo root): cmd", or a bare cmd


def yaml_header_commands(path: Path) -> list[Command]:
    """Commands in a config YAML's leading comment block (its header, where the run command lives)."""
    rel = path.relative_to(REPO).as_posix()
    found: list[Command] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("#"):
            break
        text = RUN_PREFIX.sub("", line.lstrip("#").strip(), count=1)
        text = re.split(r"\s{2,}[(#]", text)[0]  # "cmd            (what it does)": the aligned note is prose
        words = text.split()
        first = next((w for w in words if not ENV_ASSIGN.match(w)), "")
        if _is_program(first) and len(words) > 1:
            try:
                found += _split(text, f"{rel}:{number}", inline=False)
            except ValueError:
                continue  # prose that happens to start with a program name
    return found


def commands_in(path: Path) -> list[Command]:
    if path.suffix == ".yaml":
        return yaml_header_commands(path)
    rel = path.relative_to(REPO).as_posix()
    lines = markdown_lines(path)
    found: list[Command] = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            for span in INLINE.findall(lines[i]):
                try:
                    cmds = _split(span, f"{rel}:{i + 1}", inline=True)
                except ValueError:
                    continue  # not shell (an unbalanced quote in prose code)
                for cmd in cmds:
                    script = re.fullmatch(r"(\./)?scripts/[\w./-]+\.sh", cmd.argv[0])
                    if _is_program(cmd.argv[0]) and (len(cmd.argv) > 1 or script):
                        found.append(cmd)
            i += 1
            continue
        marker, lang = fence.group(1), fence.group(2).lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(marker):
            end += 1
        if lang in SHELL_LANGS | LOOSE_LANGS:
            for number, text in _logical_lines(lines[i + 1 : end], i + 2):
                words = text.split()
                first = next((w for w in words if not ENV_ASSIGN.match(w)), "")
                if lang in LOOSE_LANGS and not _is_program(first):
                    continue
                found += _split(text, f"{rel}:{number}", inline=False)
        i = end + 1
    return found


def all_commands() -> list[Command]:
    return [cmd for path in doc_files() for cmd in commands_in(path)]
