"""The tutorial notebooks run top to bottom on CPU, and what they show includes the plots they talk about.

Each notebook is executed fresh with nbclient (about a minute for all three with the tiny random model); their
commands are the pipeline's real commands, so a renamed option or a changed output file fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the docs group is not installed (make test installs it)")
nbclient = pytest.importorskip("nbclient")

TUTORIALS = Path(__file__).resolve().parents[2] / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
# plots each notebook must show: its own figure count, at least
MIN_IMAGES = {"01_first_run.ipynb": 4, "02_custom_reward.ipynb": 1, "03_sweeps.ipynb": 2}


def images(nb) -> int:
    return sum(
        "image/png" in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
    )


def test_there_are_three_tutorials():
    assert [p.name for p in NOTEBOOKS] == sorted(MIN_IMAGES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_has_its_outputs(path):
    """The site renders the stored outputs (mkdocs-jupyter, execute: false): commit notebooks executed."""
    assert images(nbformat.read(path, as_version=4)) >= MIN_IMAGES[path.name]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("RLVR_TUTORIAL_OUT", str(tmp_path))  # the kernel inherits it: outputs stay in tmp
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(TUTORIALS)}}
    )
    client.execute()  # raises CellExecutionError naming the cell on any error
    assert images(nb) >= MIN_IMAGES[path.name]
