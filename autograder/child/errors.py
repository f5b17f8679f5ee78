"""An exception raised in the child, as plain data the grader can judge (runs in the child)."""

from __future__ import annotations

import traceback

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
