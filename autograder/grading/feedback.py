"""Words for a student: what an error the child reported means and what to do about it."""

from __future__ import annotations


def where_text(where) -> str:
    if not isinstance(where, dict) or not where.get("file"):
        return ""
    file = str(where.get("file"))
    if "/" in file:  # a module of a .py submission: its name, not the grader's temp folder
        file = file.rsplit("/", 1)[-1]
    place = f" (in {file}, line {where.get('line')}"
    code = where.get("code")
    return place + (f": {code}" if code else "") + ")"


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
        return (f"Your code raised {error.get('type')}: {error.get('message')}"
                f"{where_text(error.get('where'))}.")
    return "The grader could not read what your code did."


def cell_note(step: str, error: dict, origin: str = "student", blame_student: bool = False,
              label: str | None = None, missing: set[str] = frozenset()) -> str:
    """A note about a notebook cell (or one statement of it) or module import that failed.

    ``blame_student``: the error was raised inside the student's code, even if the cell that
    ran it is one of the course's own (``gen = Generator(z_dim)`` calls the student's class).
    ``missing``: names no cell of the student's notebook defines (a course cell that uses one
    fails with a NameError that is the student's to fix, not the course's).
    """
    what = label or step.split(":", 1)[-1]
    if step.startswith("import:"):
        what = f"{what}.py"
    kind = error.get("kind") if isinstance(error, dict) else None
    if kind == "not_implemented":
        return ""  # unfinished stubs are reported by each check that needs them
    undefined = _undefined_name(error)
    if origin == "provided" and undefined in missing:
        return (f"The course's {what} could not run: it uses `{undefined}`, which your notebook "
                "does not define.")
    if origin == "provided" and not blame_student:
        return (f"The course's own {what} failed: {explain(error, what)} This is not your "
                "mistake: tell your instructor (is the course installed with "
                "`pip install -r requirements.txt`?).")
    if kind == "exception" and error.get("type") == "SyntaxError":
        return (f"{what} has a syntax error{where_text(error.get('where'))}: "
                f"{error.get('message')}. Nothing it defines could be graded.")
    if origin == "provided":
        return f"{what} (a cell of the course that uses your code) failed: {explain(error, what)}"
    return f"{what} failed while running: {explain(error, what)}"


def _undefined_name(error) -> str | None:
    """``x`` for a ``NameError: name 'x' is not defined``."""
    if not isinstance(error, dict) or error.get("type") != "NameError":
        return None
    message = str(error.get("message", ""))
    if message.startswith("name '") and "'" in message[6:]:
        return message[6:].split("'", 1)[0]
    return None
