"""Words for a student: what an error the child reported means and what to do about it.

The child reports errors as plain data (see :mod:`autograder.protocol`); this module turns them
into words. The few words an assignment's judge quotes itself (:func:`~autograder.checks.raised`,
:func:`~autograder.checks.raised_in_cell`) live in :mod:`autograder.checks`, the layer below the
assignments, so that no assignment imports the grading parent.
"""

from __future__ import annotations

from autograder import protocol
from autograder.checks import raised, where_text  # the words a judge quotes too

# What an error of each kind means, with the error's fields ({name}, {seconds}, {status}).
ERRORS = {
    "missing": "Your submission defines no `{name}`: did you rename it, delete its cell, or does an "
               "earlier cell fail? (see the notes above)",
    "timeout": "Did not finish within {seconds} s: an endless loop, or a long training run inside "
               "the code being checked?",
    "total_timeout": "Not run: the whole submission took longer than {seconds} s (an earlier step "
                     "was slow).",
    # the first sentence of crash_words(): what follows depends on what the grader measured
    "crashed": "The process running your code stopped ({status}) {where}.",
    "unreportable": "Your code ran, but what this check observed could not be sent to the grader "
                    "({reason}). Does your code return or store something unusually large?",
    "forged": "The grader received two reports for this check, so it trusts neither: code in your "
              "submission wrote to the grader's own channel. Remove it; only the grader reports "
              "what your code does.",
    "no_report": "Your code ran, but the check's observation never came back.",
}


class _Fields(dict):
    """An error's fields for a template: a field the error lacks reads None (as ``.get``)."""

    def __init__(self, error: dict, **extra):
        super().__init__(error, **extra)

    def __missing__(self, key: str):
        return None


def explain(error: dict, check_title: str) -> str:
    """One or two sentences for an observation that ended in an error instead of data."""
    if not isinstance(error, dict):
        return "The grader could not read what your code did."
    kind = error.get("kind")
    if kind == "not_implemented":
        where = error.get("where") or {}
        fn = where.get("function") if isinstance(where, dict) else None
        name = f"`{fn}`" if fn and fn != "<module>" else "a function this check needs"
        return (f"Not implemented yet: {name} still raises NotImplementedError"
                f"{where_text(where)}. Replace the `raise NotImplementedError()` with your code.")
    if kind == "missing_in_notebook":
        name, matched = error.get("name"), error.get("matched")
        if matched:
            return (f"`{name}` was not defined when this check ran, although {matched} of your "
                    "notebook defines it: a statement of that cell failed before the definition, "
                    "or the definition has a syntax error (see the notes above).")
        return (f"Your notebook defines no `{name}`: no cell has the id {name} and no cell "
                f"defines `{name}`. Did you rename it or delete its cell?")
    if kind == "crashed":
        return crash_words(error)
    if isinstance(kind, str) and kind in ERRORS:
        return ERRORS[kind].format_map(_Fields(error))
    if kind == "exception":
        return f"Your code raised {raised(error)}."
    return "The grader could not read what your code did."


NEAR_LIMIT = 0.9  # a memory peak of at least this share of the limit counts as running out


def crash_words(error: dict) -> str:
    """What the grader knows about a child that died (a ``crashed`` error, the fields of
    :meth:`autograder.grading.sandbox._Child.crash_report`): the signal or exit code, the step,
    the memory peak where it was near the limit, and the last lines the child printed. It
    names memory only when the memory cgroup measured a peak near the limit or an OOM kill."""
    fields = _Fields(error, status=error.get("status") or "for a reason the grader could not read",
                     where=_crash_where(error))
    words = [ERRORS["crashed"].format_map(fields)]
    memory = _out_of_memory(error)
    if memory:
        words.append(memory)
    elif error.get("signal") == "SIGKILL":
        measured = ("the grader measured no shortage of memory" if "peak_mb" in error else
                    "the grader cannot measure memory on this host, so it does not know more")
        words.append("Something sent it SIGKILL: your code (os.kill, a subprocess it started) or "
                     f"the system; {measured}.")
    elif error.get("signal") in ("SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL", "SIGFPE"):
        words.append("That is a crash inside compiled code (torch, numpy, or a C extension or "
                     "ctypes call your code made).")
    elif error.get("signal"):
        words.append(f"Something sent it {error.get('signal')}: your code or the system.")
    elif error.get("exit_code") is not None:
        words.append("It ended itself: your code called os._exit() or exit() from a thread or "
                     "library (in a notebook, return or raise instead), or the grader's own code "
                     "failed; the last lines it printed say which.")
    output = error.get("output")
    if isinstance(output, str) and output.strip():
        quoted = "\n".join(f"    {line}" for line in output.splitlines()[-5:])
        words.append(f"The last lines it printed:\n{quoted}")
    return " ".join(words)


def _crash_where(error: dict) -> str:
    """``during this check``, ``while it ran line 3 of your cell 7``, ``while it imported
    models.py``, or ``between two steps, after ...``."""
    step, label = error.get("step"), error.get("label")
    if not isinstance(step, str):
        after = error.get("after")
        if not isinstance(after, str):
            return "while it was starting, before it ran any of your code"
        return f"between two steps, after {_step_words(after, label)} had finished"
    if protocol.is_import(step) or step.startswith(protocol.CELL):
        return f"while it ran {_step_words(step, label)}"
    return "during this check"


def _step_words(step: str, label) -> str:
    """``line 3 of your cell 7``, ``cell Generator``, ``the import of models.py``, or the
    check's name."""
    if protocol.is_import(step):
        return f"the import of {protocol.subject(step)}.py"
    if step.startswith(protocol.CELL):
        parts = step.split(":")
        what = label if isinstance(label, str) and label else f"cell {parts[1]}"
        return f"line {parts[2]} of {what}" if len(parts) == 3 else what
    return f"the check {step}"


def _out_of_memory(error: dict) -> str:
    """Words for a measured shortage of memory, or "" where none was measured."""
    peak, limit, kills = error.get("peak_mb"), error.get("limit_mb"), error.get("oom_kills")
    near = isinstance(peak, int) and isinstance(limit, int) and limit > 0 \
        and peak >= NEAR_LIMIT * limit
    killed = isinstance(kills, int) and kills > 0
    if not (near or killed):
        return ""
    text = "It ran out of memory: "
    if isinstance(peak, int) and isinstance(limit, int):
        text += f"its processes held {peak} MiB at their peak, of the {limit} MiB a submission may use"
    else:
        text += "the system's out-of-memory killer ended it"
    if killed and isinstance(peak, int):
        text += ", and the kernel's out-of-memory killer ended it"
    return text + (". Look for tensors kept from step to step (append loss.item(), not the loss "
                   "with its graph), or batches or networks far larger than the assignment asks.")


def cell_note(step: str, error: dict, origin: str = protocol.STUDENT, label: str | None = None,
              missing: set[str] = frozenset()) -> str:
    """A note about a notebook cell (or one statement of it) or module import that failed.

    ``origin``: whose code the step runs (``student``, or ``provided``: a cell of the course).
    The error's own ``origin``, tagged by the child (:func:`autograder.protocol.origin`), says
    where it was raised: a provided cell that fails inside the student's code
    (``gen = Generator(z_dim)`` calls the student's class) is the student's to fix.
    ``missing``: names no cell of the student's notebook defines (a course cell that uses one
    fails with a NameError that is the student's to fix, not the course's).
    """
    what = label or protocol.subject(step)
    if protocol.is_import(step):
        what = f"{what}.py"
    kind = error.get("kind") if isinstance(error, dict) else None
    if kind == "not_implemented":
        return ""  # unfinished stubs are reported by each check that needs them
    raised_by_student = isinstance(error, dict) and error.get("origin") == protocol.STUDENT
    undefined = error.get("undefined") if isinstance(error, dict) else None
    if origin == protocol.PROVIDED and undefined in missing:
        return (f"The course's {what} could not run: it uses `{undefined}`, which your notebook "
                "does not define.")
    if origin == protocol.PROVIDED and not raised_by_student:
        return (f"The course's own {what} failed: {explain(error, what)} This is not your "
                "mistake: tell your instructor (is the course installed with "
                "`pip install -r requirements.txt`?).")
    if kind == "exception" and error.get("type") == "SyntaxError":
        return (f"{what} has a syntax error{where_text(error.get('where'))}: "
                f"{error.get('message')}. Nothing it defines could be graded.")
    if origin == protocol.PROVIDED:
        return f"{what} (a cell of the course that uses your code) failed: {explain(error, what)}"
    return f"{what} failed while running: {explain(error, what)}"


# --- notes that gather many steps into one ------------------------------------------------

GPU_ERRORS = ("Found no NVIDIA driver", "Torch not compiled with CUDA enabled",
              "No CUDA GPUs are available")


def needs_gpu(error) -> bool:
    """An error of code that asked for CUDA on a grader without a GPU."""
    return isinstance(error, dict) and any(e in str(error.get("message")) for e in GPU_ERRORS)


def gpu_note(labels: list[str]) -> str:
    """One note for every statement of the student's cells that needed a GPU."""
    where = ", ".join(dict.fromkeys(labels))
    return (f"{len(labels)} statement{'s' if len(labels) > 1 else ''} of {where} asked for a GPU "
            "(`.cuda()`, `device='cuda'`) and could not run: this grader has no GPU. That costs "
            "nothing by itself, and your functions' device handling is checked on PyTorch's "
            "`meta` device; to run everything, use `device = 'cuda' if "
            "torch.cuda.is_available() else 'cpu'`.")


def own_tests_note(cells: list[dict], steps: dict) -> str:
    """One note for the notebook's own test cells (asserts, ``test_*`` calls), which run as the
    student's code but cost nothing: "your notebook's own tests: N ran, M failed in the grader's
    environment", with the first failures named; "" when the notebook has none."""
    ran = [c for c in cells if c.get("counted") and isinstance(steps.get(c["step"]), dict)]
    if not ran:
        return ""
    failed = [c for c in ran if isinstance(steps[c["step"]].get("error"), dict)]
    shown = []
    for c in failed[:3]:
        error = steps[c["step"]]["error"]
        kind = error.get("type") if error.get("kind") == "exception" else error.get("kind")
        message = "it needs a GPU" if needs_gpu(error) else " ".join(str(error.get("message") or "").split())
        message = message if len(message) <= 80 else message[:77] + "..."
        shown.append(f"{c.get('label')}: {kind}" + (f" ({message})" if message else ""))
    more = f", and {len(failed) - 3} more" if len(failed) > 3 else ""
    which = f" ({'; '.join(shown)}{more})" if failed else ""
    return (f"Your notebook's own tests: {len(ran)} ran, {len(failed)} failed in the grader's "
            f"environment{which}. They cost nothing: the grader's own checks decide every point."
            + (" Tests written for another environment (Coursera's GPU, its files, its versions) "
               "can fail here although your code is right; where one points at a real mistake, "
               "the grader's check of that function says so." if failed else ""))
