"""Run a submission in a child process with limits, and collect what it observed.

The child (:mod:`autograder.child.main`) gets a clean environment, a working folder that holds only
the submission, ``python -I``, and limits on memory, processes, CPU, disk, file size and time. It
runs in a jail (:func:`jail_kind`): bubblewrap (:mod:`autograder.grading.bwrap`) where it works,
else the older ``unshare`` jail (:mod:`autograder.child.jail`, root only), else resource limits
alone. The ``Run`` says which jail and which limits applied.

The protocol (:mod:`autograder.protocol`, the one contract with :mod:`autograder.child.main`): the
parent writes one setup message (the program, no check parameters) on a request pipe; the child runs
the cells or imports the modules, reporting ``start``/``done`` per step, then says ``ready``. Only
then does the parent send *one* check's name and parameters; the child observes and reports ``done``
and ``ready`` again, and so on. The parent accepts exactly one ``done`` per step and only for the
step it is waiting for; a second ``done`` for a step (a forgery written by the submission, or the
real one after a forgery) turns that step into an error, never a replacement.

Each step has its own timeout: a step that hangs or kills the child is recorded, the child is ended,
and a fresh child goes on with the remaining steps; so does a child that dies *between* steps. Every
process the child started is ended before the results are returned.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from autograder import protocol
from autograder.grading import bwrap, cgroup
from autograder.paths import REPO


class SandboxError(RuntimeError):
    """The child could not start at all: a problem of the grader's installation, not the student's."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    cell_timeout: float = 60.0      # seconds for one notebook cell or module import
    statement_timeout: float = 10.0  # seconds for one top-level statement of a student's cell
    check_timeout: float = 60.0     # at most this many seconds for one check's observation
    total_timeout: float = 300.0    # seconds for the whole submission, restarts included
    memory_mb: int = 6144           # the one memory budget: all the child's processes and
    #                                 their files in /tmp, HOME and /dev/shm together (cgroup)
    process_memory_mb: int = 6144   # address space of each process (RLIMIT_AS, CPU grading
    #                                 only; without a memory cgroup at most memory_mb - disk_mb)
    file_mb: int = 64               # the largest file the child may write
    max_processes: int = 256        # processes of the submission (cgroup, else RLIMIT_NPROC)
    cpus: float = 2.0               # CPU cores' worth of time (cgroup)
    disk_mb: int = 512              # the jail's /tmp (work folder, HOME) and /dev/shm together
    output_bytes: int = 20_000      # how much of the child's stdout/stderr is kept
    threads: int = 1                # torch threads in the child


DEFAULT_LIMITS = Limits()


@dataclass
class Run:
    """What the children reported: per step an observation or an error."""

    steps: dict[str, dict] = field(default_factory=dict)   # step -> {"observation"|"error"}
    output: str = ""                                        # tail of the child's stdout/stderr
    restarts: int = 0
    seconds: float = 0.0
    jail: str = ""                                          # "bwrap", "unshare" or "none"
    warm: int = 0                                           # children that were started ahead
    limits: list[str] = field(default_factory=list)         # the limits that applied, in words

    def describe(self) -> str:
        """One line for instructors: which jail ran and which limits held."""
        jail = {"bwrap": "bubblewrap (uid 65534, no network)",
                "unshare": "unshare (fallback: uid 0 without capabilities, no network)",
                "none": "no jail (resource limits only)"}.get(self.jail, self.jail)
        return f"Sandbox: {jail}; limits: {', '.join(self.limits) or 'none'}."


def clean_env(workdir: str, tmp: str | None = None) -> dict[str, str]:
    """The child's whole environment: nothing of the grader's (tokens, paths) leaks in."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": tmp or workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(workdir, ".mpl"),
        "GAN_COURSE_GRADING": "1",
        "OMP_NUM_THREADS": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
    }
    for key in ("CUDA_VISIBLE_DEVICES", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def has_memory_cgroup(groups: cgroup.Cgroups) -> bool:
    return any(s.startswith("memory") for s in groups.applied)


def process_cap_mb(limits: Limits, groups: cgroup.Cgroups) -> int:
    """RLIMIT_AS of each process, in MiB. With a memory cgroup the budget is the cgroup's (it
    counts the tmpfs pages too); without one, one process and the jail's files together stay
    within ``memory_mb``: the cap is ``memory_mb - disk_mb`` at most."""
    if has_memory_cgroup(groups):
        return limits.process_memory_mb
    return max(64, min(limits.process_memory_mb, limits.memory_mb - limits.disk_mb))


def _limit(limits: Limits, use_cuda: bool, groups: cgroup.Cgroups):
    """What the forked child does before it execs the jail (it is still the grader's user)."""
    def apply() -> None:
        os.setsid()
        groups.join()  # every process the child starts inherits the groups
        if not use_cuda:  # CUDA reserves far more address space than it uses
            cap = process_cap_mb(limits, groups) << 20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # Counted per host user: uid 65534 is shared by parallel submissions, whose own
        # pids cgroups hold the real limit.
        nproc = limits.max_processes * (8 if groups.paths else 1)
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        except (ValueError, OSError):
            pass
    return apply


_JAIL: str | None = None
JAILS = ("bwrap", "unshare", "none")


def _probe(command: list[str], **kwargs) -> bool:
    try:
        probe = subprocess.run(command, capture_output=True, timeout=30, env=clean_env("/"), **kwargs)
        return probe.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def jail_kind() -> str:
    """The jail children run in: ``"bwrap"`` (bubblewrap), ``"unshare"`` (the older jail, root
    only) or ``"none"`` (resource limits only), the first that works on this host.

    ``GAN_COURSE_JAIL=bwrap|unshare|none`` asks for one (it falls back when it does not work);
    ``GAN_COURSE_NO_JAIL=1`` means ``none``.
    """
    global _JAIL
    if _JAIL is None:
        wanted = os.environ.get("GAN_COURSE_JAIL", "bwrap")
        if os.environ.get("GAN_COURSE_NO_JAIL") == "1":
            wanted = "none"
        order = JAILS[JAILS.index(wanted):] if wanted in JAILS else JAILS
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        for kind in order:
            if kind == "bwrap":
                try:
                    ok = _probe(bwrap.command(["/bin/true"], {}, 1, as_root=root), cwd="/")
                except FileNotFoundError:
                    ok = False
            elif kind == "unshare":
                ok = root and shutil.which("unshare") is not None and _probe(
                    ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "true"])
            else:
                ok = True
            if ok:
                _JAIL = kind
                break
    return _JAIL


def jail_available() -> bool:
    """Whether children run in a jail of their own (bubblewrap or unshare)."""
    return jail_kind() != "none"


def jail_config() -> dict:
    """What the unshare jail makes read-only and what it hides (see :mod:`autograder.child.jail`)."""
    import site

    repo = REPO
    candidates = [str(repo), os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
                  *map(os.path.realpath, site.getsitepackages()), "/usr", "/etc", "/opt"]
    read_only = sorted({p for p in candidates if os.path.isdir(p)}, key=len)
    return {"read_only": read_only, "hide": bwrap.hidden_paths()}


def python_module(module: str, *args: str) -> list[str]:
    """``python -I -m module args`` that imports the grader from this checkout (not whatever
    copy is installed), so the child always runs the same code as the parent."""
    boot = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
            "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)")
    return [sys.executable, "-I", "-c", boot, str(REPO), module, *args]


MAX_EVENT = 8 << 20       # bytes of one event line; longer lines are dropped unread
MAX_QUEUED = 256          # events waiting to be judged; a flood blocks the child's writes
BETWEEN_STEPS = 60.0      # seconds the child may take between two steps (start-up included)
EXIT_GRACE = 2.0          # seconds a child whose report channel closed may take to exit by itself
CRASH_LINES = 5           # of the child's last output lines, quoted in a crash report


# Every child alive now, so that a batch stopped by a signal can end them all (kill_all).
_LIVE: set = set()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()


def kill_all() -> None:
    """End every child this process started, and refuse to start new ones (for a stopped batch)."""
    _STOPPING.set()
    with _LIVE_LOCK:
        children = list(_LIVE)
    for child in children:
        child.kill()


def accept_new() -> None:
    """Start children again after :func:`kill_all` (a new batch in the same process)."""
    _STOPPING.clear()


# Children given a submission in this process: started ahead ("warm") or when it was needed.
STARTS = {"warm": 0, "cold": 0}


class Spares:
    """One child started ahead per grading thread, for one assignment and one set of limits.

    :meth:`take` hands over the thread's waiting child (Python, torch, the observers and the
    release's modules already imported, nothing of a student: :mod:`autograder.child.main`)
    and at once starts the next one, so it imports while the current submission is graded. A
    child handed over is never handed over again; one that died while it waited is dropped.
    Each child gets its cgroups and limits when it starts, as any child; :func:`kill_all` ends
    the waiting ones too. ``refill=False``: start one child ahead and no next one (a single
    grading that parses its submission while its child starts).
    """

    def __init__(self, assignment: str, preload: list[str], limits: Limits, refill: bool = True):
        import torch

        self.assignment, self.preload, self.limits, self.refill = assignment, preload, limits, refill
        self.use_cuda = torch.cuda.is_available()
        self.jail = jail_kind()
        self._waiting: dict[int, _Child] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start this thread's next child now (if none is waiting)."""
        key = threading.get_ident()
        with self._lock:
            if key in self._waiting:
                return
        try:
            child = _Child(self.assignment, self.preload, self.limits, self.use_cuda, self.jail)
        except SandboxError:
            return  # stopping: the grading that asks next starts (and refuses) its own
        child.warm = True
        with self._lock:
            self._waiting[key] = child

    def take(self, assignment: str, limits: Limits) -> _Child | None:
        """This thread's waiting child for ``assignment`` under ``limits``, or None."""
        if assignment != self.assignment or limits != self.limits:
            return None
        with self._lock:
            child = self._waiting.pop(threading.get_ident(), None)
        if self.refill:
            self.start()
        if child is not None and not child.alive():
            child.kill()
            return None
        return child

    def close(self) -> None:
        """End every child still waiting."""
        with self._lock:
            children, self._waiting = list(self._waiting.values()), {}
        for child in children:
            child.kill()


class _Child:
    """One child process: its jail, its request and event pipes, the threads that drain it.

    It is started for an assignment before any student is known (it imports torch, the
    observers and the release's modules, then waits: see :mod:`autograder.child.main`), and
    :meth:`setup` gives it one submission, once. Its work folder is its own: a fresh tmpfs in
    the bubblewrap jail, a fresh host folder in the fallbacks, removed when it is killed.
    """

    def __init__(self, assignment: str, preload: list[str], limits: Limits, use_cuda: bool,
                 jail: str):
        if _STOPPING.is_set():
            raise SandboxError("grading was stopped (interrupted)")
        self._kill_lock = threading.Lock()
        self._killed = False
        self.given = False          # whether setup() gave it a submission (at most one)
        self.warm = False           # whether it was started ahead, before its submission
        self.assignment, self.limits, self.use_cuda, self.jail = assignment, limits, use_cuda, jail
        # The grader's own staging folder: readable only by the grader. In the bubblewrap jail
        # it is not even visible (the child writes the files into the jail's tmpfs); the
        # fallbacks run in it.
        self.host_workdir = tempfile.mkdtemp(prefix="gan-grade-")
        os.chmod(self.host_workdir, 0o700 if jail == "bwrap" or os.geteuid() == 0 else 0o777)
        self.groups = cgroup.create(limits.memory_mb, limits.max_processes, limits.cpus)
        event_read, event_write = os.pipe()
        request_read, self.request_fd = os.pipe()
        child = python_module("autograder.child.main", str(request_read), str(event_write),
                              assignment, ",".join(preload))
        workdir = self.host_workdir
        tmp = None
        if jail == "bwrap":
            workdir, tmp = bwrap.WORK, "/tmp"
            command = bwrap.command(child, {}, limits.disk_mb, as_root=os.geteuid() == 0)
        elif jail == "unshare":
            command = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child",
                       *python_module("autograder.child.jail", json.dumps(jail_config())), "--", *child]
        else:
            command = child
        self.workdir, self.jail = workdir, jail
        try:
            self.proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, pass_fds=(event_write, request_read),
                cwd=self.host_workdir, env=clean_env(workdir, tmp),
                preexec_fn=_limit(limits, use_cuda, self.groups), close_fds=True,
            )
        except BaseException:
            self.groups.kill_all()
            shutil.rmtree(self.host_workdir, ignore_errors=True)
            raise
        finally:
            for fd in (event_write, request_read):
                os.close(fd)
        with _LIVE_LOCK:
            _LIVE.add(self)
        if _STOPPING.is_set():  # kill_all ran while this child was starting
            self.kill()
            raise SandboxError("grading was stopped (interrupted)")
        self.events: queue.Queue = queue.Queue(MAX_QUEUED)
        self.output = bytearray()
        self.keep = limits.output_bytes
        threading.Thread(target=self._read_events, args=(event_read,), daemon=True).start()
        self.output_thread = threading.Thread(target=self._read_output, daemon=True)
        self.output_thread.start()

    def setup(self, request: dict, skip: list[str], files: dict[str, bytes]) -> None:
        """Give the child its one submission: the program and the files (never a second one)."""
        if self.given:
            raise SandboxError("a child is never given a second submission")
        self.given = True
        STARTS["warm" if self.warm else "cold"] += 1
        self.send(protocol.setup_request(request, skip, self.limits.threads, self.workdir, files))

    def alive(self) -> bool:
        return not self._killed and self.proc.poll() is None

    def send(self, message: dict) -> None:
        """One request line to the child (a setup, a check, or the end)."""
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.request_fd, data):]
        except OSError:
            pass  # the child is gone: its exit is noticed from the events

    def _read_events(self, fd: int) -> None:
        """Events, one JSON object per line; a line longer than MAX_EVENT is dropped unread."""
        buffer, skipping = bytearray(), False
        try:
            while chunk := os.read(fd, 1 << 16):
                buffer += chunk
                while True:
                    end = buffer.find(b"\n")
                    if end < 0:
                        if len(buffer) > MAX_EVENT:
                            buffer.clear()
                            skipping = True
                        break
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    if skipping:
                        skipping = False
                        continue
                    try:
                        event = json.loads(line)
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        continue  # noise written to the pipe: ignored
                    if isinstance(event, dict):
                        self.events.put(event)
        except OSError:
            pass
        finally:
            os.close(fd)
            self.events.put(None)  # end of stream: the child exited or closed the pipe

    def _read_output(self) -> None:
        while chunk := self.proc.stdout.read(65536):
            self.output += chunk
            if len(self.output) > 2 * self.keep:
                del self.output[: len(self.output) - self.keep]

    def kill(self, grace: float = 0.0) -> None:
        """End the child, every process in its session and every process in its cgroups.

        ``grace``: seconds to let it exit by itself first (its report channel closed: it is
        ending), so that its own exit status is reported, not the grader's SIGKILL. Idempotent:
        a batch's kill_all and the grading thread may both call it."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        try:
            os.close(self.request_fd)
        except OSError:
            pass
        if grace > 0:
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.poll()  # None: still running, the grader ends it now
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.kill()
        self.proc.wait()
        self.memory = self.groups.memory()  # the peak, before the groups are removed
        self.groups.kill_all()  # anything that escaped the session is still in the cgroups
        shutil.rmtree(self.host_workdir, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if getattr(self, "output_thread", None) is not None:
            self.output_thread.join(timeout=2.0)  # the last lines the child printed

    def crash_report(self) -> dict:
        """What the grader knows about how the child ended (after :meth:`kill`), as the fields
        of a ``crashed`` error (:data:`autograder.grading.feedback.ERRORS`): ``status`` in
        words, ``signal`` (its name) or ``exit_code``, what the memory cgroup measured
        (``peak_mb``, ``limit_mb``, ``oom_kills``: :meth:`cgroup.Cgroups.memory`; absent without
        one) and ``output``, the last lines the child printed."""
        report: dict = dict(getattr(self, "memory", None) or {})
        code = getattr(self, "returncode", None)
        number = None
        if code is None:
            report["status"] = "still running after its report channel closed: the grader ended it"
        elif code < 0:
            number = -code
        elif code == 128 + signal.SIGKILL or (self.jail in ("bwrap", "unshare") and 128 < code < 160):
            number = code - 128  # bwrap reports its child's death by signal N as 128 + N
        else:
            report["status"], report["exit_code"] = f"exit code {code}", code
        if number is not None:
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            report["status"], report["signal"] = f"killed by signal {name}", name
        lines = [line.strip() for line in self.output.decode("utf-8", "replace").splitlines()
                 if line.strip()]
        if lines:
            report["output"] = "\n".join(line[:200] for line in lines[-CRASH_LINES:])
        return report


class _Session:
    """What the parent expects from one child, and what it accepted (see the module docs)."""

    def __init__(self, run: Run, child: _Child, setup_steps: list[str], pending: list[dict],
                 timeouts: dict[str, float], limits: Limits):
        self.run, self.child, self.limits = run, child, limits
        self.setup_steps = set(setup_steps)
        self.pending = list(pending)       # checks not asked yet, in order
        self.timeouts = timeouts
        self.current: str | None = None     # the step running now
        self.last: str | None = None        # the step this child reported last
        self.accepted: set[str] = set()     # steps this child reported (exactly once each)
        self.asked: set[str] = set()        # checks sent to this child
        self.progress = False
        self.finished = False
        self.deadline = time.monotonic() + BETWEEN_STEPS

    def handle(self, event: dict) -> None:
        kind, step = event.get("event"), event.get("step")
        if kind == protocol.START and isinstance(step, str):
            if step in self.setup_steps and step not in self.accepted and self.current is None:
                self.current = step
                self.deadline = time.monotonic() + self.timeouts.get(step, self.limits.cell_timeout)
        elif kind == protocol.DONE and isinstance(step, str):
            if step in self.accepted:
                self._forged(step)
            elif step == self.current:
                self._accept(step, event)
        elif kind == protocol.READY and self.current is None:
            self._ask_next()

    def _accept(self, step: str, event: dict) -> None:
        self.accepted.add(step)
        if step not in self.run.steps:  # a setup step run again by a fresh child is no progress
            self.progress = True
        if step in self.setup_steps:
            error = event.get("error")
            self.run.steps[step] = {"error": error} if error is not None else {}
        else:
            self.run.steps[step] = ({"error": event["error"]} if "error" in event
                                    else {"observation": event.get("observation")})
            if isinstance(event.get("restored"), list):
                self.run.steps[step]["restored"] = [str(r)[:80] for r in event["restored"][:20]]
        self.current, self.last = None, step
        self.deadline = time.monotonic() + BETWEEN_STEPS

    def _forged(self, step: str) -> None:
        """A second report for a step: the first may have been the submission's forgery."""
        if step not in self.setup_steps:
            self.run.steps[step] = {"error": {"kind": "forged"}}

    def _ask_next(self) -> None:
        if not self.pending:
            self.child.send(protocol.END)
            self.finished = True
            self.deadline = time.monotonic() + 5.0  # time to see late duplicates, then stop
            return
        check = self.pending.pop(0)
        self.current = check["name"]
        self.asked.add(self.current)
        self.deadline = time.monotonic() + self.timeouts.get(self.current, self.limits.check_timeout)
        self.child.send(protocol.check_request(check["name"], check["params"]))


def observe(request: dict, steps: list[tuple[str, float]], files: dict[str, bytes],
            limits: Limits = DEFAULT_LIMITS, spares: Spares | None = None,
            preload: list[str] = ()) -> Run:
    """Run ``request`` (:func:`autograder.protocol.request`) in children until every step has a
    result or time runs out.

    ``steps`` lists (step name, timeout seconds) in the order the child runs them: cells or
    module imports first, then checks. ``files`` are written into the child's working folder.
    The checks' parameters in ``request["checks"]`` are sent one check at a time. ``spares``:
    children started ahead (:class:`Spares`), used before starting one here; ``preload``: the
    modules a child started here imports before its submission (as a spare does).
    """
    import torch

    use_cuda = torch.cuda.is_available()
    jail = jail_kind()
    run = Run(jail=jail)
    started = time.monotonic()
    timeouts = dict(steps)
    check_names = {c["name"] for c in request["checks"]}
    labels = {c["step"]: c.get("label") for c in request.get("cells") or []}
    setup_steps = [s for s, _ in steps if s not in check_names]
    failed_setup: set[str] = set()
    retried = False
    while True:
        pending = [c for c in request["checks"] if c["name"] not in run.steps]
        if not pending and run.restarts:
            break
        left = limits.total_timeout - (time.monotonic() - started)
        if left <= 0:
            for c in pending:
                run.steps[c["name"]] = {"error": {"kind": "total_timeout",
                                                  "seconds": limits.total_timeout}}
            break
        child = spares.take(request["assignment"], limits) if spares is not None else None
        if child is None:
            child = _Child(request["assignment"], list(preload), limits, use_cuda, jail)
        child.setup(request, sorted(failed_setup), files)
        run.warm += child.warm
        if not run.limits:
            run.limits = _applied(child, limits, use_cuda, jail)
        session = _Session(run, child, setup_steps, pending, timeouts, limits)
        event, seen_any = None, False
        try:
            while True:
                wait = min(session.deadline, started + limits.total_timeout) - time.monotonic()
                try:
                    event = child.events.get(timeout=max(0.0, wait))
                except queue.Empty:
                    event = "timeout"
                if event == "timeout" or event is None:
                    break
                seen_any = True
                session.handle(event)
        finally:
            child.kill(grace=EXIT_GRACE if event is None else 0.0)
            run.output = (run.output + child.output.decode("utf-8", "replace"))[-limits.output_bytes:]
        if not seen_any and event is None:
            if child.warm and not retried:  # it died while it waited: once more, started here
                retried, spares = True, None
                continue
            raise SandboxError("the grading process could not start: "
                               + child.output.decode("utf-8", "replace")[-2000:])
        run.restarts += 1
        if session.finished:
            for c in pending:  # a check the child skipped silently
                run.steps.setdefault(c["name"], {"error": {"kind": "no_report"}})
            break
        current = session.current
        if event == "timeout" and time.monotonic() >= started + limits.total_timeout:
            error = {"kind": "total_timeout", "seconds": limits.total_timeout}
        elif event == "timeout":
            error = {"kind": "timeout", "seconds": timeouts.get(current, BETWEEN_STEPS)}
        else:
            error = {"kind": "crashed", **child.crash_report(), **_crash_step(session, labels)}
        if current is None:
            # The child died or hung between steps (while starting, or after a step): a
            # fresh child goes on with what is left, as long as children make progress.
            if not session.progress:
                for c in pending:
                    run.steps.setdefault(c["name"], {"error": error})
                break
        else:
            run.steps[current] = {"error": error}
            if current in setup_steps:
                failed_setup.add(current)
        if run.restarts > len(steps) + 2:
            break
    run.seconds = time.monotonic() - started
    return run


def _crash_step(session: _Session, labels: dict[str, str]) -> dict:
    """Where a child that died was: the ``step`` it was running (with the cell's ``label``), or,
    between steps, the step it had reported last (``after``)."""
    step = session.current
    out = {"step": step} if step is not None else {"after": session.last}
    label = labels.get(step if step is not None else session.last)
    if label:
        out["label"] = label
    return out


def _applied(child: _Child, limits: Limits, use_cuda: bool, jail: str) -> list[str]:
    """The limits that hold for this child, in words (for the report)."""
    out = list(child.groups.applied)
    memory = has_memory_cgroup(child.groups)
    if memory and jail == "bwrap":
        out = [f"{s[:s.index(' (')]} with its files{s[s.index(' ('):]}" if s.startswith("memory")
               else s for s in out]
    if not memory and not use_cuda:
        out.append(f"memory {process_cap_mb(limits, child.groups)} MiB per process (RLIMIT_AS)")
    if not any("processes" in s for s in out):
        out.append(f"{limits.max_processes} processes (RLIMIT_NPROC)")
    if jail == "bwrap":
        tmp_mb, shm_mb = bwrap.tmpfs_sizes(limits.disk_mb)
        out.append(f"disk {limits.disk_mb} MiB (tmpfs: /tmp {tmp_mb}, /dev/shm {shm_mb})")
    return out
