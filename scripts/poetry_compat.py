"""Run Poetry's own CLI, tolerating registries without PyPI's per-version JSON.

Usage (with a Python that has poetry installed; scripts/lock.sh does this):
    python scripts/poetry_compat.py lock [poetry args...]

Poetry's PyPI repository asks for ``/pypi/<name>/<version>/json``. Some PyPI
mirrors/proxies serve the simple index (PEP 691 JSON), the per-project JSON
(``/pypi/<name>/json``) and the files (with HTTP range requests), but not the
per-version JSON, and Poetry then fails with "Package X (1.2.3) not found".

This wrapper changes nothing when the per-version JSON is served. When it is
missing (HTTP 404), it synthesizes the same document from data the registry
does serve:
  * ``urls`` (file names, sha256 digests, sizes, yanked flags) from the
    ``releases`` table of the per-project JSON (or the simple index);
  * ``info.requires_dist`` / ``requires_python`` / ``summary`` from the
    distribution's own core metadata, read by Poetry's own code path
    (``_get_info_from_links``: PEP 658 metadata or a lazy range-request read
    of the wheel; sdist-only releases are built like Poetry always does).
The result is a standard poetry.lock for the default PyPI source: no source
URL is configured or recorded, and nothing host-specific lands in the repo.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from poetry.core.constraints.version import Version
from poetry.core.version.exceptions import InvalidVersionError
from poetry.repositories.pypi_repository import PyPiRepository

_PER_VERSION = re.compile(r"^pypi/(?P<name>[^/]+)/(?P<version>[^/]+)/json$")
_orig_get = PyPiRepository._get
_project_cache: dict[str, dict[str, Any] | None] = {}


def _same_version(a: str, b: str) -> bool:
    try:
        return Version.parse(a) == Version.parse(b)
    except InvalidVersionError:
        return a == b


def _release_files(repo: PyPiRepository, name: str, version: str) -> tuple[str, list[dict]] | None:
    if name not in _project_cache:
        _project_cache[name] = _orig_get(repo, f"pypi/{name}/json")
    project = _project_cache[name]
    if project and project.get("releases"):
        for key, files in project["releases"].items():
            if _same_version(key, version):
                return key, files
        return None
    # No releases table: rebuild the entries from the PEP 691 simple index.
    simple = repo.get_package_info(name)
    files = []
    for f in simple.get("files", []):
        fn = f["filename"]
        m = re.match(rf"^{re.escape(name).replace('-', '[-_.]')}-(?P<v>[^-]+?)(-|\.tar|\.zip)", fn, re.I)
        if not m or not _same_version(m.group("v"), version):
            continue
        files.append(
            {
                "filename": fn,
                "url": f["url"],
                "digests": {"sha256": f["hashes"].get("sha256", "")},
                "packagetype": "bdist_wheel" if fn.endswith(".whl") else "sdist",
                "requires_python": f.get("requires-python"),
                "size": f.get("size"),
                "upload_time_iso_8601": f.get("upload-time"),
                "yanked": bool(f.get("yanked")),
                "yanked_reason": f.get("yanked") if isinstance(f.get("yanked"), str) else None,
            }
        )
    return (version, files) if files else None


def _synthesize(repo: PyPiRepository, name: str, version: str) -> dict[str, Any] | None:
    found = _release_files(repo, name, version)
    if found is None:
        return None
    key, files = found
    yanked = bool(files) and all(f.get("yanked") for f in files)
    reasons = [f.get("yanked_reason") for f in files if f.get("yanked_reason")]
    requires_python = next((f["requires_python"] for f in files if f.get("requires_python")), None)

    summary, requires_dist = None, None
    page = repo.get_page(name)
    links = list(page.links_for_version(name, Version.parse(key)))
    if links:
        meta = repo._get_info_from_links(links, ignore_yanked=not yanked)
        summary = meta.summary
        requires_dist = meta.requires_dist
        requires_python = meta.requires_python or requires_python

    return {
        "info": {
            "name": name,
            "version": key,
            "summary": summary,
            "requires_dist": requires_dist,
            "requires_python": requires_python,
            "yanked": yanked,
            "yanked_reason": reasons[0] if reasons else None,
        },
        "urls": files,
    }


def _patched_get(self: PyPiRepository, endpoint: str, headers: dict[str, str] | None = None):
    data = _orig_get(self, endpoint, headers=headers)
    if data is not None:
        return data
    m = _PER_VERSION.match(endpoint)
    if m is None:
        return None
    return _synthesize(self, m.group("name"), m.group("version"))


PyPiRepository._get = _patched_get  # type: ignore[method-assign]

if __name__ == "__main__":
    from poetry.console.application import main

    sys.argv = ["poetry", *sys.argv[1:]]
    sys.exit(main())
