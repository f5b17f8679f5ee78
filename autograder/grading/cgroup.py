"""One control group per submission: its memory, processes and CPU in total, where the host allows.

Per-process limits (``RLIMIT_AS``) do not stop five processes of 1 GiB each, and a process can
leave its session, so the sandbox also puts the whole child (every process it starts inherits
the group) into fresh cgroups:

* **cgroup v2** (one unified hierarchy) when the grader's own group can delegate the
  ``memory``, ``pids`` and ``cpu`` controllers to a child group;
* else **cgroup v1**, one group per controller (``/sys/fs/cgroup/memory``, ``pids``, ``cpu``);
* else nothing: the per-process limits of :mod:`autograder.grading.sandbox` are all that applies.

:func:`create` says which limits it could set (``Cgroups.applied``), so the grader can report
it. The groups are made by the grader (root); the child joins them before it drops its
privileges, and the child's ``/sys`` is read-only, so student code cannot move itself out.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

ROOT = "/sys/fs/cgroup"
CPU_PERIOD_US = 100_000


@dataclass
class Cgroups:
    """The groups made for one child and, in words, the limits they apply."""

    paths: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    memory_path: str | None = None      # the group whose memory limit holds (v2 or v1 memory)
    memory_limit_mb: int | None = None
    version: int = 0                     # 2 or 1 (0: none)

    def memory(self) -> dict:
        """What the memory group measured, for a crash report (read before :meth:`kill_all`):
        ``peak_mb`` (cgroup v2 ``memory.peak``, v1 ``memory.max_usage_in_bytes``: the most the
        group's processes held at once, page cache and tmpfs files included), ``limit_mb``, and
        ``oom_kills`` (processes the kernel's OOM killer ended in the group: v2 ``memory.events``,
        v1 ``memory.oom_control``). Empty when there is no memory group or nothing is readable."""
        if self.memory_path is None:
            return {}
        peak_file = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        events_file = "memory.events" if self.version == 2 else "memory.oom_control"
        out: dict = {}
        peak = _read(os.path.join(self.memory_path, peak_file)).strip()
        if peak.isdigit():
            out["peak_mb"] = int(peak) >> 20
            out["limit_mb"] = self.memory_limit_mb
        for line in _read(os.path.join(self.memory_path, events_file)).splitlines():
            name, _, value = line.partition(" ")
            if name == "oom_kill" and value.strip().isdigit():
                out["oom_kills"] = int(value)
        return out

    def join(self) -> None:
        """Move the calling process into every group (run in the child before it execs)."""
        for path in self.paths:
            _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))

    def kill_all(self) -> None:
        """SIGKILL every process still in a group, then remove the groups."""
        for path in self.paths:
            for _ in range(3):
                pids = _read(os.path.join(path, "cgroup.procs")).split()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError, PermissionError):
                        pass
                time.sleep(0.02)
        for path in self.paths:
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        self.paths = []
        self.memory_path = None


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _write(path: str, value: str) -> bool:
    try:
        with open(path, "w") as f:
            f.write(value)
        return True
    except OSError:
        return False


def _own_groups() -> dict[str, str]:
    """Controller (``""`` for v2) -> this process's group path, from /proc/self/cgroup."""
    groups = {}
    for line in _read("/proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                groups[controller] = parts[2]
    return groups


def _name() -> str:
    return f"gan-grade-{os.getpid()}-{time.monotonic_ns()}"


def _v2(memory_mb: int, max_processes: int, cpus: float) -> Cgroups | None:
    mount = next((m for m in (ROOT, os.path.join(ROOT, "unified"))
                  if os.path.isfile(os.path.join(m, "cgroup.controllers"))), None)
    own = _own_groups().get("")
    if mount is None or own is None:
        return None
    parent = os.path.join(mount, own.lstrip("/"))
    wanted = [c for c in ("memory", "pids", "cpu") if c in _read(os.path.join(parent, "cgroup.controllers")).split()]
    if not wanted:
        return None
    enabled = set(_read(os.path.join(parent, "cgroup.subtree_control")).split())
    for c in wanted:
        if c not in enabled:
            _write(os.path.join(parent, "cgroup.subtree_control"), f"+{c}")
    path = os.path.join(parent, _name())
    try:
        os.mkdir(path)
    except OSError:
        return None
    groups = Cgroups([path], version=2)
    if _write(os.path.join(path, "memory.max"), str(memory_mb << 20)):
        _write(os.path.join(path, "memory.swap.max"), "0")
        groups.applied.append(f"memory {memory_mb} MiB (cgroup v2)")
        groups.memory_path, groups.memory_limit_mb = path, memory_mb
    if _write(os.path.join(path, "pids.max"), str(max_processes)):
        groups.applied.append(f"{max_processes} processes (cgroup v2)")
    if _write(os.path.join(path, "cpu.max"), f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}"):
        groups.applied.append(f"{cpus:g} CPUs (cgroup v2)")
    if not groups.applied:
        groups.kill_all()
        return None
    return groups


def _v1(memory_mb: int, max_processes: int, cpus: float) -> Cgroups:
    groups = Cgroups(version=1)
    own = _own_groups()
    settings = {
        "memory": ([("memory.limit_in_bytes", str(memory_mb << 20))],
                   f"memory {memory_mb} MiB (cgroup v1)"),
        "pids": ([("pids.max", str(max_processes))], f"{max_processes} processes (cgroup v1)"),
        "cpu": ([("cpu.cfs_period_us", str(CPU_PERIOD_US)),
                 ("cpu.cfs_quota_us", str(int(cpus * CPU_PERIOD_US)))],
                f"{cpus:g} CPUs (cgroup v1)"),
    }
    for controller, (files, words) in settings.items():
        base = os.path.join(ROOT, controller)
        if controller not in own or not os.path.isfile(os.path.join(base, "cgroup.procs")):
            continue
        path = os.path.join(base, own[controller].lstrip("/"), _name())
        try:
            os.mkdir(path)
        except OSError:
            continue
        if all(_write(os.path.join(path, name), value) for name, value in files):
            groups.paths.append(path)
            groups.applied.append(words)
            if controller == "memory":  # swap counted too, where the kernel accounts it
                _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(memory_mb << 20))
                groups.memory_path, groups.memory_limit_mb = path, memory_mb
        else:
            try:
                os.rmdir(path)
            except OSError:
                pass
    return groups


def create(memory_mb: int, max_processes: int, cpus: float) -> Cgroups:
    """Fresh groups with these limits (v2, else v1, else none: see ``applied``)."""
    if os.environ.get("GAN_COURSE_NO_CGROUP") == "1":
        return Cgroups()
    return _v2(memory_mb, max_processes, cpus) or _v1(memory_mb, max_processes, cpus)
