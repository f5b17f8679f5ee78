"""grade-all: one results.json per student, a gradebook, resuming, stopping, forged results."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import full_marks

from autograder.__main__ import main
from autograder.grading import batch
from autograder.grading.bwrap import WORK
from autograder.grading.results import write_json
from autograder.paths import REPO, release_dir, solution_dir


@pytest.fixture()
def classroom(tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    shutil.copytree(solution_dir("first_gan"), subs / "alice",
                    ignore=shutil.ignore_patterns("*.pct.py"))
    shutil.copytree(release_dir("first_gan"), subs / "bob")
    (subs / "carol.ipynb").write_text('{"cells": [')          # truncated upload
    (subs / ".DS_Store").write_text("junk")                     # ignored
    return subs


def read_gradebook(out):
    with open(out / "gradebook.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_batch_grades_everyone_and_resumes(classroom, tmp_path, monkeypatch):
    out = tmp_path / "graded"
    run = batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)
    assert {s["student"]: s["status"] for s in run.statuses} == {
        "alice": "graded", "bob": "graded", "carol": "graded"}, run.statuses  # with any error's text
    book = read_gradebook(out)
    assert (book["alice"]["score"], book["bob"]["score"], book["carol"]["score"]) == (
        f"{full_marks('first_gan'):.1f}", "0.0", "0.0")
    for student in ("alice", "bob", "carol"):
        results = out / student / "results.json"
        assert json.loads(results.read_text())["max_score"] == full_marks("first_gan")
        assert (out / student / "feedback.html").is_file()
        assert results.stat().st_mode & 0o777 == 0o644, "results.json: mode 0644 like feedback"
        assert student in (out / student / "feedback.html").read_text(), "feedback names the student"

    # Resume: nothing is graded again...
    graded_again = []
    monkeypatch.setattr(batch, "grade", lambda *a, **k: graded_again.append(a) or 1 / 0)
    run = batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)
    assert {s["status"] for s in run.statuses} == {"cached"} and not graded_again
    monkeypatch.undo()

    # ...except a changed submission and one whose results were lost.
    (classroom / "carol.ipynb").write_bytes((solution_dir("first_gan") / "first_gan.ipynb").read_bytes())
    (out / "bob" / "results.json").unlink()
    run = batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)
    statuses = {s["student"]: s["status"] for s in run.statuses}
    assert statuses == {"alice": "cached", "bob": "graded", "carol": "graded"}
    assert read_gradebook(out)["carol"]["score"] == f"{full_marks('first_gan'):.1f}"


def test_results_are_written_atomically(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    write_json({"score": 1}, target)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_json({"score": 2}, target)
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"score": 1}, "an interrupted write lost the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "a temporary file was left"


# --- student names ------------------------------------------------------------------------

def test_names_keep_everything_but_the_suffix(tmp_path):
    for name in ("jane.doe.ipynb", "jane.smith.ipynb", "ada.pct.py", "bo.zip"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "li.wei").mkdir()
    assert sorted(batch.students(tmp_path)) == ["ada", "bo", "jane.doe", "jane.smith", "li.wei"]
    (tmp_path / "graded").mkdir()  # --out inside the submissions folder is not a student
    assert "graded" not in batch.students(tmp_path, skip=tmp_path / "graded")


@pytest.mark.parametrize("entries", [("jane.ipynb", "jane/"), ("Jane.ipynb", "jane.zip"),
                                     ("kim.ipynb", "kim.pct.py")])
def test_two_entries_for_one_name_are_refused_naming_both(tmp_path, capsys, entries):
    for entry in entries:
        if entry.endswith("/"):
            (tmp_path / entry).mkdir()
        else:
            (tmp_path / entry).write_text("{}")
    with pytest.raises(batch.BatchError) as error:
        batch.students(tmp_path)
    for entry in entries:
        assert entry.rstrip("/") in str(error.value)
    assert main(["grade-all", "first_gan", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "would both be graded as student" in capsys.readouterr().err


# --- forged results -----------------------------------------------------------------------

def forged(student: str, submission: Path) -> dict:
    return {"score": 22.0, "max_score": 22.0, "output": "forged", "tests": [],
            "extra_data": {"submission_sha256": batch.fingerprint(submission),
                           "student": student}}


def test_a_planted_result_is_regraded_and_a_feedback_failure_keeps_the_real_one(
        tmp_path, monkeypatch, release_results):
    """A submission's code (or anyone but the grader) writes results.json with the right
    fingerprint, and blocks feedback.md so that writing feedback fails: the grader still
    grades it, replaces the forgery, and never trusts a file it did not write."""
    monkeypatch.setattr(batch, "grade", lambda assignment, path, **k: release_results(assignment))
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for student in ("eve", "mallory"):
        shutil.copytree(release_dir("first_gan"), subs / student)
    # eve's result and a blocked feedback page, planted before her first grading
    write_json(forged("eve", subs / "eve"), out / "eve" / "results.json")
    (out / "eve" / "feedback.md").mkdir()
    run = batch.grade_all("first_gan", subs, out, progress=False)
    status = {s["student"]: s for s in run.statuses}
    assert status["eve"]["status"] == "graded", "a planted result was trusted"
    assert "feedback pages not written" in status["eve"]["warning"]
    assert json.loads((out / "eve" / "results.json").read_text())["score"] == 0
    assert read_gradebook(out)["eve"]["score"] == "0.0"

    # mallory's real result is replaced by a forgery after grading: the resume regrades her.
    write_json(forged("mallory", subs / "mallory"), out / "mallory" / "results.json")
    run = batch.grade_all("first_gan", subs, out, progress=False)
    status = {s["student"]: s["status"] for s in run.statuses}
    assert status["mallory"] == "graded", "a rewritten result was trusted on resume"
    assert json.loads((out / "mallory" / "results.json").read_text())["score"] == 0
    assert read_gradebook(out)["mallory"]["score"] == "0.0"

    # The grader's ledger is where only it writes; a planted ledger does not help either.
    ledger = json.loads((out / ".grader" / "ledger.json").read_text())
    assert ledger["mallory"]["results"] == hashlib.sha256(
        (out / "mallory" / "results.json").read_bytes()).hexdigest()
    assert (out / ".grader").stat().st_mode & 0o777 == 0o700


def test_the_child_cannot_see_the_output_folder(tmp_path):
    """grade-all hides OUT from the sandbox (the jail covers GAN_COURSE_HIDE paths)."""
    from autograder.grading import sandbox

    assert batch._may_hide(tmp_path / "out")
    assert not batch._may_hide(REPO), "hiding the grader's own checkout would break the child"
    if not sandbox.jail_available():
        pytest.skip("no jail on this machine: the child runs as the grader's user")


# --- stopping a batch ---------------------------------------------------------------------

def sleeper() -> str:
    """A cell that hangs; in a jail it also starts a process that leaves the child's session
    (only a jail's own process tree ends that one; without a jail it would outlive any kill
    of the session, which the sandbox does not claim to prevent)."""
    from autograder.grading.sandbox import jail_available

    escape = ("subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
              if jail_available() else "")
    # Each top-level statement of a student's cell has its own 10 s limit: many short sleeps.
    return "import subprocess, time\n" + escape + "time.sleep(8)\n" * 12


def processes_in(folder: Path, jailed: bool = True) -> set[int]:
    """Live processes whose working folder is under ``folder`` (every sandbox child's is), and with
    ``jailed``, also those in a bubblewrap jail's work folder (whoever's jail it is)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        # A process in the bubblewrap jail sees its own root: its folder reads as bwrap.WORK.
        if (cwd.startswith(str(folder)) or (jailed and cwd.startswith(WORK))) and state != "Z":
            found.add(int(entry.name))
    return found


def descendants_of(root: int) -> set[int]:
    """The processes below ``root`` in the process tree (children, their children, ...).

    Other gradings on the same machine (another batch, a second checkout's tests) have sandboxes
    in the same jail folder; only the batch's own descendants are its processes.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_batch_cleanly_and_a_rerun_completes_it(tmp_path, signum):
    from autograder.grading.sandbox import jail_available

    subs, out, tmp = tmp_path / "subs", tmp_path / "out", tmp_path / "tmp"
    subs.mkdir(), tmp.mkdir()
    shutil.copytree(release_dir("first_gan"), subs / "a_done")
    sleeping = json.loads((release_dir("first_gan") / "first_gan.ipynb").read_text())
    sleeping["cells"].insert(0, {"cell_type": "code", "metadata": {}, "source": sleeper(),
                                "outputs": [], "execution_count": None})
    (subs / "b_sleeps.ipynb").write_text(json.dumps(sleeping))
    (subs / "c_waits.ipynb").write_text('{"cells": [')
    env = dict(os.environ, TMPDIR=str(tmp))
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade-all", "first_gan",
                             str(subs), "--out", str(out)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        # in a jail: unshare, the child and its escaped `sleep`; without one: the child
        wanted = 3 if jail_available() else 1
        def batch_processes() -> set[int]:
            # Under this test's own folder: the batch's, wherever they sit in the tree (one that
            # escaped to init too). In a jail's work folder: only the batch's own descendants.
            return processes_in(tmp, jailed=False) | (processes_in(tmp) & descendants_of(proc.pid))

        while not ((out / "a_done" / "results.json").exists() and len(batch_processes()) >= wanted):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        time.sleep(1.0)  # the sleeper's cell is running, its escaped `sleep` too
        running = batch_processes()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted: 1 of 3 graded; run again to continue" in stderr
    assert "Traceback" not in stderr
    left = processes_in(tmp) & running
    assert not left, f"processes of the batch outlived it: {left}"
    assert set(read_gradebook(out)) == {"a_done"}, "the gradebook must hold exactly the graded"
    assert not (out / "b_sleeps" / "results.json").exists(), "a killed grading left a result"
    assert "not in the gradebook (not graded): b_sleeps, c_waits" in stdout

    (subs / "b_sleeps.ipynb").write_text('{"cells": [')  # a rerun, without the sleep
    run = batch.grade_all("first_gan", subs, out, progress=False)
    assert {s["student"]: s["status"] for s in run.statuses} == {
        "a_done": "cached", "b_sleeps": "graded", "c_waits": "graded"}
    book = read_gradebook(out)
    assert set(book) == {"a_done", "b_sleeps", "c_waits"} and not run.not_graded
    for name, row in book.items():
        assert float(row["score"]) == json.loads((out / name / "results.json").read_text())["score"]


def test_class_summary_after_a_batch(tmp_path, monkeypatch, capsys, release_results,
                                     reference_results):
    from autograder.grading.grade import grade

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "dee.ipynb").write_text("")  # an empty upload: read, not graded
    graded = {"ada": reference_results("first_gan"), "bo": release_results("first_gan"),
              "cy": release_results("first_gan"), "dee.ipynb": grade("first_gan", subs / "dee.ipynb")}
    monkeypatch.setattr(batch, "grade", lambda a, path, **k: graded[path.name])
    for name in ("ada", "bo", "cy"):
        shutil.copytree(release_dir("first_gan"), subs / name)
    assert main(["grade-all", "first_gan", str(subs), "--out", str(out)]) == 0
    terminal = capsys.readouterr().out
    assert "Class summary: 4 graded" in terminal
    full = reference_results("first_gan").score
    assert f"mean {full / 4:.1f}, median 0, min 0, max {full:g}" in terminal
    assert "2 × get_generator_block builds the right layers [" in terminal, "failed most often"
    page = (out / "summary.html").read_text()
    assert (out / "summary.png").read_bytes().startswith(b"\x89PNG")
    assert "4 students graded" in page and 'src="summary.png"' in page
    assert "dee: could not be read: dee.ipynb is empty" in page
    assert "Checks failed most often" in page and "NotImplementedError" in page


PARSE_RACE = """
import os, sys, threading
from autograder.grading.cells import parse_python
source = open(sys.argv[1]).read() * 2
errors = []
class Finalized:
    def __del__(self):
        sum(range(50))
def churn():  # garbage with finalizers: thread switches in the middle of a parse
    for _ in range(200000):
        cycle = [Finalized() for _ in range(5)]
        cycle.append(cycle)
def parse():
    for _ in range(60):
        try:
            parse_python(source)
        except SystemError as exc:
            errors.append(str(exc))
sys.setswitchinterval(1e-6)
threading.Thread(target=churn, daemon=True).start()
parsers = [threading.Thread(target=parse) for _ in range(4)]
for t in parsers: t.start()
for t in parsers: t.join()
print(len(errors), errors[:1], flush=True)
os._exit(0)
"""


def test_grading_threads_can_parse_submissions_at_once(tmp_path):
    """grade-all's threads parse cells at once; CPython 3.11's ast.parse is not safe for that.

    Without the lock in cells.parse_python, this script printed "SystemError: AST constructor
    recursion depth mismatch" in each of 3 runs on Python 3.11.7 (about 2 s each), as a grade-all
    student did in CI; with it, none in 3. It runs in its own process, so a hang fails at the
    timeout.
    """
    script = tmp_path / "parse_race.py"
    script.write_text(PARSE_RACE)
    done = subprocess.run([sys.executable, str(script), str(REPO / "autograder" / "grading" / "batch.py")],
                          capture_output=True, text=True, timeout=120, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("0 "), f"parses failed in threads: {done.stdout.strip()}"


# --- children started ahead: each serves one student, nothing passes between students -------

LEAVE = """import builtins, os, sys, torch
for folder in ("/tmp", "/dev/shm", os.path.expanduser("~")):
    with open(os.path.join(folder, "left-by-a"), "w") as f:
        f.write("a")
builtins.LEFT_BY_A = True
sys.modules["left_by_a"] = sys
torch.set_default_dtype(torch.float64)
"""
LOOK = """import builtins as _b, os as _os, sys as _sys, torch as _torch
_seen = [p for p in ("/tmp/left-by-a", "/dev/shm/left-by-a", _os.path.expanduser("~/left-by-a"))
         if _os.path.exists(p)]
_seen += ["builtins"] * hasattr(_b, "LEFT_BY_A") + ["sys.modules"] * ("left_by_a" in _sys.modules)
_seen += ["dtype"] * (_torch.get_default_dtype() != _torch.float32)
if _seen:
    def get_noise(n_samples, z_dim, device="cpu"):
        raise RuntimeError(f"STATE OF ANOTHER STUDENT: {_seen}")
"""


def with_cells(first: str | None, last: str) -> dict:
    nb = json.loads((solution_dir("first_gan") / "first_gan.ipynb").read_text())
    cell = lambda source: {"cell_type": "code", "metadata": {}, "source": source,  # noqa: E731
                           "outputs": [], "execution_count": None}
    if first:
        nb["cells"].insert(0, cell(first))
    nb["cells"].append(cell(last))
    return nb


def test_no_state_passes_from_one_student_to_the_next(tmp_path):
    """a leaves files in /tmp, /dev/shm and HOME, a builtin, a module and torch's default dtype;
    b, graded next by the same grading thread (in the child started ahead), finds none of it.
    a finds its own (so b's look would see a leak): its get_noise check fails."""
    from autograder.grading import sandbox

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "a_leaves.ipynb").write_text(json.dumps(with_cells(LEAVE, LOOK)))
    (subs / "b_looks.ipynb").write_text(json.dumps(with_cells(None, LOOK)))
    warm_before = sandbox.STARTS["warm"]
    run = batch.grade_all("first_gan", subs, out, jobs=1, progress=False)
    assert {s["status"] for s in run.statuses} == {"graded"}, run.statuses
    a = json.loads((out / "a_leaves" / "results.json").read_text())
    b = json.loads((out / "b_looks" / "results.json").read_text())
    assert "STATE OF ANOTHER STUDENT" in json.dumps(a), "a sees what it left: the look works"
    assert b["score"] == full_marks("first_gan"), [t["output"] for t in b["tests"]
                                                    if t["score"] < t["max_score"]]
    assert sandbox.STARTS["warm"] > warm_before, "b was graded in the child started ahead"


def test_a_child_started_ahead_serves_one_student_and_a_dead_one_is_replaced():
    from autograder.grading import sandbox
    from autograder.grading.grade import preload_modules
    from autograder.grading.sandbox import DEFAULT_LIMITS, SandboxError, Spares

    spares = Spares("first_gan", list(preload_modules("first_gan")), DEFAULT_LIMITS, refill=False)
    try:
        spares.start()
        child = spares.take("first_gan", DEFAULT_LIMITS)
        assert child is not None and child.warm
        for group in child.groups.paths:  # its cgroups hold it from its start, as any child's
            assert str(child.proc.pid) in (Path(group) / "cgroup.procs").read_text().split()
        request = {"assignment": "first_gan", "kind": "notebook", "modules": [], "checks": [],
                   "cells": [], "origins": {}}
        child.setup(request, [], {})
        with pytest.raises(SandboxError):
            child.setup(request, [], {})  # never a second student
        child.kill()
        assert spares.take("first_gan", DEFAULT_LIMITS) is None, "no refill: nothing waits"

        # A waiting child that died (killed from outside) is never handed over: a fresh child
        # grades the submission.
        spares.start()
        waiting = next(iter(spares._waiting.values()))
        os.killpg(waiting.proc.pid, signal.SIGKILL)
        waiting.proc.wait()
        cell = "print('graded in a fresh child')\n"
        request["cells"] = [{"step": "cell:x", "label": "x", "source": cell, "origin": "student"}]
        run = sandbox.observe(request, [("cell:x", 60)], {}, DEFAULT_LIMITS, spares)
        assert run.steps == {"cell:x": {}} and run.warm == 0, (run.steps, run.output)
        assert "graded in a fresh child" in run.output
    finally:
        spares.close()
