"""Read a submission's files without trusting them (in the grader's own process, as root).

A submission folder is untrusted: any name in it may be a symbolic link (to the reference
solution, to ``/etc/shadow``, to ``/proc/self/environ``), a device (``/dev/zero``), a FIFO (a read
that never ends), a directory named like a file, or a file too large to hold in memory. So every
read here:

* opens the path with ``O_NOFOLLOW | O_NONBLOCK`` and checks with ``fstat`` on the open file that
  it is a *regular* file (a link, device, FIFO, socket or directory is refused);
* refuses a path whose folders inside the submission are links (``lstat`` of each component);
* checks the size before reading, and reads at most ``limit + 1`` bytes;
* turns every ``OSError`` into a :class:`UnsafeFile` that names the path and says why.

:class:`UnsafeFile` is raised with a message written for a student; ``submission.py`` turns it
into a ``SubmissionError``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

MAX_BYTES = 30_000_000  # the largest notebook or module the grader reads


class UnsafeFile(Exception):
    """A file of the submission that the grader refuses to read; the message says why."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def file_kind(path: Path) -> str | None:
    """``None`` if ``path`` (not followed) is a regular file, else what it is, in words."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    return None if stat.S_ISREG(mode) else _kind(mode)


def is_regular(path: Path) -> bool:
    """``path`` is a regular file itself (a link to one is not)."""
    return file_kind(path) is None


def _check_folders(path: Path, root: Path | None) -> None:
    """No folder between ``root`` and ``path`` may be a link (a link to ``solutions/``)."""
    if root is None:
        return
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        return
    here = root
    for part in parts:
        here = here / part
        kind = file_kind(here)
        if kind != "a folder":
            raise UnsafeFile(f"{here.relative_to(root)} is {kind or 'a file'}, not a folder: "
                             "submit real folders and files, not links.")


def read_bytes(path: Path, limit: int = MAX_BYTES, root: Path | None = None,
               name: str | None = None) -> bytes:
    """The bytes of the regular file ``path``, never following a link, at most ``limit`` bytes.

    ``root``: the submission folder (its sub-folders on the way to ``path`` are checked too).
    ``name``: how to call the file in messages (default: its name).
    """
    path = Path(path)
    shown = name or path.name
    _check_folders(path, root)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        kind = file_kind(path)
        if kind and kind != "not a regular file":
            raise UnsafeFile(f"{shown} is {kind}: the grader reads only regular files. Submit "
                             "the file itself, not a link or a special file.") from None
        raise UnsafeFile(f"{shown} could not be read ({exc.strerror}): submit it again.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{shown} is {_kind(info.st_mode)}: the grader reads only regular "
                             "files. Submit the file itself, not a link or a special file.")
        if info.st_size > limit:
            raise UnsafeFile(f"{shown} is {info.st_size // 1_000_000} MB; the limit is "
                             f"{limit // 1_000_000} MB. Clear the outputs (Edit → Clear All "
                             "Outputs) and submit again.")
        os.set_blocking(fd, True)
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise UnsafeFile(f"{shown} could not be read ({exc.strerror}): submit it again.") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise UnsafeFile(f"{shown} is larger than {limit // 1_000_000} MB.")
    return data


def walk_files(root: Path, pattern: str) -> Iterator[Path]:
    """Regular files under ``root`` whose name matches ``pattern`` (a glob), sorted, never
    entering a folder through a link (unlike ``Path.rglob`` before Python 3.13)."""
    import fnmatch

    found = []
    for folder, dirs, files in os.walk(root, followlinks=False, onerror=lambda exc: None):
        dirs.sort()
        for name in files + dirs:
            if fnmatch.fnmatch(name, pattern):
                found.append(Path(folder) / name)
    return iter(sorted(found))
