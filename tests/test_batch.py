"""grade-all: one results.json per student, a gradebook, resuming without regrading."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from autograder import batch
from autograder.paths import release_dir, solution_dir
from autograder.report import write_json


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
    statuses = batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)
    assert {s["student"]: s["status"] for s in statuses} == {
        "alice": "graded", "bob": "graded", "carol": "graded"}
    book = read_gradebook(out)
    assert (book["alice"]["score"], book["bob"]["score"], book["carol"]["score"]) == (
        "23.0", "0.0", "0.0")
    for student in ("alice", "bob", "carol"):
        assert json.loads((out / student / "results.json").read_text())["max_score"] == 23
        assert (out / student / "feedback.html").is_file()

    # Resume: nothing is graded again...
    graded_again = []
    monkeypatch.setattr(batch, "grade", lambda *a, **k: graded_again.append(a) or 1 / 0)
    statuses = batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)
    assert {s["status"] for s in statuses} == {"cached"} and not graded_again
    monkeypatch.undo()

    # ...except a changed submission and one whose results were lost.
    (classroom / "carol.ipynb").write_bytes((solution_dir("first_gan") / "first_gan.ipynb").read_bytes())
    (out / "bob" / "results.json").unlink()
    statuses = {s["student"]: s["status"]
                for s in batch.grade_all("first_gan", classroom, out, jobs=2, progress=False)}
    assert statuses == {"alice": "cached", "bob": "graded", "carol": "graded"}
    assert read_gradebook(out)["carol"]["score"] == "23.0"


def test_results_are_written_atomically(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    write_json({"score": 1}, target)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(KeyboardInterrupt):
        write_json({"score": 2}, target)
    assert json.loads(target.read_text()) == {"score": 1}, "an interrupted write lost the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "a temporary file was left"
