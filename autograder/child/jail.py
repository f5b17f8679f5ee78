"""The fallback jail: lock the child in before it runs student code (Linux, as root).

Used only where bubblewrap (:mod:`autograder.grading.bwrap`) does not work; the child then stays uid 0
without capabilities, which is weaker (see docs/grading.md).

Started by :mod:`autograder.grading.sandbox` as ``unshare --net --mount --pid --fork --kill-child
python -I -m autograder.child.jail CONFIG -- COMMAND...``, so this process already has its own network
(no interfaces but loopback: no network), mount table and process tree. It then:

1. makes the grader's code, Python and the system read-only, so a submission cannot plant a
   ``.pth``, ``sitecustomize.py`` or edited grader file that outlives it;
2. hides the reference solutions, the course's tests, the git history and ``../shared``
   behind empty folders, so searching the disk finds nothing;
3. (the sandbox has already put this process into its cgroups: :mod:`autograder.grading.cgroup`);
4. drops every capability and sets no_new_privs, so none of the above can be undone;
5. replaces itself with COMMAND (the child), which is then process 1 of the namespace: when it
   ends, the kernel ends every process it started, even those that left its session.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None):
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def read_only(path: str) -> None:
    """Bind ``path`` onto itself and remount the bind read-only."""
    if os.path.isdir(path):
        _mount(path, path, None, MS_BIND | MS_REC, None)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)


def hide(path: str) -> None:
    """Cover ``path`` with an empty, read-only tmpfs."""
    if os.path.isdir(path):
        _mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=4k,mode=0555")


def join_cgroup(cgroup: str | None) -> None:
    if cgroup:
        try:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        except OSError:
            pass


def drop_capabilities() -> None:
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # invalid numbers simply fail

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    if _libc.capset(ctypes.byref(header), ctypes.byref(data)) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs failed")


def main() -> None:
    config = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    # A /proc of this pid namespace: CUDA and Lightning read it, and the submission then sees
    # only its own processes.
    _mount("proc", "/proc", "proc", 0, None)
    read_only("/proc/sys")  # the kernel's knobs (core_pattern is a route to root)
    for path in config["read_only"]:
        read_only(path)
    for path in config["hide"]:
        hide(path)
    join_cgroup(config.get("cgroup"))
    drop_capabilities()
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
