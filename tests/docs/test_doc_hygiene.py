"""Committed docs and configs speak of the project, never of the machine or the people that made its figures.

Scanned: every Markdown file and tutorial notebook (tests/docs/doc_commands.py finds them, so a new doc is covered
without editing this file), every file under docs/ (the site's pages, hooks and generators), and every YAML under
conf/ (their headers are the config reference pages).

Refused, with why:
- Machine paths: a home directory (/root/, /home/<user>/), a pyenv interpreter (.pyenv), the checkout or scratch
  folders of the machine a figure was made on (/work/, /tmp/<name>). A reader's machine has none of them; a command
  in the docs names a path relative to the repo (outputs/..., hydra.run.dir=...) or a placeholder (<run>).
- Words about how a figure was obtained instead of what the project is or what the figure measured: who lent a
  machine ("lent", "this machine", "these machines"), whose access or interpreter it was ("our registry", "the
  lead"), who else was working ("other engineers", "engineers' jobs"), when in a working session ("this session",
  "the session", "the integrator"). A figure's conditions stay: CPU model, cores, load average, date and command.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.doc_commands import REPO, SKIP_DIRS, doc_files

MACHINE_PATHS = {
    r"(?<![\w.~])/root/": "a home directory",
    r"(?<![\w.~])/home/\w": "a home directory",
    r"\.pyenv\b": "a pyenv interpreter",
    r"(?<![\w.~])/work/": "the checkout of the machine a figure was made on",
    r"(?<![\w.~])/tmp/[\w.<]": "a scratch folder of the machine a figure was made on",
}
CIRCUMSTANCE_WORDS = {
    r"\blent\b": "who lent a machine",
    r"\bth(is|ese) machines?\b": "which machine, instead of its CPU/GPU model",
    r"\bour registry\b": "whose package index access",
    r"\bthe lead\b": "whose interpreter or decision",
    r"\bother engineers\b|\bengineers' jobs\b": "who else was working (say the load average)",
    r"\b(this|the) session\b": "when in a working session (say the date)",
    r"\bthe integrator\b": "who merges",
}
TEXT_SUFFIXES = {".md", ".ipynb", ".yaml", ".yml", ".py", ".html", ".css", ".js", ".txt"}


def scanned() -> list[Path]:
    docs = [p for p in (REPO / "docs").rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES]
    docs = [p for p in docs if not SKIP_DIRS & set(p.relative_to(REPO).parts)]
    return sorted(set(doc_files()) | set(docs))


def hits(text: str, patterns: dict[str, str]) -> list[str]:
    """`line: match (why): the line` for each match; a space in a pattern also matches a line break (wrapped prose)."""
    found = []
    lines = text.splitlines()
    for pattern, why in patterns.items():
        for m in re.finditer(pattern.replace(" ", r"\s+"), text, re.IGNORECASE):
            n = text.count("\n", 0, m.start()) + 1
            found.append(f"{n}: {' '.join(m.group(0).split())!r} ({why}): {lines[n - 1].strip()[:120]}")
    return sorted(found, key=lambda h: int(h.split(":")[0]))


def test_the_scan_covers_the_docs_and_configs() -> None:
    names = {p.relative_to(REPO).as_posix() for p in scanned()}
    assert {"README.md", "BENCHMARKS.md", "docs/INSTALL.md", "conf/config.yaml"} <= names
    assert any(n.endswith(".ipynb") for n in names) and any(n.startswith("components/") for n in names)


def test_the_patterns_catch_what_they_name() -> None:
    assert hits("python at /root/.pyenv/versions/3.11.7/bin", MACHINE_PATHS)
    assert hits("hydra.run.dir=/tmp/exp/<run>", MACHINE_PATHS) and hits("cd /work/main", MACHINE_PATHS)
    assert not hits("outputs/<date>/<time> and ~/.cache/rlvr-pipeline", MACHINE_PATHS)
    assert hits("an H100 (lent device)", CIRCUMSTANCE_WORDS) and hits(
        "beside other engineers' jobs", CIRCUMSTANCE_WORDS
    )
    assert hits("wheel where one is configured (these\nmachines: 2.13.0+cpu)", CIRCUMSTANCE_WORDS)
    assert not hits("the leading comment block; a talent", CIRCUMSTANCE_WORDS)


def test_no_machine_path_or_circumstance_word_in_docs_or_configs() -> None:
    problems = []
    for path in scanned():
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{path.relative_to(REPO)}:{h}" for h in hits(text, MACHINE_PATHS | CIRCUMSTANCE_WORDS)]
    assert not problems, (
        "committed docs/configs name the machine or circumstances a figure was made in; say what the project is "
        "(repo-relative paths, CPU model, load, date):\n" + "\n".join(problems)
    )
