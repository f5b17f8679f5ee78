"""Start the grader safely from any folder: nothing in the current folder may replace the grader,
torch or any other module the grader imports.

``python -m autograder`` puts the current folder first on ``sys.path``. Run from a folder a
student controls (their submission, a class's submissions folder), a ``torch/``, ``nbformat/``
or ``numpy.py`` there would be imported by the grader's own process. :func:`guard` runs first
thing when the grader starts as a program (``gan-grader`` or ``python -m autograder``: the
top of :mod:`autograder.__main__`), before any other import, and

1. drops the current folder from ``sys.path`` (unless it is the folder that holds this grader:
   running from the course's own checkout is safe);
2. stops if a module was already imported from the current folder;
3. stops if the ``autograder`` that runs comes from the current folder but is neither the
   installed grader, nor one the caller named on ``PYTHONPATH``, nor a git worktree of the
   installed checkout: a copy of the grader in a student's folder, say.

What it cannot defend: run as ``python -m autograder`` from a folder that holds a planted
``autograder/`` package, Python runs that package's ``__main__``, not this one, so nothing here
runs at all. The installed command ``gan-grader`` (a console script: it never puts the current
folder on ``sys.path``) and ``python -P -m autograder`` (Python >= 3.11) are not exposed to that.

Only ``sys`` and ``os`` are used until ``sys.path`` is clean: both are loaded before any script
runs, so no file of the current folder can stand in for them.
"""

import os
import sys

PROG_SCRIPT = "gan-grader"   # the console script ([project.scripts] in pyproject.toml)
DISTRIBUTION = "gan-course"


class ShadowedGrader(SystemExit):
    """The grader refuses to start; the message says what to run instead (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _real(path: str) -> str:
    return os.path.realpath(path or os.curdir)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def grader_root(package_file: str) -> str:
    """The folder that holds the running ``autograder`` package."""
    return os.path.dirname(os.path.dirname(_real(package_file)))


def drop_current_folder(cwd: str, root: str) -> list[str]:
    """Remove every ``sys.path`` entry that is the current folder (``''``, ``.``, its path),
    unless that folder holds the grader itself; return what was removed."""
    if cwd == root:
        return []
    removed = [p for p in sys.path if _real(p) == cwd]
    sys.path[:] = [p for p in sys.path if _real(p) != cwd]
    return removed


def imported_from(cwd: str, root: str) -> list[tuple[str, str]]:
    """(module, file) for each module already imported from the current folder (not the grader's)."""
    found = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and _inside(_real(file), cwd) and not _inside(_real(file), root):
            found.append((name, file))
    return sorted(found)


def installed_root() -> str | None:
    """The folder that holds the installed grader: the project folder of an editable install,
    else the site-packages folder; None when the course is not installed."""
    import json
    from importlib import metadata

    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    try:
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        direct = {}
    url = direct.get("url", "") if isinstance(direct, dict) else ""
    if url.startswith("file://") and (direct.get("dir_info") or {}).get("editable"):
        from urllib.parse import unquote, urlparse

        return _real(unquote(urlparse(url).path))
    return _real(str(dist.locate_file("")))


def worktree_of(root: str, installed: str) -> bool:
    """``root`` is a git worktree of the checkout at ``installed`` (its ``.git`` file points into
    ``installed/.git/worktrees/``, which a student's folder cannot create)."""
    marker = os.path.join(root, ".git")
    if not os.path.isfile(marker):
        return False
    try:
        with open(marker, encoding="utf-8") as f:
            line = f.read(4096).strip()
    except OSError:
        return False
    if not line.startswith("gitdir:"):
        return False
    gitdir = _real(os.path.join(root, line.removeprefix("gitdir:").strip()))
    worktrees = os.path.join(installed, ".git", "worktrees")
    return os.path.isdir(gitdir) and _inside(gitdir, worktrees) and gitdir != worktrees


def trusted(root: str, cwd: str) -> bool:
    """Whether the grader at ``root`` may run: not found through the current folder, or the
    installed one, or named on PYTHONPATH, or a worktree of the installed checkout."""
    if not _inside(root, cwd):
        return True
    explicit = {_real(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    if root in explicit:
        return True
    installed = installed_root()
    return installed is None or root == installed or worktree_of(root, installed)


def is_console(argv: list[str]) -> bool:
    """Started as the ``gan-grader`` script (``gan-grader.exe``, ``gan-grader-script.py``)."""
    return bool(argv) and os.path.basename(argv[0] or "").startswith(PROG_SCRIPT)


def start() -> None:
    """:func:`guard` for a command: print the refusal and exit with status 2."""
    try:
        guard(__file__)
    except ShadowedGrader as refusal:
        print(refusal.message, file=sys.stderr)
        raise SystemExit(2) from None


def guard(package_file: str) -> None:
    """Make ``sys.path`` safe and check the grader that runs; raise :class:`ShadowedGrader` if
    it cannot be trusted. ``package_file``: a file of the running ``autograder`` package."""
    cwd = _real(os.getcwd())
    root = grader_root(package_file)
    drop_current_folder(cwd, root)
    planted = imported_from(cwd, root)
    if planted:
        listed = ", ".join(f"{name} ({file})" for name, file in planted[:5])
        raise ShadowedGrader(
            f"error: modules were imported from the current folder {cwd} before the grader "
            f"started: {listed}. Files there stand in for the grader's own modules. Run the "
            f"grader from another folder, with the installed command: {PROG_SCRIPT} ...")
    if not trusted(root, cwd):
        planted_folder = os.path.join(root, "autograder")
        raise ShadowedGrader(
            f"error: this grader was imported from {planted_folder}, a folder in the current "
            f"folder {cwd}, not from the installed grader ({installed_root()}). If this folder "
            f"is a student's, that autograder/ is theirs and its score means nothing. Grade "
            f"with the installed command instead (it ignores the current folder): "
            f"{PROG_SCRIPT} VERB ... (or `python -P -m autograder` on Python >= 3.11, or run "
            f"from another folder). If this is a checkout of the course that you trust, name it: "
            f"PYTHONPATH={root} python -m autograder ...")
