"""The child process: runs a submission and reports observations, nothing else.

Started by :mod:`autograder.sandbox` as ``python -I -m autograder.child FD``. It reads one JSON
request from stdin, runs the submission's cells (or imports its modules), then calls each
requested check's ``observe`` function and writes one JSON event per line to file descriptor FD.
It decides nothing: the grader judges the events, and ignores this process's exit code, output
and files.

Events: ``{"event": "start", "step": S}`` before each step, then ``{"event": "done", "step": S,
"observation": {...}}`` or ``{"event": "done", "step": S, "error": {...}}``.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import sys
import time
import traceback

from autograder.observe import Missing  # bound now: the child later drops autograder modules

# Bound before any student code runs: a submission that patches these later cannot change
# what this process reports.
_dumps = json.dumps
_write = os.write
_monotonic = time.monotonic
_exc_info = sys.exc_info


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


def strip_magics(source: str) -> str:
    """Replace IPython magics and shell escapes (``%matplotlib``, ``!pip``) by ``pass``."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            line = f"{indent}pass  # skipped while grading: {stripped[:60]}"
        lines.append(line)
    return "\n".join(lines)


_getpid = os.getpid


class Reporter:
    def __init__(self, fd: int, token: str):
        self.fd = fd
        self.pid = _getpid()
        self.token = token  # events without it (written by the submission) are ignored

    def emit(self, **event) -> None:
        if _getpid() != self.pid:
            return  # a process the submission forked: it does not speak for the child
        event["token"] = self.token
        data = (_dumps(event, allow_nan=False) + "\n").encode()
        while data:
            written = _write(self.fd, data)
            data = data[written:]


def run_cells(cells: list[dict], skip: set[str], report: Reporter) -> dict:
    """Execute notebook cells in order in one namespace; a failing cell does not stop the rest."""
    ns: dict = {"__name__": "__main__", "__builtins__": builtins}
    for cell in cells:
        step = cell["step"]
        if step in skip:
            continue
        report.emit(event="start", step=step)
        t0 = _monotonic()
        try:
            code = compile(strip_magics(cell["source"]), f"<{cell['label']}>", "exec")
            exec(code, ns)
            report.emit(event="done", step=step, seconds=round(_monotonic() - t0, 3))
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            report.emit(event="done", step=step, error=describe_error(exc),
                        seconds=round(_monotonic() - t0, 3))
    return ns


def import_modules(folder: str, modules: list[str], skip: set[str], report: Reporter) -> dict:
    """Import the submission's modules from ``folder``; ``ns`` maps module name -> module."""
    sys.path.insert(0, folder)
    ns: dict = {}
    for name in modules:
        step = f"import:{name}"
        if step in skip:
            continue
        report.emit(event="start", step=step)
        try:
            ns[name] = importlib.import_module(name)
            report.emit(event="done", step=step)
        except BaseException as exc:  # noqa: BLE001
            report.emit(event="done", step=step,
                        error=describe_error(exc, student_files=("<", folder)))
    return ns


def main() -> None:
    fd = int(sys.argv[1])
    request = json.loads(sys.stdin.read())
    report = Reporter(fd, request.pop("token", ""))

    import matplotlib

    matplotlib.use("Agg")
    import torch

    torch.set_num_threads(max(1, int(request.get("threads", 1))))
    from autograder.checks import load_checks

    checks = {c.name: c for c in load_checks(request["assignment"], tools=True)}
    # The submission gets its own fresh copy of the course's modules if it imports them:
    # patching that copy does not touch the observers bound above.
    for name in [m for m in sys.modules if m.split(".")[0] in ("autograder", "gan_course")]:
        del sys.modules[name]
    skip = set(request.get("skip", []))
    if request["kind"] == "notebook":
        ns = run_cells(request["cells"], skip, report)
        student_files: tuple[str, ...] = ("<",)
    else:
        ns = import_modules(request["folder"], request["modules"], skip, report)
        student_files = ("<", request["folder"])

    for item in request["checks"]:
        name = item["name"]
        report.emit(event="start", step=name)
        t0 = _monotonic()
        try:
            observation = checks[name].observe(ns, item["params"])
            report.emit(event="done", step=name, observation=observation,
                        seconds=round(_monotonic() - t0, 3))
        except BaseException as exc:  # noqa: BLE001
            report.emit(event="done", step=name, error=describe_error(exc, student_files),
                        seconds=round(_monotonic() - t0, 3))
    report.emit(event="finished")


if __name__ == "__main__":
    main()
