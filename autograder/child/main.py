"""The child process: runs a submission and reports observations, nothing else.

Started by :mod:`autograder.grading.sandbox` as ``python -I -m autograder.child.main REQUESTS EVENTS
ASSIGNMENT PRELOAD`` (two pipe file descriptors, the assignment's id, and the comma-separated
modules its release imports). Before it reads anything from the grader it imports torch, the
assignment's observers and the ``PRELOAD`` modules (matplotlib, torchvision...): nothing of a
student is known yet, so the sandbox can start it while another submission is graded (a warm
child, see :class:`autograder.grading.sandbox.Spares`). It then reads one setup request (the
program: cells or modules, no check parameters, and the submission's files, which it writes into
its work folder), runs the submission's cells (or imports its modules), then says ``ready`` and
waits. One child serves one submission: it ends after the grader's end message.
The grader then sends one check at a time (its name and parameters); the child puts back any
torch function or method the submission replaced (:func:`autograder.child.observe.restore`), calls the
check's ``observe`` function, reports, drops the parameters and says ``ready`` again. So no
check's parameters are in this process before that check runs, and none stays after it.

It decides nothing: the grader judges the events, and ignores this process's exit code, output
and files. The requests, the step names and the events are those of :mod:`autograder.protocol`;
the error of each step is tagged with its origin there (:func:`autograder.child.errors.tag`).
"""

from __future__ import annotations

import base64
import builtins
import gc
import importlib
import json
import linecache
import os
import sys
import time

from autograder import protocol
from autograder.child import encode as _encode  # first: it binds what it calls
from autograder.child.errors import describe_error, tag
from autograder.child.observe import protect as _protect
from autograder.child.observe import restore as _restore

# Bound before any student code runs: a submission that patches these later cannot change
# what this process reports.
_line = _encode.line
_loads = json.loads
_write = os.write
_read = os.read
_monotonic = time.monotonic
_exc_info = sys.exc_info
_exit = os._exit
_stdout, _stderr = sys.stdout, sys.stderr
_getpid = os.getpid
_type = type


class Reporter:
    """The child's two pipes: requests from the grader, events to it.

    It holds no secret: the grader trusts an event only as far as its order allows (one
    ``done`` per step, for the step it asked; see :mod:`autograder.grading.sandbox`).
    """

    def __init__(self, requests: int, events: int):
        self.requests, self.fd = requests, events
        self.pid = _getpid()
        self.buffer = b""

    def emit(self, event: dict) -> None:
        """One event line (built by :mod:`autograder.protocol`) to the grader, encoded by
        :func:`autograder.child.encode.line`. A step's report that cannot be encoded becomes
        that step's error (``unreportable``): never an exception that would end the child."""
        if _getpid() != self.pid:
            return  # a process the submission forked: it does not speak for the child
        try:
            data = _line(event)
        except BaseException as exc:  # noqa: BLE001 - too large, or the encoder failed
            data = _line(_unreportable(event, exc))
        while data:
            written = _write(self.fd, data)
            data = data[written:]

    def receive(self) -> dict | None:
        """The next request (one JSON line), or None when the grader closed the pipe."""
        while b"\n" not in self.buffer:
            chunk = _read(self.requests, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = _loads(line)
        return message if isinstance(message, dict) else None


def _unreportable(event: dict, exc: BaseException) -> dict:
    """The error event that replaces a step's report the child could not encode."""
    step = event.get("step")
    reason = _encode.type_name(exc)  # bound functions only: the submission may have patched
    if _type(exc) is _encode.EncodeError and exc.args:  # builtins during the check
        reason = exc.args[0]
    error = {"kind": "unreportable", "reason": reason}
    if event.get("event") != protocol.DONE or not isinstance(step, str):
        return {"event": "noise", "error": error}  # not a step's report: the grader ignores it
    return protocol.done_event(step, error=error)


def _remember_source(filename: str, source: str) -> None:
    """Let tracebacks and probes quote the student's line (``linecache`` knows no cells)."""
    lines = source.splitlines(keepends=True)
    known = linecache.cache.get(filename)
    if known:  # statements of one cell arrive one by one, each padded with blank lines
        old = known[2]
        lines = [(lines[i] if i < len(lines) and lines[i].strip() else old[i]) if i < len(old)
                 else lines[i] for i in range(max(len(old), len(lines)))]
    linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)


def run_cells(cells: list[dict], skip: set[str], origins: dict[str, str], report: Reporter) -> dict:
    """Execute notebook cells in order in one namespace; a failing cell does not stop the rest."""
    ns: dict = {"__name__": "__main__", "__builtins__": builtins}
    for cell in cells:
        step = cell["step"]
        if step in skip:
            continue
        report.emit(protocol.start_event(step))
        t0 = _monotonic()
        try:
            filename = f"<{cell['label']}>"
            source = protocol.strip_magics(cell["source"])
            _remember_source(filename, source)
            code = compile(source, filename, "exec")
            exec(code, ns)
            report.emit(protocol.done_event(step, seconds=round(_monotonic() - t0, 3)))
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            report.emit(protocol.done_event(step, error=tag(describe_error(exc), origins),
                                            seconds=round(_monotonic() - t0, 3)))
    return ns


def import_modules(folder: str, modules: list[str], skip: set[str], origins: dict[str, str],
                   report: Reporter) -> dict:
    """Import the submission's modules from ``folder``; ``ns`` maps module name -> module."""
    sys.path.insert(0, folder)
    ns: dict = {}
    for name in modules:
        step = protocol.import_step(name)
        if step in skip:
            continue
        report.emit(protocol.start_event(step))
        try:
            ns[name] = importlib.import_module(name)
            report.emit(protocol.done_event(step))
        except BaseException as exc:  # noqa: BLE001
            error = describe_error(exc, student_files=("<", folder))
            report.emit(protocol.done_event(step, error=tag(error, origins)))
    return ns


def load_observers(assignment: str) -> dict:
    """Check name -> its ``observe`` function; the checks' own parameters are dropped from
    memory (the grader sends each check's parameters when it runs)."""
    from autograder.checks import load_checks
    from autograder.probes.trained import tool_checks

    checks = load_checks(assignment) + tool_checks(assignment)  # tools: `evaluate`'s observers
    observers = {c.name: c.observe for c in checks}
    # Every Check object this process holds, not only those loaded: an assignment module keeps
    # its CHECKS as written, before checks.gate() copied the gated ones (frozen dataclass).
    from autograder.checks import Check

    for check in [*checks, *(o for o in gc.get_objects() if type(o) is Check)]:
        object.__setattr__(check, "params", {})  # no parameters left here
    # The grader's modules as they are now: restore() puts them back before each observation.
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("autograder", "gan_course") and module is not None:
            _protect(module)
    _protect(sys.modules[__name__])  # this module (run as __main__)
    return observers


def observe_checks(observers: dict, ns: dict, student_files: tuple[str, ...],
                   origins: dict[str, str], report: Reporter, early: list[str] = ()) -> None:
    """Answer the grader's check requests one at a time until it sends the end.

    ``early``: what was put back before this function was called (reported with the first check).
    """
    while True:
        report.emit(protocol.ready_event())
        message = report.receive()
        if message is None or not isinstance(message.get("check"), str):
            return
        name = message["check"]
        t0 = _monotonic()
        restored = [*early, *_restore()]  # torch as it was before the submission ran
        early = []
        try:
            observation = observers[name](ns, message.get("params") or {})
            event = {"observation": observation}
        except BaseException as exc:  # noqa: BLE001
            event = {"error": tag(describe_error(exc, student_files), origins)}
        message = observation = None  # noqa: F841 - this check's inputs leave the frame
        if restored:
            event["restored"] = restored[:20]
        report.emit(protocol.done_event(name, seconds=round(_monotonic() - t0, 3), **event))
        event = None


def preload(modules: list[str]) -> None:
    """Import the modules the assignment's release imports (before any student is known), so a
    submission's imports cell finds them loaded; one that fails to import is left out."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed here: the student's import will say so
            pass


def write_files(folder: str, files: dict[str, str]) -> None:
    """The submission's files (relative path -> base64 bytes, from the grader) into ``folder``."""
    for name, data in files.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        os.chmod(path, 0o644)


def main() -> None:
    # Line by line: if the submission kills this process, the grader still quotes the last
    # lines it printed (a pipe's block buffer would die with it).
    for stream in (_stdout, _stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError):
            pass
    report = Reporter(int(sys.argv[1]), int(sys.argv[2]))
    assignment = sys.argv[3]
    import matplotlib

    matplotlib.use("Agg")
    import torch

    # The release's imports first: importing `gan_course.data` binds it in the package's
    # namespace, and load_observers() then protects the packages as they are with it (protected
    # before, the binding would read as a submission's change to the grader's modules).
    preload([m for m in sys.argv[4].split(",") if m] if len(sys.argv) > 4 else [])
    observers = load_observers(assignment)
    # The submission gets its own fresh copy of the course's modules if it imports them:
    # patching that copy does not touch the observers bound above.
    for name in [m for m in sys.modules if m.split(".")[0] in ("autograder", "gan_course")]:
        del sys.modules[name]
    request = report.receive()  # a warm child waits here, everything above already done
    if request is None or request.get("assignment") != assignment:
        return
    torch.set_num_threads(max(1, int(request.get("threads", 1))))
    write_files(request["folder"], request.get("files") or {})
    skip = set(request.get("skip", []))
    origins = request.get("origins") or {}
    if request["kind"] == "notebook":
        ns = run_cells(request["cells"], skip, origins, report)
        student_files: tuple[str, ...] = ("<",)
    else:
        ns = import_modules(request["folder"], request["modules"], skip, origins, report)
        student_files = ("<", request["folder"])
    request = None
    early = _restore()  # this module's own functions too (observe_checks), before it calls them
    observe_checks(observers, ns, student_files, origins, report, early)
    for stream in (_stdout, _stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or replaced stream
            pass
    _exit(0)  # at once: no atexit handler or thread of the submission runs after the end


if __name__ == "__main__":
    main()
