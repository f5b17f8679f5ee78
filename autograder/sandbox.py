"""Run a submission in a child process with limits, and collect what it observed.

The child (:mod:`autograder.child`) gets a clean environment, a temporary working folder that
holds only the submission, ``python -I``, and limits on memory, processes, file size and time.
Each step (a cell, a module import, a check's observation) has its own timeout: a step that
hangs or kills the child is recorded, the child is ended, and a fresh child goes on with the
remaining steps. Every process the child started is ended before the results are returned.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.paths import REPO


class SandboxError(RuntimeError):
    """The child could not start at all: a problem of the grader's installation, not the student's."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    cell_timeout: float = 60.0      # seconds for one notebook cell or module import
    check_timeout: float = 60.0     # at most this many seconds for one check's observation
    total_timeout: float = 300.0    # seconds for the whole submission, restarts included
    memory_mb: int = 6144           # address space of the child (CPU grading)
    file_mb: int = 64               # the largest file the child may write
    max_processes: int = 256        # processes of the sandbox user (applies when not root)
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


def clean_env(workdir: str) -> dict[str, str]:
    """The child's whole environment: nothing of the grader's (tokens, paths) leaks in."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
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


def _limit(limits: Limits, use_cuda: bool):
    def apply() -> None:
        os.setsid()
        if not use_cuda:  # CUDA reserves far more address space than it uses
            cap = limits.memory_mb << 20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb << 20,) * 2)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes,) * 2)
        except (ValueError, OSError):
            pass
    return apply


_JAIL: bool | None = None


def jail_available() -> bool:
    """Whether children can get their own network, mounts and process tree (Linux, as root)."""
    global _JAIL
    if _JAIL is None:
        _JAIL = False
        if os.environ.get("GAN_COURSE_NO_JAIL") != "1" and hasattr(os, "geteuid") \
                and os.geteuid() == 0 and shutil.which("unshare"):
            try:
                probe = subprocess.run(
                    ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "true"],
                    capture_output=True, timeout=20)
                _JAIL = probe.returncode == 0
            except (OSError, subprocess.SubprocessError):
                pass
    return _JAIL


def jail_config(cgroup: str | None) -> dict:
    """What the jail makes read-only and what it hides (see :mod:`autograder.jail`)."""
    import site

    repo = REPO
    candidates = [str(repo), os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
                  *map(os.path.realpath, site.getsitepackages()), "/usr", "/etc", "/opt"]
    read_only = sorted({p for p in candidates if os.path.isdir(p)}, key=len)
    hide = [repo / "solutions", repo / "tests", repo / ".git", repo.parent / "shared"]
    hide += [Path(p) for p in os.environ.get("GAN_COURSE_HIDE", "").split(os.pathsep) if p]
    return {"read_only": read_only, "hide": [str(p) for p in hide if p.is_dir()],
            "cgroup": cgroup}


def make_cgroup(limits: Limits) -> str | None:
    """A fresh ``pids`` cgroup (cgroup v1 or v2) capped at ``max_processes``, if writable."""
    for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        if not os.path.isfile(os.path.join(base, "cgroup.procs")):
            continue
        path = os.path.join(base, f"gan-grade-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.mkdir(path)
            with open(os.path.join(path, "pids.max"), "w") as f:
                f.write(str(limits.max_processes))
            return path
        except OSError:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return None


def remove_cgroup(path: str | None) -> None:
    if not path:
        return
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.05)


def python_module(module: str, *args: str) -> list[str]:
    """``python -I -m module args`` that imports the grader from this checkout (not whatever
    copy is installed), so the child always runs the same code as the parent."""
    boot = ("import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); "
            "runpy.run_module(sys.argv.pop(1), run_name='__main__', alter_sys=True)")
    return [sys.executable, "-I", "-c", boot, str(REPO), module, *args]


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


class _Child:
    """One child process, its event pipe and the threads that drain its output."""

    def __init__(self, request: dict, workdir: str, limits: Limits, use_cuda: bool):
        if _STOPPING.is_set():
            raise SandboxError("grading was stopped (interrupted)")
        read_fd, write_fd = os.pipe()
        command = python_module("autograder.child", str(write_fd))
        self.cgroup = None
        if jail_available():
            self.cgroup = make_cgroup(limits)
            command = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child",
                       *python_module("autograder.jail", json.dumps(jail_config(self.cgroup))),
                       "--", *command]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), cwd=workdir, env=clean_env(workdir),
            preexec_fn=_limit(limits, use_cuda), close_fds=True,
        )
        os.close(write_fd)
        with _LIVE_LOCK:
            _LIVE.add(self)
        if _STOPPING.is_set():  # kill_all ran while this child was starting
            os.close(read_fd)
            self.kill()
            raise SandboxError("grading was stopped (interrupted)")
        self.events: queue.Queue = queue.Queue()
        self.output = bytearray()
        self.keep = limits.output_bytes
        threading.Thread(target=self._read_events, args=(read_fd,), daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        try:
            self.proc.stdin.write(json.dumps(request).encode())
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def _read_events(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as pipe:
            for line in pipe:
                if len(line) > 50_000_000:
                    continue
                try:
                    event = json.loads(line)
                except (ValueError, UnicodeDecodeError):
                    continue  # noise written to the pipe: ignored
                if isinstance(event, dict):
                    self.events.put(event)
        self.events.put(None)  # end of stream: the child exited or closed the pipe

    def _read_output(self) -> None:
        while chunk := self.proc.stdout.read(65536):
            self.output += chunk
            if len(self.output) > 2 * self.keep:
                del self.output[: len(self.output) - self.keep]

    def kill(self) -> None:
        """End the child and every process in its session."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.kill()
        self.proc.wait()
        if self.cgroup:  # anything that escaped the session is still in the cgroup
            try:
                with open(os.path.join(self.cgroup, "cgroup.procs")) as f:
                    for pid in f.read().split():
                        try:
                            os.kill(int(pid), signal.SIGKILL)
                        except (ProcessLookupError, ValueError):
                            pass
            except OSError:
                pass
            remove_cgroup(self.cgroup)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def exit_status(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"


def observe(request: dict, steps: list[tuple[str, float]], files: dict[str, bytes],
            limits: Limits = DEFAULT_LIMITS) -> Run:
    """Run ``request`` in children until every step has a result or time runs out.

    ``steps`` lists (step name, timeout seconds) in the order the child runs them: cells or
    module imports first, then checks. ``files`` are written into the child's working folder.
    """
    import torch

    use_cuda = torch.cuda.is_available()
    run = Run()
    started = time.monotonic()
    timeouts = dict(steps)
    workdir = tempfile.mkdtemp(prefix="gan-grade-")
    os.chmod(workdir, 0o700)
    try:
        for name, data in files.items():
            path = Path(workdir) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        setup_steps = [s for s, _ in steps if s not in {c["name"] for c in request["checks"]}]
        failed_setup: set[str] = set()
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
            token = secrets.token_hex(16)
            child_request = dict(request, checks=pending, skip=sorted(failed_setup),
                                 threads=limits.threads, folder=workdir, token=token)
            child = _Child(child_request, workdir, limits, use_cuda)
            current, deadline, finished, seen_any = None, time.monotonic() + 60.0, False, False
            try:
                while True:
                    wait = min(deadline, started + limits.total_timeout) - time.monotonic()
                    try:
                        event = child.events.get(timeout=max(0.0, wait))
                    except queue.Empty:
                        event = "timeout"
                    if event == "timeout" or event is None:
                        break
                    if event.get("token") != token:
                        continue  # written by the submission, not by the child's reporter
                    seen_any = True
                    kind, step = event.get("event"), event.get("step")
                    if kind == "start" and isinstance(step, str):
                        current = step
                        deadline = time.monotonic() + timeouts.get(step, limits.cell_timeout)
                    elif kind == "done" and isinstance(step, str) and step == current:
                        if step in setup_steps:
                            run.steps[step] = {k: event[k] for k in ("error",) if k in event}
                        elif step not in run.steps:
                            run.steps[step] = ({"error": event["error"]} if "error" in event
                                               else {"observation": event.get("observation")})
                        current, deadline = None, time.monotonic() + 60.0
                    elif kind == "finished":
                        finished = True
                        break
            finally:
                child.kill()
                run.output = (run.output + child.output.decode("utf-8", "replace"))[-limits.output_bytes:]
            run.restarts += 1
            if not seen_any and event is None:
                raise SandboxError("the grading process could not start: "
                                   + child.output.decode("utf-8", "replace")[-2000:])
            if finished:
                for c in pending:  # a check the child skipped silently
                    run.steps.setdefault(c["name"], {"error": {"kind": "no_report"}})
                break
            if event == "timeout" and time.monotonic() >= started + limits.total_timeout:
                error = {"kind": "total_timeout", "seconds": limits.total_timeout}
            elif event == "timeout":
                error = {"kind": "timeout", "seconds": timeouts.get(current, 60.0)}
            else:
                error = {"kind": "crashed", "status": child.exit_status()}
            if current is None:
                # The child died or hung between steps (while starting, or after a step).
                for c in pending:
                    run.steps.setdefault(c["name"], {"error": error})
                break
            run.steps[current] = {"error": error}
            if current in setup_steps:
                failed_setup.add(current)
            if run.restarts > len(steps) + 2:
                break
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run.seconds = time.monotonic() - started
    return run
