"""Students: ``python -m autograder submit ID PATH`` writes the one zip to hand in.

Like otter-grader's ``export``: it runs the visible checks on exactly the files it packs (so what
you see is what the grader gets), warns about missing files and unsaved work, and writes
``NAME.zip`` holding only what the grader needs, at the zip's top level:

* a notebook assignment: the notebook (``first_gan.ipynb``);
* ``gan_project``: the student's modules (``models.py``, ``train_torch.py``, ``train_pl.py``).

The zip is what every route accepts as it is: upload it to Gradescope (which unpacks it into
``/autograder/submission``, the folder ``run_autograder`` grades), or drop it into the folder that
``grade-all`` grades (a ``NAME.zip`` entry is student ``NAME``), or give it to ``grade``.
The zip's format, both ways, is :mod:`autograder.grading.archive`: ``write_zip`` here, and
``unpack``, how the grader opens one (regular files only, no paths outside the folder, bounded
sizes).
"""

from __future__ import annotations

import getpass
import re
import sys
from pathlib import Path

from autograder.grading.archive import unpack, write_zip
from autograder.grading.submission import MAX_BYTES, SubmissionError

__all__ = ["collect", "submit", "unpack", "write_zip"]


def needed_files(assignment: str) -> list[str]:
    """The file names the grader reads from a submission of ``assignment``."""
    from autograder.checks import Assignment

    return Assignment.load(assignment).submitted_files()


def default_name(path: Path, assignment: str) -> str:
    """The folder's name when it is the student's own (not ``first_gan`` or ``assignments``),
    else the login name."""
    folder = (path if path.is_dir() else path.parent).resolve()
    if folder.name and folder.name not in (assignment, "assignments", "submission", "solutions"):
        return folder.name
    return getpass.getuser()


def safe_name(name: str) -> str:
    """A file name made of letters, digits, ``.``, ``-`` and ``_`` (others become ``_``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name.strip()).strip(".")
    return cleaned or "student"


def unsaved_warnings(notebook: Path) -> list[str]:
    """Signs that the notebook on disk is older than the student's work."""
    warnings = []
    mtime = notebook.stat().st_mtime
    twin = notebook.with_name(notebook.name.removesuffix(".ipynb") + ".pct.py")
    if twin.is_file() and twin.stat().st_mtime > mtime + 1:
        warnings.append(f"{twin.name} is newer than {notebook.name}: if you edit the .pct.py "
                        "twin, open the notebook in Jupyter (jupytext) and save it, or run "
                        f"`jupytext --to ipynb {twin.name}`, before submitting.")
    checkpoint = notebook.parent / ".ipynb_checkpoints" / (
        notebook.name.removesuffix(".ipynb") + "-checkpoint.ipynb")
    if checkpoint.is_file() and checkpoint.stat().st_mtime > mtime + 1:
        warnings.append(f"Jupyter's checkpoint of {notebook.name} is newer than the notebook: "
                        "save it in Jupyter (File → Save Notebook) before submitting.")
    return warnings


def collect(assignment: str, path: Path) -> tuple[dict[str, Path], list[str]]:
    """The files to pack (name in the zip -> file) and warnings for the student."""
    names = needed_files(assignment)
    files: dict[str, Path] = {}
    warnings: list[str] = []
    if path.is_file():
        if len(names) > 1:
            raise SubmissionError(f"{assignment} is graded from a folder holding "
                                  f"{', '.join(names)}: give that folder, not one file.")
        if path.name != names[0]:
            warnings.append(f"{path.name} will be packed as {names[0]}, the name the grader "
                            "expects.")
        files[names[0]] = path
    else:
        for name in names:
            candidate = path / name
            if candidate.is_file():
                files[name] = candidate
            else:
                warnings.append(f"{name} is missing from {path}: the grader will grade the "
                                "release's empty stub in its place (0 points for it).")
    if not files:
        raise SubmissionError(f"Nothing to submit: none of {', '.join(names)} is in {path}.")
    for name, file in files.items():
        if name.endswith(".ipynb"):
            warnings += unsaved_warnings(file)
        if file.stat().st_size > MAX_BYTES:
            raise SubmissionError(f"{name} is larger than {MAX_BYTES // 1_000_000} MB: clear "
                                  "its outputs (Edit → Clear All Outputs), save, and submit "
                                  "again.")
    return files, warnings


def submit(assignment: str, path: Path, name: str | None = None, out: Path | None = None,
           run_checks: bool = True) -> int:
    """The CLI verb: check, warn, write ``OUT/NAME.zip``; 0, or 2 when nothing can be packed."""
    from autograder.grading.results import table

    try:
        files, warnings = collect(assignment, Path(path))
    except SubmissionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    student = safe_name(name or default_name(Path(path), assignment))
    target = (out or Path.cwd()) / f"{student}.zip"
    target = write_zip(files, target)
    if run_checks:
        from autograder.grading.grade import grade

        print(table(grade(assignment, target, visibility="visible"), color=sys.stdout.isatty()))
        print()
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"wrote {target}: {', '.join(sorted(files))} (student {student!r})")
    print("Hand in this zip (Gradescope, or as your course says); the grader also runs hidden "
          "checks.")
    return 0
