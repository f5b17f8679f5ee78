"""submit: the one zip a student hands in, accepted as it is by grade, grade-all and Gradescope."""

from __future__ import annotations

import os
import shutil
import time
import zipfile

import pytest
from helpers import full_marks

from autograder.__main__ import main
from autograder.checks import load_checks
from autograder.grading import batch
from autograder.grading.grade import grade
from autograder.grading.submission import SubmissionError
from autograder.paths import release_dir, solution_dir
from autograder.submit import unpack


@pytest.fixture()
def work(tmp_path):
    """A student's copy of first_gan, solved, in a folder named for her."""
    folder = tmp_path / "jane.doe"
    shutil.copytree(release_dir("first_gan"), folder)
    shutil.copy(solution_dir("first_gan") / "first_gan.ipynb", folder / "first_gan.ipynb")
    old = time.time() - 3600
    os.utime(folder / "first_gan.pct.py", (old, old))  # the twin is older: saved
    (folder / "notes.txt").write_text("not for the grader")
    return folder


def test_submit_packs_exactly_what_the_grader_needs(work, tmp_path, capsys):
    assert main(["submit", "first_gan", str(work), "--out", str(tmp_path), "--no-check"]) == 0
    target = tmp_path / "jane.doe.zip"  # named for the student (her folder's name)
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["first_gan.ipynb"]
    out = capsys.readouterr().out
    assert "warning" not in out and "jane.doe.zip" in out
    assert main(["submit", "first_gan", str(work / "first_gan.ipynb"), "--out", str(tmp_path),
                 "--name", "Jane Doe", "--no-check"]) == 0
    assert (tmp_path / "Jane_Doe.zip").is_file()


def test_submit_warns_about_unsaved_and_missing_work(work, tmp_path, capsys):
    (work / "first_gan.pct.py").touch()  # edited after the notebook was saved
    checkpoints = work / ".ipynb_checkpoints"
    checkpoints.mkdir()
    later = time.time() + 60
    (checkpoints / "first_gan-checkpoint.ipynb").write_text("{}")
    os.utime(checkpoints / "first_gan-checkpoint.ipynb", (later, later))
    os.utime(work / "first_gan.pct.py", (later, later))
    assert main(["submit", "first_gan", str(work), "--out", str(tmp_path), "--no-check"]) == 0
    out = capsys.readouterr().out
    assert "first_gan.pct.py is newer than first_gan.ipynb" in out
    assert "checkpoint of first_gan.ipynb is newer" in out

    project = tmp_path / "project"
    shutil.copytree(release_dir("gan_project"), project)
    (project / "train_pl.py").unlink()
    assert main(["submit", "gan_project", str(project), "--out", str(tmp_path), "--name", "p",
                 "--no-check"]) == 0
    assert "train_pl.py is missing" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        assert sorted(archive.namelist()) == ["models.py", "train_torch.py"]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["submit", "first_gan", str(empty), "--no-check"]) == 2
    assert "Nothing to submit" in capsys.readouterr().err


def test_the_zip_is_graded_as_it_is_by_grade_grade_all_and_gradescope(work, tmp_path, capsys):
    """grade and grade-all take the zip; Gradescope unpacks it into /autograder/submission,
    which run_autograder grades as a folder: the same score every way."""
    assert main(["submit", "first_gan", str(work), "--out", str(tmp_path / "in")]) == 0
    out = capsys.readouterr().out
    checks = load_checks("first_gan")
    visible = sum(c.points for c in checks if c.visibility == "visible")
    hidden = full_marks("first_gan") - visible
    assert f"Score: {visible:g} / {visible:g}" in out and f"{hidden:g} more in hidden checks" in out, \
        "submit ran the checks"
    zipped = tmp_path / "in" / "jane.doe.zip"
    assert grade("first_gan", zipped).score == full_marks("first_gan")

    gradescope = tmp_path / "autograder" / "submission"  # Gradescope's layout
    gradescope.mkdir(parents=True)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(gradescope)
    assert grade("first_gan", gradescope).score == full_marks("first_gan")

    run = batch.grade_all("first_gan", tmp_path / "in", tmp_path / "graded", progress=False)
    assert [(s["student"], s["status"]) for s in run.statuses] == [("jane.doe", "graded")]
    assert run.results["jane.doe"]["score"] == full_marks("first_gan")


@pytest.mark.parametrize("entry, why", [
    (("../evil.py", b"x"), "points outside"),
    (("/etc/evil", b"x"), "points outside"),
    (("link.ipynb", None), "not a regular file"),
])
def test_unpack_refuses_what_a_submission_zip_cannot_hold(tmp_path, entry, why):
    archive_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        name, data = entry
        info = zipfile.ZipInfo(name)
        if data is None:  # a symbolic link to the reference solution
            info.external_attr = 0o120777 << 16
            data = str(solution_dir("first_gan") / "first_gan.ipynb").encode()
        archive.writestr(info, data)
    (tmp_path / "into").mkdir()
    with pytest.raises(SubmissionError, match=why):
        unpack(archive_path, tmp_path / "into")
    assert not any((tmp_path / "into").iterdir())
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        unpack(tmp_path / "junk.zip", tmp_path / "into")
