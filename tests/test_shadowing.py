"""A grader that can't be shadowed: started from a folder a student controls, with a planted
``autograder/`` (a fake grader that writes 24 / 24), ``torch/``, ``nbformat/``, ``gan_course/``
and ``argparse.py`` in it, the real grader runs (or refuses with a clear error) and never reports
the planted score. See autograder/safe_start.py and docs/grading.md ("Started from any folder").

``gan-grader`` is the console script pip writes from ``[project.scripts]``; here it is written the
way pip writes it (:func:`console_script`) and imports this checkout (named on PYTHONPATH, as an
instructor names a grader they trust), so the test needs no reinstall.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import safe_start
from autograder.paths import REPO, solution_dir
from tests.helpers import full_marks

PLANTED_SCORE = 24

FAKE_GRADER = '''
import json, os, sys
from pathlib import Path
open(os.environ["PLANTED_MARKER"], "a").write("autograder.__main__\\n")
args = sys.argv[1:]
out = Path(args[args.index("--out") + 1]) if "--out" in args else None
result = {"score": 24, "max_score": 24, "output": "planted", "tests": []}
if out and out.suffix == ".json":
    out.write_text(json.dumps(result))
elif out:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gradebook.csv").write_text("student,score,max_score\\nalice,24,24\\n")
print("24 / 24")
'''

MARKER_CODE = ('import os\ntry:\n    open(os.environ["PLANTED_MARKER"], "a").write(__name__ + "\\n")\n'
               'except (KeyError, OSError):\n    pass\n')


def plant(folder: Path, grader: bool = True) -> None:
    """A student's folder: modules named like the grader's and its dependencies', each writing its
    name to $PLANTED_MARKER when imported (the fake grader also writes 24 / 24)."""
    folder.mkdir(parents=True, exist_ok=True)
    if grader:
        (folder / "autograder").mkdir()
        (folder / "autograder" / "__init__.py").write_text(MARKER_CODE)
        (folder / "autograder" / "__main__.py").write_text(FAKE_GRADER)
    for package in ("torch", "nbformat", "gan_course"):
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text(MARKER_CODE + "raise SystemExit('planted')\n")
    (folder / "argparse.py").write_text(MARKER_CODE + "raise SystemExit('planted')\n")


def declared_scripts() -> dict[str, str]:
    """``[project.scripts]`` of pyproject.toml (no tomllib before Python 3.11)."""
    text = (REPO / "pyproject.toml").read_text()
    section = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]+)"', section, flags=re.M))


def console_script(bin_dir: Path) -> Path:
    """``gan-grader`` as pip writes a console script for ``autograder.__main__:main``."""
    entry = declared_scripts()[safe_start.PROG_SCRIPT]
    module, function = entry.split(":")
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / safe_start.PROG_SCRIPT
    script.write_text(f"#!{sys.executable}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
                      f"from {module} import {function}\n"
                      "if __name__ == '__main__':\n"
                      "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                      f"    sys.exit({function}())\n")
    script.chmod(0o755)
    return script


def environment(marker: Path, pythonpath: str | None = str(REPO)) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PLANTED_MARKER"] = str(marker)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def run(command: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def gan_grader(tmp_path) -> Path:
    return console_script(tmp_path / "bin")


def test_the_console_script_is_declared_for_the_main_function():
    assert declared_scripts() == {"gan-grader": "autograder.__main__:main"}


def test_gan_grader_grades_a_gan_project_folder_that_plants_a_grader(tmp_path, gan_grader):
    # The case: `cd` into a student's gan_project folder, grade `.`.
    folder = tmp_path / "student"
    shutil.copytree(solution_dir("gan_project"), folder, ignore=shutil.ignore_patterns("__pycache__"))
    plant(folder)
    marker = tmp_path / "planted.txt"
    proc = run([str(gan_grader), "grade", "gan_project", ".", "--out", "results.json"], folder,
               environment(marker))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((folder / "results.json").read_text())
    assert data["score"] == data["max_score"] == full_marks("gan_project"), data["output"]
    assert not marker.exists(), f"the grader's process imported planted modules: {marker.read_text()}"


def test_python_m_drops_the_current_folder_before_importing_torch(tmp_path):
    # `python -m autograder` from a folder with a planted torch/, nbformat/, gan_course/ and
    # argparse.py (no autograder/: then ours runs, and takes the folder off sys.path first).
    folder = tmp_path / "student"
    plant(folder, grader=False)
    shutil.copy(solution_dir("first_gan") / "first_gan.ipynb", folder)
    marker = tmp_path / "planted.txt"
    proc = run([sys.executable, "-m", "autograder", "grade", "first_gan", "first_gan.ipynb",
                "--out", "results.json"], folder, environment(marker))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((folder / "results.json").read_text())
    assert data["score"] == data["max_score"] == full_marks("first_gan")
    assert not marker.exists(), f"the grader's process imported planted modules: {marker.read_text()}"


def test_python_m_refuses_a_copy_of_the_grader_in_the_current_folder(tmp_path):
    # A student's folder holding a (doctored) copy of the grader whose start-up is intact: it
    # is not the installed grader, so it stops before grading, naming the folder.
    if safe_start.installed_root() is None:
        pytest.skip("the course is not installed: no installed grader to compare with")
    folder = tmp_path / "student"
    shutil.copytree(REPO / "autograder", folder / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = folder / "autograder" / "checks.py"
    checks.write_text(checks.read_text().replace("passed: bool", "passed: bool = True"))
    shutil.copy(solution_dir("first_gan") / "first_gan.ipynb", folder)
    proc = run([sys.executable, "-m", "autograder", "grade", "first_gan", "first_gan.ipynb",
                "--out", "results.json"], folder, environment(tmp_path / "planted.txt", None))
    assert proc.returncode == 2
    assert f"imported from {folder.resolve() / 'autograder'}" in proc.stderr
    assert "gan-grader" in proc.stderr and "is a student's" in proc.stderr
    assert not (folder / "results.json").exists()


def test_gan_grader_grade_all_in_a_submissions_folder_that_plants_a_grader(tmp_path, gan_grader):
    submissions = tmp_path / "submissions"
    plant(submissions)
    (submissions / "alice").mkdir()
    shutil.copy(solution_dir("first_gan") / "first_gan.ipynb", submissions / "alice")
    marker = tmp_path / "planted.txt"
    proc = run([str(gan_grader), "grade-all", "first_gan", ".", "--out", str(tmp_path / "graded"),
                "--no-summary"], submissions, environment(marker))
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "graded" / "gradebook.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert float(rows["alice"]["score"]) == full_marks("first_gan") != PLANTED_SCORE
    assert not marker.exists(), f"the grader's process imported planted modules: {marker.read_text()}"


def test_gan_grader_evaluate_in_a_folder_that_plants_a_grader(tmp_path, gan_grader):
    folder = tmp_path / "student"
    shutil.copytree(solution_dir("gan_project"), folder, ignore=shutil.ignore_patterns("__pycache__"))
    plant(folder)
    marker = tmp_path / "planted.txt"
    proc = run([str(gan_grader), "evaluate", "gan_project", ".", "--out", "figures", "--n", "200"],
               folder, environment(marker))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fréchet distance" in proc.stdout and "24 / 24" not in proc.stdout
    assert json.loads((folder / "figures" / "evaluation.json").read_text())["n"] == 200
    assert not marker.exists(), f"the grader's process imported planted modules: {marker.read_text()}"


def test_gradescope_grades_a_submission_that_plants_a_grader(tmp_path):
    from autograder.instructor.package import package
    from tests.test_package import run_autograder, unpack

    unpack(package("gradescope", "first_gan", tmp_path / "dist"), tmp_path / "root")
    submission = tmp_path / "root" / "submission"
    shutil.copy(solution_dir("first_gan") / "first_gan.ipynb", submission)
    plant(submission)
    marker = tmp_path / "planted.txt"
    os.environ["PLANTED_MARKER"] = str(marker)  # run_autograder passes os.environ on
    try:
        proc, data = run_autograder(tmp_path / "root", console_script(tmp_path / "bin"))
    finally:
        del os.environ["PLANTED_MARKER"]
    assert data["score"] == data["max_score"] == full_marks("first_gan")
    assert not marker.exists(), f"the grader's process imported planted modules: {marker.read_text()}"


# --- the pieces of the guard ----------------------------------------------------------------

def test_the_current_folder_leaves_sys_path_unless_it_holds_the_grader(monkeypatch, tmp_path):
    cwd = os.path.realpath(tmp_path)
    monkeypatch.setattr(sys, "path", ["", str(tmp_path), ".", "/usr/lib/python3"])
    monkeypatch.chdir(tmp_path)
    assert safe_start.drop_current_folder(cwd, cwd) == []
    assert len(sys.path) == 4
    assert safe_start.drop_current_folder(cwd, str(REPO)) == ["", str(tmp_path), "."]
    assert sys.path == ["/usr/lib/python3"]


def test_only_a_real_worktree_of_the_installed_checkout_is_trusted(tmp_path):
    installed, other = tmp_path / "course", tmp_path / "student"
    (installed / ".git" / "worktrees" / "mine").mkdir(parents=True)
    other.mkdir()
    (other / ".git").write_text(f"gitdir: {installed / '.git' / 'worktrees' / 'mine'}\n")
    assert safe_start.worktree_of(str(other), str(installed))
    (other / ".git").write_text(f"gitdir: {installed / '.git' / 'worktrees' / 'forged'}\n")
    assert not safe_start.worktree_of(str(other), str(installed)), "no such worktree: forged"
    (other / ".git").write_text(f"gitdir: {installed / '.git'}\n")
    assert not safe_start.worktree_of(str(other), str(installed))
