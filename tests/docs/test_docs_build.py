"""The docs site builds with warnings as errors, and its generated references cover the code and the config.

`mkdocs build --strict` fails on a broken link between guides, a nav entry without a page, a docstring the
handler cannot read, or a generator error, so a stale doc fails CI instead of shipping.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("mkdocs", reason="the docs group is not installed (make test installs it)")


def text(page: Path) -> str:
    """A page's visible text (code is highlighted into many spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    # not -q: strict mode counts the warnings that are logged, and -q would silence (and so pass) them
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return out


def test_every_module_has_an_api_page(site):
    missing = []
    for package in ("components", "serve"):
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            page = site / "reference" / "api" / Path(*parts) / "index.html"
            if not page.is_file():
                missing.append(".".join(parts))
    assert not missing, f"modules without an API page: {missing}"


def test_api_index_lists_every_component_option(site):
    index = (site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    for group in ("data", "model", "training_loop", "reward", "evaluation", "observer"):
        for yaml_file in (REPO / "conf" / f"{group}_component").glob("*.yaml"):
            assert f"{group}_component={yaml_file.stem}" in index, yaml_file


def test_every_config_option_has_a_section(site):
    for group in (
        "data_component",
        "model_component",
        "reward_component",
        "evaluation_component",
        "observer_component",
        "experiment",
        "prompts",
        "accelerate",
    ):
        page = (site / "reference" / "config" / group / "index.html").read_text(encoding="utf-8")
        for yaml_file in (REPO / "conf" / group).glob("*.yaml"):
            assert f"conf/{group}/{yaml_file.name}" in page, yaml_file
    # a default and a header run command reach the page
    model = text(site / "reference" / "config" / "model_component" / "index.html")
    assert "python run_pipeline.py model_component=tiny_random train.max_steps=2" in model


def test_guides_and_tutorials_are_pages(site):
    for page in (
        "index.html",
        "guides/architecture/index.html",
        "guides/configuration/index.html",
        "deployment/index.html",
        "best_practices/index.html",
        "tutorials/01_first_run/index.html",
        "tutorials/03_sweeps/index.html",
    ):
        assert (site / page).is_file(), page
    # the stored notebook outputs (plots) are part of the rendered tutorial
    assert "data:image/png;base64" in (site / "tutorials/01_first_run/index.html").read_text(encoding="utf-8")


class _Links(HTMLParser):
    """The element ids of a page and the local href/src it points at (stdlib parser: no extra dependency)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        url = values.get("href") if tag in ("a", "link") else values.get("src") if tag in ("img", "script") else None
        if url and not urlsplit(url).scheme and not url.startswith("//"):
            self.links.append(url)


def test_internal_links_and_anchors_resolve(site):
    """Every local link of every rendered page reaches a file, and its #anchor an id on that page.

    `--strict` checks the Markdown pages' links; this also covers what plugins render: the notebook pages'
    table of contents (mkdocs-jupyter drops a heading's inline code from its TOC link, which then misses the
    heading's id) and the generated references.
    """
    pages = {}
    for page in site.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page] = parser
    broken = []
    for page, parser in pages.items():
        for url in parser.links:
            parts = urlsplit(url)
            base = site if parts.path.startswith("/") else page.parent
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {url} (no such file)")
            elif parts.fragment and target in pages and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{page.relative_to(site)}: {url} (no such anchor)")
    assert not broken, "broken links in the built site:\n" + "\n".join(sorted(set(broken))[:50])
