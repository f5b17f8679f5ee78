"""Turn a submitted notebook or folder into the program the child runs.

The grader never imports or executes student code here: it only reads files as bytes and JSON.

For a notebook, the program is the student's code cells in the student's order, each top-level
statement its own step, with the *released* notebook's provided cells (trusted) run in their
place: a student cannot edit a locked cell or the guard of the training cell. Test cells are left
out (the grader runs its own checks). :mod:`autograder.grading.match` finds the student's work.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from autograder import protocol
from autograder.checks import Assignment
from autograder.grading import safe_read
from autograder.grading.safe_read import MAX_BYTES
from autograder.grading.versions import old_lightning_notes
from autograder.paths import release_dir


class SubmissionError(Exception):
    """The submission cannot be read at all; the message tells the student why."""


@dataclass
class Program:
    kind: str                                          # "notebook" or "modules"
    source: str                                        # what was graded, for the report
    cells: list[dict] = field(default_factory=list)    # notebook: step, label, source, origin
    modules: list[str] = field(default_factory=list)   # modules: names to import, in order
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)     # remarks for the student
    matching: list[dict] = field(default_factory=list)  # how each solution cell was found
    module_origins: dict[str, str] = field(default_factory=dict)  # modules: file -> origin

    @property
    def setup_steps(self) -> list[str]:
        if self.kind == "notebook":
            return [c["step"] for c in self.cells]
        return [protocol.import_step(m) for m in self.modules]

    @property
    def origins(self) -> dict[str, str]:
        """Whose code each cell (by label) or module file is: ``student`` or ``provided``; the
        child tags an error with the origin of the code that raised it."""
        if self.kind == "notebook":
            return {c["label"]: c["origin"] for c in self.cells}
        return dict(self.module_origins)


# --- reading notebooks -------------------------------------------------------------------

def _read(path: Path, root: Path | None = None, name: str | None = None) -> bytes:
    """A submission file's bytes, read safely (:mod:`autograder.grading.safe_read`), or SubmissionError."""
    try:
        return safe_read.read_bytes(path, root=root, name=name)
    except safe_read.UnsafeFile as exc:
        raise SubmissionError(str(exc)) from None


def read_notebook(path: Path) -> dict:
    """Parse a notebook file (``.ipynb`` JSON or a jupytext ``.pct.py``) without running it.

    The file is read without following links, as a regular file only, and at most
    ``MAX_BYTES`` of it (see :mod:`autograder.grading.safe_read`).
    """
    data = _read(path)
    if not data.strip():
        raise SubmissionError(f"{path.name} is empty (0 bytes of content): did the upload fail? "
                              "Save the notebook in Jupyter and submit it again.")
    if len(data) > MAX_BYTES:
        raise SubmissionError(f"{path.name} is {len(data) // 1_000_000} MB; the limit is "
                              f"{MAX_BYTES // 1_000_000} MB. Clear the outputs (Edit → Clear "
                              "All Outputs) and submit again.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{path.name} is not UTF-8 text (byte {exc.start}): is it really "
                              "a notebook? Download it again with File → Download.") from None
    if path.name.endswith(".py"):
        import jupytext

        try:
            return _as_notebook(jupytext.reads(text, fmt="py:percent"), path)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the student's file
            raise SubmissionError(f"{path.name} could not be read as a percent-format "
                                  f"notebook: {exc}") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        other = not_a_notebook(text)
        if other:
            raise SubmissionError(
                f"{path.name} is not a notebook: it is {other}, saved with the .ipynb name. "
                "Submit the notebook itself: in Jupyter, File → Save, then the .ipynb file from "
                "your folder (or File → Download, which saves the notebook, not an export).") from None
        raise SubmissionError(
            f"{path.name} is not valid notebook JSON ({exc.msg} at line {exc.lineno}): the file "
            "is probably truncated or was edited by hand. Open it in Jupyter; if it does not "
            "open, restore it from a checkpoint (File → Revert) and submit again.") from None
    return _as_notebook(nb, path)


def not_a_notebook(text: str) -> str | None:
    """What a file that is not JSON looks like ("a Markdown file", "an HTML page", "a Python
    script"), or None when it may be a notebook's JSON (it starts with ``{``: truncated)."""
    head = text.lstrip("\ufeff \t\r\n")
    lines = [line.strip() for line in head.splitlines()[:200]]
    if not head or head.startswith(("{", "[")):
        return None
    if head[:15].lower().startswith(("<!doctype html", "<html")) or "<body" in head[:5000].lower():
        return "an HTML page (an export such as File → Save and Export as → HTML)"
    if any(line.startswith("# %%") for line in lines):
        return "a Python script in percent format (a jupytext or VS Code export)"
    if _parses(head):
        return "a Python script (an export such as File → Save and Export as → Executable Script)"
    if any(line.startswith(("```", "# ", "## ", "### ", "* ", "- ", "$$")) for line in lines):
        return "a Markdown file (an export such as File → Save and Export as → Markdown)"
    return "plain text, not JSON"


def _parses(text: str) -> bool:
    from autograder.grading.cells import parse_python

    try:
        parse_python(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _upgrade_v3(nb: dict, path: Path) -> dict:
    """An nbformat-3 notebook (cells inside ``worksheets``) converted to nbformat 4."""
    import nbformat

    try:
        upgraded = nbformat.convert(nbformat.from_dict(nb), 4)
        return json.loads(json.dumps(upgraded))  # plain dicts and lists again
    except Exception as exc:  # noqa: BLE001 - any failure is the student's file
        raise SubmissionError(f"{path.name} is an old nbformat-3 notebook (it has "
                              f"'worksheets') that could not be converted ({exc}): open it in a "
                              "current Jupyter, save it (File → Save) and submit again.") from None


def _as_notebook(nb, path: Path) -> dict:
    converted = isinstance(nb, dict) and "cells" not in nb and isinstance(nb.get("worksheets"), list)
    if converted:
        nb = _upgrade_v3(nb, path)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (it has no list "
                              "of cells).")
    cells = []
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        cells.append({"cell_type": cell.get("cell_type"), "source": source, "nbgrader": nbgrader})
    return {"cells": cells, "converted_from": 3} if converted else {"cells": cells}


CONVERTED_NOTE = ("{name} was converted from notebook format 3 (the format of Jupyter before 2015, "
                  "with 'worksheets') to format 4 before grading; its cells were graded as "
                  "converted. Open it in a current Jupyter and save it to hand in format 4.")


def grade_id(cell: dict) -> str | None:
    gid = cell["nbgrader"].get("grade_id")
    return gid if isinstance(gid, str) else None


# --- finding the submission --------------------------------------------------------------

def find_notebook(path: Path, name: str, notes: list[str]) -> Path:
    """The notebook to grade: ``path`` itself, or ``name`` (or the only notebook) in a folder.

    Nothing is followed: a link, device, FIFO or folder with the expected name is refused with
    a message (``read_notebook`` refuses it), and the search never enters a linked folder.
    """
    if not path.is_dir() or path.is_symlink():
        return path
    stem = name.removesuffix(".ipynb")
    for candidate in (name, f"{stem}.pct.py"):
        if os.path.lexists(path / candidate):
            return path / candidate
    found = [p for p in safe_read.walk_files(path, "*.ipynb")
             if ".ipynb_checkpoints" not in p.relative_to(path).parts]
    if len(found) == 1:
        notes.append(f"Graded {found[0].relative_to(path)}; the expected name is {name}.")
        return found[0]
    if not found:
        raise SubmissionError(f"No notebook in the submission: expected {name}.")
    listed = ", ".join(str(p.relative_to(path)) for p in found[:5])
    raise SubmissionError(f"Expected {name}, but found several notebooks ({listed}): "
                          f"submit one notebook named {name}.")


def load(assignment: Assignment, path: Path) -> Program:
    """The program for ``path`` (a notebook file or a submission folder)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if assignment.notebook:
        return load_notebook_program(assignment.id, path, assignment.notebook)
    return load_module_program(assignment.id, path, assignment.modules)


def load_notebook_program(assignment: str, path: Path, name: str) -> Program:
    """The program for a notebook: the release's provided cells and the student's own code.

    Each solution cell of the release is found in the student's notebook by its nbgrader
    ``grade_id`` or, where that id is missing, duplicated or on a cell that is no longer code,
    as the last code cell that defines the same top-level names. See :mod:`autograder.grading.match`.
    """
    from autograder.grading.match import match_cells

    notes: list[str] = []
    nb_path = find_notebook(path, name, notes)
    student = read_notebook(nb_path)
    release = read_notebook(release_dir(assignment) / name)
    if student.get("converted_from") == 3:
        notes.append(CONVERTED_NOTE.format(name=nb_path.name))
    program = Program(kind="notebook", source=str(nb_path), notes=notes)
    match_cells(release, student, program)
    return program


def load_module_program(assignment: str, path: Path, modules: dict[str, str]) -> Program:
    """``modules`` maps file name -> "student" or "provided" (provided files come from the release)."""
    if path.is_file():
        raise SubmissionError(f"Submit the folder that holds {', '.join(modules)}, not one file.")
    program = Program(kind="modules", source=str(path))
    for filename, origin in modules.items():
        if origin == "provided":
            data = (release_dir(assignment) / filename).read_bytes()
        else:
            # Nothing is followed: a link, device, FIFO or folder named like the module is
            # refused with a message (safe_read), and the search never enters a linked folder.
            candidate, root = path / filename, path
            if not os.path.lexists(candidate):
                found = list(safe_read.walk_files(path, filename))
                if found:
                    candidate = found[0]
                    program.notes.append(f"Graded {candidate.relative_to(path)}; expected "
                                         f"{filename} at the top of the folder.")
                else:
                    program.notes.append(f"{filename} is missing: the release's stub was graded.")
                    candidate, root = release_dir(assignment) / filename, None
            shown = str(candidate.relative_to(path)) if root else filename
            data = _read(candidate, root=root, name=shown)
        program.files[filename] = data
        if origin == "student":
            program.notes += old_lightning_notes(filename, data)
        program.modules.append(filename.removesuffix(".py"))
        program.module_origins[filename] = origin
    return program
