"""Grade one submission: load it, observe it in a sandbox, judge every check here.

``grade`` runs every check; ``check`` (students' self-check) runs only the visible ones. Both
return a :class:`~autograder.report.Result`; the exit code never depends on the score.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder import feedback, sandbox, submission, trained
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


def grade(assignment: str, path: Path, visibility: str = "all",
          limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> Result:
    """Grade the notebook or folder at ``path``; ``visibility`` "visible" skips hidden checks."""
    checks = [c for c in load_checks(assignment)
              if visibility == "all" or c.visibility == VISIBLE]
    result = Result(assignment=assignment, source=str(path))
    try:
        program = submission.load(assignment, Path(path), spec(assignment))
    except submission.SubmissionError as exc:
        result.notes.append(str(exc))
        result.checks = [CheckResult(c.name, c.group, c.title, 0.0, c.points,
                                     f"Not graded: {exc}", c.visibility) for c in checks]
        return result
    result.source = program.source
    result.notes += program.notes
    trained.attach(program, checks, assignment, Path(path))
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
        if verdict.score is not None:  # partial credit
            score = round(check.points * min(max(float(verdict.score), 0.0), 1.0), 3)
        result.checks.append(CheckResult(check.name, check.group, check.title, score,
                                         check.points, verdict.message, check.visibility))
    result.seconds = run.seconds
    return result


__all__ = ["grade", "judge", "HIDDEN", "VISIBLE"]
