"""Grade one submission: load it, observe it in a sandbox, judge every check here.

``grade`` runs every check; ``check`` (students' self-check) runs only the visible ones. Both
return a :class:`~autograder.report.Result`; the exit code never depends on the score.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder import feedback, sandbox, submission
from autograder.checks import HIDDEN, VISIBLE, Check, ObservationError, Verdict, load_checks
from autograder.report import CheckResult, Result


def spec(assignment: str):
    """The assignment's module: NOTEBOOK (or MODULES) and CHECKS."""
    return importlib.import_module(f"autograder.assignments.{assignment}")


def judge(check: Check, outcome: dict | None) -> Verdict:
    """Turn one step's outcome (observation or error) into a verdict. Never raises."""
    if not isinstance(outcome, dict):
        return Verdict(False, "This check was not run (an earlier step stopped the grader's "
                       "process).")
    if "error" in outcome:
        return Verdict(False, feedback.explain(outcome["error"], check.title))
    try:
        verdict = check.judge(outcome.get("observation"), check.params)
    except (ObservationError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return Verdict(False, f"The grader could not read what your code reported ({exc}); "
                       "did your code replace parts of torch or of the grader?")
    if not isinstance(verdict, Verdict):
        return Verdict(False, "The grader could not judge this check.")
    return verdict


def wrong_assignment(assignment: str, path: Path) -> str | None:
    """A note when the notebook at ``path`` is another assignment's (by its cells' grade_ids)."""
    from autograder import ASSIGNMENTS
    from autograder.paths import release_dir

    def ids(nb_path: Path) -> set[str]:
        try:
            nb = submission.read_notebook(nb_path)
        except (submission.SubmissionError, OSError):
            return set()
        return {gid for c in nb["cells"] if c.get("cell_type") == "code"
                for gid in [submission.grade_id(c)] if gid}

    mine = ids(path)
    if not mine:
        return None
    overlap = {}
    for other in ASSIGNMENTS:
        name = getattr(spec(other), "NOTEBOOK", None)
        if name:
            overlap[other] = len(mine & ids(release_dir(other) / name))
    best = max(overlap, key=overlap.get)
    if best != assignment and overlap[best] > overlap.get(assignment, 0):
        return (f"This notebook looks like {best}'s ({spec(best).NOTEBOOK}), not {assignment}'s: "
                f"its cells are those of {best}. Did you pass the wrong file? Grade it with "
                f"`python -m autograder check {best} ...`, or submit "
                f"{getattr(spec(assignment), 'NOTEBOOK', assignment)} for {assignment}.")
    return None


def grade(assignment: str, path: Path, visibility: str = "all",
          limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> Result:
    """Grade the notebook, folder or submission zip at ``path``; ``visibility`` "visible" skips
    hidden checks (a student's self-check)."""
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":  # written by `python -m autograder submit`
        import tempfile

        from autograder.submit import unpack

        with tempfile.TemporaryDirectory(prefix="gan-submission-") as folder:
            try:
                unpack(path, Path(folder))
            except submission.SubmissionError as exc:
                return _not_graded(assignment, path, visibility, exc)
            result = grade(assignment, Path(folder), visibility, limits)
            result.source = f"{path} ({result.source.replace(folder, '').lstrip('/') or 'zip'})"
            return result
    all_checks = load_checks(assignment)
    checks = [c for c in all_checks if visibility == "all" or c.visibility == VISIBLE]
    result = Result(assignment=assignment, source=str(path))
    result.hidden_points = sum(c.points for c in all_checks if c not in checks)
    try:
        program = submission.load(assignment, Path(path), spec(assignment))
    except submission.SubmissionError as exc:
        result.notes.append(str(exc))
        result.checks = [CheckResult(c.name, c.group, c.title, 0.0, c.points,
                                     f"Not graded: {exc}", c.visibility) for c in checks]
        return result
    result.source = program.source
    if program.kind == "notebook":
        wrong = wrong_assignment(assignment, Path(program.source))
        if wrong:
            result.notes.append(wrong)
    result.notes += program.notes
    request = {
        "assignment": assignment,
        "kind": program.kind,
        "cells": program.cells,
        "modules": program.modules,
        "checks": [{"name": c.name, "params": c.params} for c in checks],
    }
    steps = [(s, limits.cell_timeout) for s in program.setup_steps]
    steps += [(c.name, min(c.timeout, limits.check_timeout)) for c in checks]
    run = sandbox.observe(request, steps, program.files, limits)
    origins = {c["step"]: c["origin"] for c in program.cells}
    student_labels = {c["label"] for c in program.cells if c["origin"] == "student"}
    for step in program.setup_steps:
        error = run.steps.get(step, {}).get("error")
        if error:
            where = error.get("where") if isinstance(error, dict) else None
            blame = isinstance(where, dict) and where.get("file") in student_labels
            note = feedback.cell_note(step, error, origins.get(step, "student"), blame)
            if note:
                result.notes.append(note)
    for check in checks:
        verdict = judge(check, run.steps.get(check.name))
        score = check.points if verdict.passed else 0.0
        result.checks.append(CheckResult(check.name, check.group, check.title, score,
                                         check.points, verdict.message, check.visibility))
    result.seconds = run.seconds
    return result


def _not_graded(assignment: str, path: Path, visibility: str, exc: Exception) -> Result:
    checks = [c for c in load_checks(assignment) if visibility == "all" or c.visibility == VISIBLE]
    result = Result(assignment=assignment, source=str(path), notes=[str(exc)])
    result.checks = [CheckResult(c.name, c.group, c.title, 0.0, c.points, f"Not graded: {exc}",
                                 c.visibility) for c in checks]
    return result


__all__ = ["grade", "judge", "HIDDEN", "VISIBLE"]
