"""The one contract between the grading parent and the sandboxed child: requests, steps, events.

Both processes import this module (the parent in :mod:`autograder.grading.sandbox`, the child in
:mod:`autograder.child.main`); nothing else makes up a step name or a message.

**Steps**, in the order the child runs them:

* ``cell:<grade_id>``: a provided cell of the release (the course's own code);
* ``cell:<n>:<line>``: one top-level statement of the student's code cell ``n``;
* ``import:<module>``: a module of a ``.py`` submission;
* then each check, by its name.

**Requests** (parent to child, one JSON object per line on the request pipe): one
:func:`setup_request` (the program, no check parameters), then one :func:`check_request` at a
time, each only after the child said ``ready``, and :data:`END` when no check is left.

**Events** (child to parent, one JSON object per line on the event pipe): :func:`start_event`
before each setup step; :func:`done_event` after each step, with an ``observation`` or an
``error``; :func:`ready_event` when the child waits for a check.

**Errors** are plain data (:func:`autograder.child.errors.describe_error`). The child tags the
error of each step with its **origin** (:func:`origin`): ``student`` (raised in the student's
code), ``provided`` (raised in a provided cell or file of the course, not inside student code) or
``course`` (no frame of the submission: raised in the grader's or the course's own code). Only
:mod:`autograder.grading.feedback` turns errors into words.
"""

from __future__ import annotations

# --- steps --------------------------------------------------------------------------------

CELL, IMPORT = "cell:", "import:"


def cell_step(grade_id: str) -> str:
    """The step of a provided cell of the release."""
    return f"{CELL}{grade_id}"


def statement_step(cell: int, line: int) -> str:
    """The step of one top-level statement (first line ``line``) of the student's cell ``cell``."""
    return f"{CELL}{cell}:{line}"


def import_step(module: str) -> str:
    """The step that imports one module of a ``.py`` submission."""
    return f"{IMPORT}{module}"


def is_import(step: str) -> bool:
    return step.startswith(IMPORT)


def subject(step: str) -> str:
    """What a setup step runs: ``get_noise`` for ``cell:get_noise``, ``models`` for ``import:models``."""
    return step.split(":", 1)[-1]


def strip_magics(source: str) -> str:
    """What the child runs of a cell: IPython magics and shell escapes (``%matplotlib``,
    ``!pip``) replaced by ``pass``; the parent splits the same text into statements
    (:func:`autograder.grading.cells.statements`), so both count the same lines."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}pass  # skipped while grading: {stripped[:60]}"
        lines.append(line)
    return "\n".join(lines)


# --- origins of errors --------------------------------------------------------------------

STUDENT, PROVIDED, COURSE = "student", "provided", "course"


def origin(error: dict, origins: dict[str, str]) -> str:
    """Where an error described by ``describe_error`` was raised: the origin of the innermost
    frame of the submission (``origins`` maps a cell's label or a module's file name to
    ``student`` or ``provided``), else ``course``."""
    where = error.get("where")
    file = where.get("file") if isinstance(where, dict) else None
    if not isinstance(file, str):
        return COURSE
    return origins.get(file) or origins.get(file.rsplit("/", 1)[-1]) or COURSE


# --- requests -----------------------------------------------------------------------------

END = {"end": True}
SETUP_KEYS = ("assignment", "kind", "cells", "modules", "origins")


def request(assignment: str, program, checks: list[tuple[str, dict]]) -> dict:
    """What one grading asks of the sandbox: the program (a :class:`~autograder.grading.
    submission.Program`) and the checks to observe as (name, parameters), the parameters sent
    one check at a time."""
    return {
        "assignment": assignment,
        "kind": program.kind,
        "cells": program.cells,
        "modules": program.modules,
        "origins": program.origins,
        "checks": [{"name": name, "params": params} for name, params in checks],
    }


def setup_request(request: dict, skip: list[str], threads: int, folder: str,
                  files: dict[str, bytes] | None = None) -> dict:
    """The first message to a child: the program without any check's parameters, and the
    submission's files (relative path -> bytes, sent as base64) for its work folder ``folder``."""
    import base64

    setup = {k: request[k] for k in SETUP_KEYS if k in request}
    setup.update(skip=skip, threads=threads)
    setup["files"] = {name: base64.b64encode(data).decode("ascii")
                      for name, data in (files or {}).items()}
    return dict(setup, folder=folder)


def check_request(name: str, params: dict) -> dict:
    """Observe one check: its name and parameters."""
    return {"check": name, "params": params}


# --- events -------------------------------------------------------------------------------

START, DONE, READY = "start", "done", "ready"


def ready_event() -> dict:
    """The child waits for the next check (a fresh dict each time: nothing shared to tamper with)."""
    return {"event": READY}


def start_event(step: str) -> dict:
    return {"event": START, "step": step}


def done_event(step: str, **outcome) -> dict:
    """A step's end: ``seconds``, and ``observation`` or ``error`` (and ``restored``) if any."""
    return {"event": DONE, "step": step, **outcome}
