"""Build the student release (``assignments/<id>``) from the reference (``solutions/<id>``).

One source of truth: solutions carry nbgrader's markers; this step turns every solution region
into a TODO stub, removes hidden tests and model answers, and clears outputs. Notebooks go
through nbgrader's own preprocessors, so the result is what ``nbgrader generate_assignment``
makes of the same cells; ``.py`` templates get the same stub text.
"""

from __future__ import annotations

import copy
import filecmp
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.instructor.sync import percent_from_notebook, write_notebook
from autograder.paths import release_dir, solution_dir

CODE_STUB = "# TODO: your code here\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "BEGIN MARK SCHEME", "END MARK SCHEME")
_REGION = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
    re.DOTALL | re.MULTILINE,
)


def strip_python(source: str) -> str:
    """Replace each solution region of a ``.py`` template by the TODO stub, same indentation."""
    def stub(match: re.Match) -> str:
        indent = match.group("indent")
        return "".join(f"{indent}{line}\n" for line in CODE_STUB.splitlines())
    out = _REGION.sub(stub, source)
    if "BEGIN SOLUTION" in out or "END SOLUTION" in out:
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers")
    return out


def strip_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a reference notebook, through nbgrader's preprocessors."""
    from nbgrader.preprocessors import (
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
    )

    nb = copy.deepcopy(nb)
    resources: dict = {}
    steps = [
        ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB),
        ClearHiddenTests(),
        ClearMarkScheme(),
        ClearOutput(),
    ]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return nb


TRAINED_SUFFIXES = (".pt", ".pth", ".ckpt")          # checkpoints (solutions/gan_project/checkpoint.pt)
TRAINING_OUTPUTS = ("GAN_logs", "lightning_logs", "runs", "evaluation")


def build(assignment: str, target: Path) -> None:
    """Write the release of ``assignment`` into ``target`` (an empty or missing folder)."""
    source = solution_dir(assignment)
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or any(part.startswith((".", "__pycache__")) for part in rel.parts):
            continue  # caches and hidden files (.ruff_cache, .ipynb_checkpoints, .DS_Store)
        if path.suffix in TRAINED_SUFFIXES or any(part in TRAINING_OUTPUTS for part in rel.parts):
            continue  # the reference's trained checkpoint and training logs stay with the solution
        out = target / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.name.endswith(".pct.py"):
            continue  # written with its notebook
        if path.suffix == ".ipynb":
            nb = strip_notebook(nbformat.read(path, as_version=4))
            write_notebook(nb, out)
            twin = out.with_name(out.name.removesuffix(".ipynb") + ".pct.py")
            twin.write_text(percent_from_notebook(nbformat.read(out, as_version=4)))
        elif path.suffix == ".py":
            out.write_text(strip_python(path.read_text()))
        else:
            shutil.copyfile(path, out)


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between two folders (relative paths)."""
    names = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names |= {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    names = {n for n in names if "__pycache__" not in n.parts}
    return sorted(str(n) for n in names
                  if not ((a / n).is_file() and (b / n).is_file()
                          and filecmp.cmp(a / n, b / n, shallow=False)))


def release(assignments: list[str], check_only: bool = False) -> list[str]:
    """Rebuild ``assignments/<id>`` (or, with ``check_only``, list what is out of date)."""
    stale = []
    for assignment in assignments:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / assignment
            build(assignment, fresh)
            current = release_dir(assignment)
            diff = differences(fresh, current) if current.exists() else ["(missing)"]
            if diff:
                stale += [f"{assignment}/{d}" for d in diff]
                if not check_only:
                    shutil.rmtree(current, ignore_errors=True)
                    shutil.copytree(fresh, current)
                    print(f"released {assignment}: {len(diff)} file(s) updated")
            elif not check_only:
                print(f"released {assignment}: up to date")
    if check_only:
        print("\n".join(f"out of date: {s}" for s in stale) or "assignments/ is up to date")
    return stale
