"""Words for a student: what an error the child reported means and what to do about it.

The child reports errors as plain data (see :mod:`autograder.protocol`); this module turns them
into words. The few words an assignment's judge quotes itself (:func:`~autograder.checks.raised`,
:func:`~autograder.checks.raised_in_cell`) live in :mod:`autograder.checks`, the layer below the
assignments, so that no assignment imports the grading parent.
"""

from __future__ import annotations

from autograder import protocol
from autograder.checks import raised, where_text  # the words a judge quotes too

# What an error of each kind means, with the error's fields ({name}, {seconds}, {status}).
ERRORS = {
    "missing": "Your submission defines no `{name}`: did you rename it, delete its cell, or does an "
               "earlier cell fail? (see the notes above)",
    "timeout": "Did not finish within {seconds} s: an endless loop, or a long training run inside "
               "the code being checked?",
    "total_timeout": "Not run: the whole submission took longer than {seconds} s (an earlier step "
                     "was slow).",
    "crashed": "The process running your code stopped ({status}) during this check: it may have "
               "used too much memory, or called exit()/os._exit().",
    "forged": "The grader received two reports for this check, so it trusts neither: code in your "
              "submission wrote to the grader's own channel. Remove it; only the grader reports "
              "what your code does.",
    "no_report": "Your code ran, but the check's observation never came back.",
}


class _Fields(dict):
    """An error's fields for a template: a field the error lacks reads None (as ``.get``)."""

    def __missing__(self, key: str):
        return None


def explain(error: dict, check_title: str) -> str:
    """One or two sentences for an observation that ended in an error instead of data."""
    if not isinstance(error, dict):
        return "The grader could not read what your code did."
    kind = error.get("kind")
    if kind == "not_implemented":
        where = error.get("where") or {}
        fn = where.get("function") if isinstance(where, dict) else None
        name = f"`{fn}`" if fn and fn != "<module>" else "a function this check needs"
        return (f"Not implemented yet: {name} still raises NotImplementedError"
                f"{where_text(where)}. Replace the `raise NotImplementedError()` with your code.")
    if kind == "missing_in_notebook":
        name, matched = error.get("name"), error.get("matched")
        if matched:
            return (f"`{name}` was not defined when this check ran, although {matched} of your "
                    "notebook defines it: a statement of that cell failed before the definition, "
                    "or the definition has a syntax error (see the notes above).")
        return (f"Your notebook defines no `{name}`: no cell has the id {name} and no cell "
                f"defines `{name}`. Did you rename it or delete its cell?")
    if isinstance(kind, str) and kind in ERRORS:
        return ERRORS[kind].format_map(_Fields(error))
    if kind == "exception":
        return f"Your code raised {raised(error)}."
    return "The grader could not read what your code did."


def cell_note(step: str, error: dict, origin: str = protocol.STUDENT, label: str | None = None,
              missing: set[str] = frozenset()) -> str:
    """A note about a notebook cell (or one statement of it) or module import that failed.

    ``origin``: whose code the step runs (``student``, or ``provided``: a cell of the course).
    The error's own ``origin``, tagged by the child (:func:`autograder.protocol.origin`), says
    where it was raised: a provided cell that fails inside the student's code
    (``gen = Generator(z_dim)`` calls the student's class) is the student's to fix.
    ``missing``: names no cell of the student's notebook defines (a course cell that uses one
    fails with a NameError that is the student's to fix, not the course's).
    """
    what = label or protocol.subject(step)
    if protocol.is_import(step):
        what = f"{what}.py"
    kind = error.get("kind") if isinstance(error, dict) else None
    if kind == "not_implemented":
        return ""  # unfinished stubs are reported by each check that needs them
    raised_by_student = isinstance(error, dict) and error.get("origin") == protocol.STUDENT
    undefined = error.get("undefined") if isinstance(error, dict) else None
    if origin == protocol.PROVIDED and undefined in missing:
        return (f"The course's {what} could not run: it uses `{undefined}`, which your notebook "
                "does not define.")
    if origin == protocol.PROVIDED and not raised_by_student:
        return (f"The course's own {what} failed: {explain(error, what)} This is not your "
                "mistake: tell your instructor (is the course installed with "
                "`pip install -r requirements.txt`?).")
    if kind == "exception" and error.get("type") == "SyntaxError":
        return (f"{what} has a syntax error{where_text(error.get('where'))}: "
                f"{error.get('message')}. Nothing it defines could be graded.")
    if origin == protocol.PROVIDED:
        return f"{what} (a cell of the course that uses your code) failed: {explain(error, what)}"
    return f"{what} failed while running: {explain(error, what)}"
