"""Grade a folder of submissions: one ``results.json`` per student and a gradebook CSV.

Each entry of the submissions folder is one student: a sub-folder, a notebook (``.ipynb`` or
``.pct.py``) or a zip written by ``python -m autograder submit``. The student's name is the entry's
name without that suffix (``jane.doe.ipynb`` is ``jane.doe``); two entries that would give the
same name (``jane.ipynb`` and ``jane/``, or ``Jane`` and ``jane``) stop the batch before it starts.

What can be trusted after a crash, an interruption or a hostile submission:

* each ``results.json`` is written atomically (a reader never sees half a file), *before* its
  feedback files, so a feedback page that cannot be written never leaves an older (or planted)
  result in place;
* the grader's own ledger, ``OUT/.grader/ledger.json`` (written only by this process, and hidden
  from the sandboxed child with the rest of ``OUT``), records for each student the fingerprint of
  the submission that was graded and the sha256 of the ``results.json`` it wrote. Resuming
  trusts a result only when both still match: a changed submission, and a ``results.json``
  that this process did not write, are graded again;
* ``gradebook.csv`` is rebuilt from the results on disk that the ledger vouches for, on every
  exit path: students not graded (yet) are left out of it and named in a message;
* SIGINT (Ctrl-C) and SIGTERM stop the batch cleanly: no new submission starts, every sandbox
  (the children started ahead too) is killed with everything it started, the gradebook is
  rebuilt and the verb says
  "interrupted: N of M graded; run again to continue".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import stat
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading import sandbox
from autograder.grading.grade import grade, preload_modules
from autograder.grading.pages import write_feedback
from autograder.grading.results import write_atomic
from autograder.grading.sandbox import DEFAULT_LIMITS, Limits, SandboxError

SUFFIXES = (".pct.py", ".ipynb", ".zip")  # a file entry's name is its name without these
STATE = ".grader"                         # the grader's own state inside the output folder


class BatchError(ValueError):
    """The batch cannot start (for example two entries would be the same student)."""


def student_name(entry: Path) -> str:
    """The student an entry stands for: a folder's name, a file's name without its suffix."""
    if entry.is_dir():
        return entry.name
    for suffix in SUFFIXES:
        if entry.name.endswith(suffix) and len(entry.name) > len(suffix):
            return entry.name[: -len(suffix)]
    return entry.name


def students(folder: Path, skip: Path | None = None) -> dict[str, Path]:
    """Student name -> submission path, for every visible entry of ``folder`` (but ``skip``, the
    output folder when it lies inside ``folder``).

    Raises :class:`BatchError` when two entries would be the same student, naming both.
    """
    out: dict[str, Path] = {}
    seen: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__")):
            continue
        if skip is not None and entry.resolve() == skip.resolve():
            continue
        name = student_name(entry)
        key = name.casefold()  # "Jane" and "jane" would share a folder on macOS or Windows
        if key in seen:
            raise BatchError(f"{seen[key].name} and {entry.name} would both be graded as student "
                             f"{name!r}: rename one of them (or remove the older one) and run "
                             "again.")
        seen[key] = entry
        out[name] = entry
    return out


def fingerprint(path: Path) -> str:
    """sha256 over the submission's regular files (names and bytes); links are not followed."""
    digest = hashlib.sha256()
    if path.is_file() and not path.is_symlink():
        files = [path]
    else:
        files = []
        for root, dirs, names in os.walk(path):  # os.walk does not follow links to folders
            dirs.sort()
            for n in sorted(names):
                files.append(Path(root) / n)
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode() + b"\0")
        try:
            info = os.lstat(f)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):  # a link, a FIFO, a device: its name only
            digest.update(b"<not a regular file>\0")
            continue
        with open(f, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _sha256_of(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Ledger:
    """What this grader wrote: student -> submission fingerprint and results.json sha256."""

    def __init__(self, out: Path):
        self.folder = out / STATE
        self.path = self.folder / "ledger.json"
        self.lock = threading.Lock()
        try:
            data = json.loads(self.path.read_text())
            self.entries: dict[str, dict] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def vouches(self, name: str, submission: str, results: Path) -> bool:
        """Whether ``results`` is the file this grader wrote for exactly this submission."""
        entry = self.entries.get(name)
        return (isinstance(entry, dict) and entry.get("submission") == submission
                and entry.get("results") is not None and entry.get("results") == _sha256_of(results))

    def record(self, name: str, submission: str, results_sha: str) -> None:
        with self.lock:
            self.entries[name] = {"submission": submission, "results": results_sha}
            self.folder.mkdir(mode=0o700, exist_ok=True)
            write_atomic(self.path, json.dumps(self.entries, indent=1, sort_keys=True) + "\n",
                         mode=0o600)


def _student_folder(out: Path, name: str) -> Path:
    """``out/name`` as a real folder: a link or file planted there is removed first."""
    folder = out / name
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(exist_ok=True)
    return folder


def grade_one(assignment: str, name: str, path: Path, out: Path, limits: Limits,
              ledger: Ledger, stop: threading.Event, spares: sandbox.Spares | None = None) -> dict:
    """Grade one student into ``out/name`` unless the ledger vouches for its results.

    ``spares``: the batch's children started ahead (one per grading thread, each for one
    student only: :class:`~autograder.grading.sandbox.Spares`)."""
    if stop.is_set():
        return {"student": name, "status": "interrupted"}
    submission_sha256 = fingerprint(path)
    target = out / name / "results.json"
    if ledger.vouches(name, submission_sha256, target):
        return {"student": name, "status": "cached"}
    try:
        result = grade(assignment, path, limits=limits, spares=spares)
    except SandboxError as exc:
        if stop.is_set():
            return {"student": name, "status": "interrupted"}
        return {"student": name, "status": "error", "error": str(exc)}
    if stop.is_set():  # its sandbox may have been killed mid-check: the result is not its own
        return {"student": name, "status": "interrupted"}
    data = result.to_gradescope()
    data["extra_data"] = {"submission_sha256": submission_sha256, "student": name}
    folder = _student_folder(out, name)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    text = json.dumps(data, indent=2) + "\n"
    write_atomic(target, text, mode=0o644)  # first: nothing below may leave an old result
    ledger.record(name, submission_sha256, hashlib.sha256(text.encode()).hexdigest())
    status = {"student": name, "status": "graded"}
    try:
        write_feedback(data, folder, student=name)  # feedback.md and feedback.html
    except OSError as exc:
        status["warning"] = f"feedback pages not written: {exc}"
    return status


def verified_results(out: Path, todo: dict[str, Path], ledger: Ledger) -> dict[str, dict]:
    """Student -> results data, for the students whose results the ledger vouches for."""
    found = {}
    for name, path in todo.items():
        target = out / name / "results.json"
        try:
            if ledger.vouches(name, fingerprint(path), target):
                found[name] = json.loads(target.read_text())
        except (OSError, ValueError):
            continue
    return found


def gradebook(out: Path, results: dict[str, dict]) -> Path:
    """Write ``gradebook.csv``: one row per graded student, total and per-check points."""
    rows, columns = [], []
    for name in sorted(results):
        data = results[name]
        row = {"student": name, "score": data["score"], "max_score": data["max_score"]}
        for test in data["tests"]:
            key = test["name"].rsplit("[", 1)[-1].rstrip("]")
            row[key] = test["score"]
            if key not in columns:
                columns.append(key)
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["student", "score", "max_score", *columns])
    writer.writeheader()
    writer.writerows(rows)
    path = out / "gradebook.csv"
    write_atomic(path, buffer.getvalue(), mode=0o644)
    return path


def _may_hide(out: Path) -> bool:
    """Whether the jail can cover ``out`` without covering the grader or the child's folder."""
    import tempfile

    from autograder.paths import REPO

    top = out.resolve()
    return not any(Path(p).resolve().is_relative_to(top)
                   for p in (REPO, tempfile.gettempdir(), Path.home()))


@dataclass
class Batch:
    """How a batch went: one status per student, and the graded results on disk."""

    statuses: list[dict] = field(default_factory=list)
    total: int = 0
    results: dict[str, dict] = field(default_factory=dict)   # student -> results.json data
    not_graded: list[str] = field(default_factory=list)      # left out of gradebook.csv
    interrupted: str | None = None                           # "SIGINT" or "SIGTERM"
    gradebook: Path | None = None


def grade_all(assignment: str, folder: Path, out: Path, jobs: int = 1,
              limits: Limits = DEFAULT_LIMITS, progress: bool = True) -> Batch:
    """Grade every student in ``folder`` into ``out``; stop cleanly on SIGINT/SIGTERM."""
    from tqdm.auto import tqdm

    todo = students(folder, skip=out)
    out.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(out)
    batch = Batch(total=len(todo))
    stop = threading.Event()
    caught: list[int] = []

    def on_signal(signum, frame):  # only flags: the main loop below does the work
        caught.append(signum)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    # The sandboxed child must not see (let alone rewrite) the results and the ledger.
    hidden = os.environ.get("GAN_COURSE_HIDE")
    if _may_hide(out):
        os.environ["GAN_COURSE_HIDE"] = os.pathsep.join(
            p for p in (hidden, str(out.resolve())) if p)
    sandbox.accept_new()
    # One child per grading thread starts ahead (torch imported, nothing of a student) while
    # that thread's current submission is graded; each serves one student.
    spares = sandbox.Spares(assignment, list(preload_modules(assignment)), limits)
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="student",
               disable=not progress)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(grade_one, assignment, name, path, out, limits, ledger, stop,
                               spares): name
                   for name, path in todo.items()}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if stop.is_set():
                sandbox.kill_all()  # again each round: a child may have been starting
                for f in pending:
                    f.cancel()
            for f in done:
                if f.cancelled():
                    status = {"student": futures[f], "status": "interrupted"}
                elif f.exception() is not None:  # a fault of the grader: the others go on
                    status = {"student": futures[f], "status": "error",
                              "error": f"{type(f.exception()).__name__}: {f.exception()}"}
                else:
                    status = f.result()
                batch.statuses.append(status)
                bar.set_postfix_str(f"{status['student']}: {status['status']}")
                bar.update()
    finally:
        if stop.is_set() or len(batch.statuses) < len(todo):  # stopped, or a grader fault
            stop.set()
            sandbox.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        spares.close()
        sandbox.accept_new()  # no worker is left: grading in this process may start again
        bar.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if hidden is None:
            os.environ.pop("GAN_COURSE_HIDE", None)
        else:
            os.environ["GAN_COURSE_HIDE"] = hidden
        batch.results = verified_results(out, todo, ledger)
        batch.not_graded = sorted(set(todo) - set(batch.results))
        batch.gradebook = gradebook(out, batch.results)
    if caught:
        batch.interrupted = signal.Signals(caught[0]).name
    batch.statuses.sort(key=lambda s: s["student"])
    return batch
