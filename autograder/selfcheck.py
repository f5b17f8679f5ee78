"""Self-checks inside a student's notebook: ``check("first_gan", "get_noise", globals())``.

Runs the visible checks of one group (or the hidden ones, in the instructor's copy) on the live
notebook, prints what passed and what to fix, and returns the points earned, which nbgrader
records as the cell's partial credit. The same observe/judge functions run in the repo's
grader, so the two agree on the score; here they run in the student's own kernel, which is the
student's business: the repo's grader (``python -m autograder grade``) is the one to trust.

While a check observes the student's functions, ``is_grading()`` is True, as under the repo's
grader and nbgrader: the course's helpers then act as they do there (``capture`` records nothing,
so every step the check watches runs as Python; ``load_mnist`` gives its stand-in), and the
self-check agrees with the grader. The notebook's own cells, before and after, run as a student's.

Feedback names the function and the notebook cell, as ``python -m autograder check`` does:
"`get_noise` still raises NotImplementedError (in cell In [7], line 14: raise ...)". A
notebook cell's code lives in a file of the kernel's (``/tmp/ipykernel_*/*.py``, or
``<ipython-input-...>``); every frame outside the course, the grader and the installed
libraries is the student's.
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
import sysconfig
import warnings

from autograder.checks import HIDDEN, VISIBLE, Verdict, load_checks


def _library_folders() -> tuple[str, ...]:
    """Folders whose code is not the student's: the grader, the course, Python and packages."""
    from autograder.paths import REPO

    folders = {str(REPO / "autograder"), str(REPO / "gan_course"), sys.prefix, sys.base_prefix,
               sysconfig.get_paths()["stdlib"], *site.getsitepackages()}
    user = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if user:
        folders.add(user)
    return tuple(os.path.realpath(f) + os.sep for f in folders if f)


def _cell_name(filename: str) -> str:
    """"cell In [7]" for a Jupyter cell's file, the file's own name otherwise."""
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - IPython's builtin
        named = shell.compile.format_code_name(filename)
        if named:
            return f"cell {named[1].replace('In[', 'In [')}"
    except Exception:  # noqa: BLE001 - not in IPython, or another version
        pass
    if filename.startswith("<ipython-input-"):  # IPython < 8: <ipython-input-7-abc>
        parts = filename.strip("<>").split("-")
        return f"cell In [{parts[2]}]" if len(parts) > 2 else "a notebook cell"
    return os.path.basename(filename.strip("<>")) or "a notebook cell"


def describe_student_error(exc: BaseException) -> dict:
    """Like :func:`autograder.child.errors.describe_error`, for code run in a notebook's kernel."""
    from autograder.child.errors import describe_error

    error = describe_error(exc)
    libraries = _library_folders()
    where = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        filename = code.co_filename
        if not os.path.realpath(filename).startswith(libraries) or filename.startswith("<"):
            import linecache

            where = {"file": _cell_name(filename), "line": tb.tb_lineno,
                     "function": getattr(code, "co_qualname", code.co_name),
                     "code": linecache.getline(filename, tb.tb_lineno).strip()[:200]}
        tb = tb.tb_next
    if isinstance(error, dict) and error.get("kind") in ("not_implemented", "exception") \
            and where is not None:
        error["where"] = where
    return error


def points_line(earned: float, visible: float, hidden: float) -> str:
    """"visible points 2 of 2; 1 more in hidden checks" (the hidden part only when there is one)."""
    line = f"visible points {earned:g} of {visible:g}"
    return line + (f"; {hidden:g} more in hidden checks" if hidden else "")


@contextlib.contextmanager
def as_graded():
    """``is_grading()`` is True inside, as in the grader's child; the variable is restored after."""
    saved = os.environ.get("GAN_COURSE_GRADING")
    os.environ["GAN_COURSE_GRADING"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("GAN_COURSE_GRADING", None)
        else:
            os.environ["GAN_COURSE_GRADING"] = saved


def check(assignment: str, group: str, namespace: dict, hidden: bool = False) -> float:
    """Run the checks of ``group`` on ``namespace``; print feedback; return the points earned."""
    from autograder.grading.grade import judge

    wanted = HIDDEN if hidden else VISIBLE
    group_checks = [c for c in load_checks(assignment) if c.group == group]
    checks = [c for c in group_checks if c.visibility == wanted]
    earned = 0.0
    for c in checks:
        # nbgrader gives a test cell 0 points when it writes anything to stderr: warnings
        # raised by the student's code must not cost points the grader would give.
        with warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout), as_graded():
            warnings.simplefilter("ignore")
            try:
                outcome = {"observation": c.observe(namespace, c.params)}
            except Exception as exc:  # every failure becomes feedback
                outcome = {"error": describe_student_error(exc)}
        verdict: Verdict = judge(c, outcome)
        earned += c.points if verdict.passed else 0.0
        mark = "✓" if verdict.passed else "✗"
        print(f"{mark} {c.title}" + ("" if verdict.passed else f"\n    {verdict.message}"))
    total = sum(c.points for c in checks)
    if hidden:
        print(f"hidden points {earned:g} of {total:g}")
    else:
        rest = sum(c.points for c in group_checks if c.visibility != VISIBLE)
        print(points_line(earned, total, rest))
    return earned
