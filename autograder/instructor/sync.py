"""Regenerate each notebook (``.ipynb``) from its percent-format twin (``.pct.py``).

The ``.pct.py`` file is what authors write and reviewers diff; the ``.ipynb`` is what Jupyter
and nbgrader open. ``tests/test_release.py`` fails when a pair is out of sync.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

from autograder.paths import solution_dir

PAIRING = "ipynb,.pct.py:percent"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def notebook_from_percent(text: str) -> nbformat.NotebookNode:
    """A notebook from percent-format text, with pairing metadata and no outputs."""
    nb = jupytext.reads(text, fmt="py:percent")
    nb.metadata = {"jupytext": {"formats": PAIRING}, "kernelspec": KERNELSPEC,
                   "language_info": {"name": "python"}}
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


# jupytext writes its own version into the header; left there, the release would change with
# every jupytext release that `pip install` brings (and test_release would call it stale).
JUPYTEXT_VERSION_LINE = re.compile(r"^#\s+jupytext_version: \S+\n", re.MULTILINE)


def percent_from_notebook(nb: nbformat.NotebookNode) -> str:
    """Percent-format text for a notebook (the inverse of :func:`notebook_from_percent`).

    The same notebook gives the same text whatever jupytext version is installed.
    """
    return JUPYTEXT_VERSION_LINE.sub("", jupytext.writes(nb, fmt="py:percent"), count=1)


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{path.stem.replace('.', '-')}-{i}"  # stable ids: diffs stay small
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    path.write_text(nbformat.writes(nb) + "\n")


def sync(assignments: list[str]) -> list[Path]:
    """Rewrite every ``solutions/<id>/*.ipynb`` from its ``.pct.py``; return what was written."""
    written = []
    for assignment in assignments:
        for twin in sorted(solution_dir(assignment).glob("*.pct.py")):
            target = twin.with_name(twin.name.removesuffix(".pct.py") + ".ipynb")
            write_notebook(notebook_from_percent(twin.read_text()), target)
            written.append(target)
            print(f"synced {target.relative_to(solution_dir(assignment).parent.parent)}")
    return written
