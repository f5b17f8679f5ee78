"""nbgrader end to end, headless: generate_assignment, autograde, gradebook, generate_feedback.

Runs the instructor's round trip in a temporary course folder for every notebook assignment
(first_gan in the default run, the other three with ``-m slow``):
the release nbgrader makes has the same cells as assignments/, a solved submission gets full
marks and an untouched one 0 in nbgrader's gradebook, the repo's grader gives the same scores
to the same notebooks, and feedback HTML is written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import ASSIGNMENTS
from autograder.checks import Assignment
from autograder.grading.grade import grade
from autograder.paths import REPO, release_dir, solution_dir

NOTEBOOK_ASSIGNMENTS = [a for a in ASSIGNMENTS
                        if release_dir(a).is_dir() and importlib.util.find_spec(f"autograder.assignments.{a}")
                        and Assignment.load(a).notebook]


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GAN_COURSE_GRADING",)}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc


def cells(path: Path) -> list[tuple]:
    keep = ("grade_id", "grade", "solution", "locked", "points")
    return [(c["cell_type"], "".join(c["source"]),
             {k: v for k, v in c["metadata"].get("nbgrader", {}).items() if k in keep})
            for c in json.loads(path.read_text())["cells"]]


def solved_from_release(assignment: str, name: str) -> dict:
    """The release notebook with every solution cell filled in from the reference."""
    reference = {c["metadata"].get("nbgrader", {}).get("grade_id"): c["source"]
                 for c in json.loads((solution_dir(assignment) / name).read_text())["cells"]}
    nb = json.loads((release_dir(assignment) / name).read_text())
    for c in nb["cells"]:
        meta = c["metadata"].get("nbgrader", {})
        if meta.get("solution") and c["cell_type"] == "code":
            c["source"] = reference[meta["grade_id"]]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for assignment in NOTEBOOK_ASSIGNMENTS:
        shutil.copytree(solution_dir(assignment), root / "solutions" / assignment)
    for student in ("alice", "bob"):
        nbgrader(root, "db", "student", "add", student)
    return root


# Each round trip takes about 45 s on 2 cores, and all four go through the same nbgrader steps:
# the default run does first_gan's, `-m slow` the other three.
ROUND_TRIPS = [a if a == "first_gan" else pytest.param(a, marks=pytest.mark.slow) for a in NOTEBOOK_ASSIGNMENTS]


@pytest.mark.parametrize("assignment", ROUND_TRIPS)
def test_nbgrader_round_trip(assignment, course):
    name = Assignment.load(assignment).notebook
    nbgrader(course, "generate_assignment", assignment, "--force")
    released = course / "release" / assignment / name
    assert cells(released) == cells(release_dir(assignment) / name), (
        "nbgrader's release differs from assignments/: run `python -m autograder release`")
    text = released.read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text
    assert not list((course / "release" / assignment).glob("*.pct.py")), "solution twin leaked"

    submissions = {"alice": solved_from_release(assignment, name),
                   "bob": json.loads((release_dir(assignment) / name).read_text())}
    for student, nb in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(nb))
    proc = nbgrader(course, "autograde", assignment, "--force")
    for expected in ("Attribute 'checksum' for cell check_", "SAWarning"):  # nbgrader_config.py
        assert expected not in proc.stderr, f"nbgrader_config.py should silence {expected!r}"

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: (gb.find_submission(assignment, s).code_score,
                      gb.find_submission(assignment, s).max_code_score) for s in submissions}
    assert scores["alice"][0] == scores["alice"][1] > 0, scores
    assert scores["bob"][0] == 0, scores

    # The repo's grader agrees with nbgrader on the same notebooks.
    for student, (code_score, _) in scores.items():
        ours = grade(assignment, course / "submitted" / student / assignment / name)
        assert ours.score == code_score, (student, ours.score, code_score)

    nbgrader(course, "generate_feedback", assignment, "--force")
    for student in submissions:
        html = course / "feedback" / student / assignment / name.replace(".ipynb", ".html")
        assert html.is_file() and "Score" in html.read_text()
