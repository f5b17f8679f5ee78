"""An exception raised in the child, as plain data the grader can judge (runs in the child).

:func:`describe_error` is what observers report; the child's entry point also tags the error
of each step with where it was raised (:func:`tag`). The words come from the grader's
:mod:`autograder.grading.feedback`.
"""

from __future__ import annotations

import traceback

from autograder import protocol
from autograder.child.observe import Missing


def describe_error(exc: BaseException, student_files: tuple[str, ...] = ("<",)) -> dict:
    """A plain-data description of an exception raised by (or inside) student code."""
    if isinstance(exc, Missing):
        return {"kind": "missing", "name": exc.name}
    kind = "not_implemented" if isinstance(exc, NotImplementedError) else "exception"
    where = None
    tb = exc.__traceback__
    for frame in traceback.extract_tb(tb):
        # the qualified name says which class a method belongs to: MNISTGenerator.__init__
        qualname = getattr(tb.tb_frame.f_code, "co_qualname", frame.name) if tb else frame.name
        tb = tb.tb_next if tb else None
        if frame.filename.startswith(student_files):
            where = {"file": frame.filename.strip("<>"), "line": frame.lineno,
                     "function": qualname, "code": (frame.line or "")[:200]}
    if isinstance(exc, SyntaxError) and exc.filename and exc.filename.startswith(student_files):
        where = {"file": exc.filename.strip("<>"), "line": exc.lineno, "function": "",
                 "code": (exc.text or "").strip()[:200]}
    try:
        message = str(exc)[:600]
    except Exception:  # a hostile __str__
        message = "(the exception's message could not be read)"
    return {"kind": kind, "type": type(exc).__name__[:80], "message": message, "where": where}


def tag(error: dict, origins: dict[str, str]) -> dict:
    """``error`` (from :func:`describe_error`) tagged where it happened: its ``origin``
    (:func:`autograder.protocol.origin`: ``student``, ``provided`` or ``course``) and, for a
    ``NameError: name 'x' is not defined``, the ``undefined`` name."""
    error["origin"] = protocol.origin(error, origins)
    undefined = _undefined_name(error)
    if undefined is not None:
        error["undefined"] = undefined
    return error


def _undefined_name(error: dict) -> str | None:
    """``x`` for a ``NameError: name 'x' is not defined``."""
    if error.get("type") != "NameError":
        return None
    message = str(error.get("message", ""))
    if message.startswith("name '") and "'" in message[6:]:
        return message[6:].split("'", 1)[0]
    return None
