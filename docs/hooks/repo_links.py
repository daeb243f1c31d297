"""MkDocs hook: links in the guides keep working when the guides are included into the site.

The guides live at the repo root (README.md, ARCHITECTURE.md, ...) and in docs/ (INSTALL.md, ...), and link to each
other by their repo paths, which is what GitHub shows. docs/guides/*.md include them with include-markdown (without
rewriting), so a link like `CONFIGURATION_GUIDE.md#modes` must become the URL of the page that includes that file.
This hook resolves every relative link against the file the text really came from and, when the target is a file
the site has a page for, points it at that page. Anything else is left alone, so strict mode reports it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
INCLUDE = re.compile(r'\{%\s*include-markdown\s+"([^"]+)"')
LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")  # ](target#anchor) with a relative-or-absolute target


def _included_source(page_src: str) -> str | None:
    """Repo path of the file a stub page includes, or None when the page is not a stub."""
    path = DOCS / page_src
    if path.suffix != ".md" or not path.is_file():
        return None
    match = INCLUDE.search(path.read_text(encoding="utf-8"))
    if not match:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname("docs/" + page_src), match.group(1)))


def on_files(files, config):
    """Map repo path -> page: every page under docs/ by its own path, and each included guide by its stub."""
    global PAGE_OF, SOURCE_OF
    PAGE_OF, SOURCE_OF = {}, {}
    for f in files.documentation_pages():
        PAGE_OF["docs/" + f.src_uri] = f.src_uri
        source = _included_source(f.src_uri)
        SOURCE_OF[f.src_uri] = source or "docs/" + f.src_uri
        if source:
            PAGE_OF[source] = f.src_uri
    return files


@event_priority(-100)  # after include-markdown has pasted the guide in
def on_page_markdown(markdown, page, config, files):
    source_dir = posixpath.dirname(SOURCE_OF.get(page.file.src_uri, "docs/" + page.file.src_uri))
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        if "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        repo_path = posixpath.normpath(posixpath.join(source_dir, target))
        if repo_path not in PAGE_OF:
            return match.group(0)
        return f"]({posixpath.relpath(PAGE_OF[repo_path], page_dir or '.')}{anchor})"

    return LINK.sub(rewrite, markdown)


PAGE_OF: dict[str, str] = {}
SOURCE_OF: dict[str, str] = {}
