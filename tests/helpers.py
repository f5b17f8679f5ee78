"""Shared test helpers: make a submission from the reference solution, with or without a mistake.

A mistake is a list of text edits ``(target, old, new)``: ``target`` is ``"cell:<grade_id>"`` for
a notebook cell or ``"file:<name>"`` for a template file. Each ``old`` must occur in its target,
so a mistake fixture cannot silently stop testing anything when the solution changes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grade import grade, spec
from autograder.paths import release_dir, solution_dir
from autograder.report import Result


@dataclass(frozen=True)
class Mistake:
    """A typical student mistake and the check(s) that must catch it."""

    name: str
    edits: list[tuple[str, str, str]]
    fails: list[str]                      # check names that must lose their points
    says: list[str] = field(default_factory=list)   # words the feedback must contain


def submission_from(assignment: str, dest: Path, edits=(), source: Path | None = None) -> Path:
    """Copy the reference solution (or ``source``) to ``dest`` and apply ``edits``."""
    source = source or solution_dir(assignment)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.pct.py", "__pycache__"))
    notebook = getattr(spec(assignment), "NOTEBOOK", None)
    nb = json.loads((dest / notebook).read_text()) if notebook else None
    for target, old, new in edits:
        kind, name = target.split(":", 1)
        if kind == "cell":
            cells = [c for c in nb["cells"]
                     if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name]
            assert cells, f"no cell {name!r} in {notebook}"
            src = "".join(cells[0]["source"])
            assert old in src, f"mistake edit: {old!r} not found in cell {name!r}"
            cells[0]["source"] = src.replace(old, new)
        else:
            path = dest / name
            src = path.read_text()
            assert old in src, f"mistake edit: {old!r} not found in {name}"
            path.write_text(src.replace(old, new))
    if nb is not None:
        (dest / notebook).write_text(json.dumps(nb))
    return dest


def release_submission(assignment: str, dest: Path) -> Path:
    """An untouched copy of the student release."""
    return submission_from(assignment, dest, source=release_dir(assignment))


def by_name(result: Result) -> dict:
    return {c.name: c for c in result.checks}


def grade_mistake(assignment: str, mistake: Mistake, tmp_path: Path) -> Result:
    return grade(assignment, submission_from(assignment, tmp_path / mistake.name, mistake.edits))
