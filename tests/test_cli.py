"""The command line: usage errors, results.json, determinism."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder.__main__ import main
from autograder.paths import REPO


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_unknown_assignment_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "no_such_gan", "solutions/first_gan"])
    assert exit_info.value.code == 2
    assert "unknown assignment 'no_such_gan'" in capsys.readouterr().err


def test_missing_path_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "first_gan", str(tmp_path / "nothing.ipynb")])
    assert exit_info.value.code == 2
    assert "no such file or folder" in capsys.readouterr().err


def validate_gradescope(data: dict) -> None:
    assert set(data) >= {"score", "max_score", "tests"}
    assert data["score"] == sum(t["score"] for t in data["tests"])
    assert data["max_score"] == sum(t["max_score"] for t in data["tests"])
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility", "status"}
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= t["score"] <= t["max_score"]


def test_grade_writes_gradescope_results_and_exits_zero(tmp_path):
    out = tmp_path / "results.json"
    proc = run_cli("grade", "first_gan", "solutions/first_gan", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Score: 23 / 23" in proc.stdout
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == data["max_score"] == 23


def test_grade_of_the_release_exits_zero_with_zero_points(tmp_path):
    out = tmp_path / "results.json"
    proc = run_cli("grade", "first_gan", "assignments/first_gan", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0 and data["max_score"] == 23
    assert all(t["status"] == "failed" for t in data["tests"])


def test_self_check_runs_only_visible_checks():
    proc = run_cli("check", "first_gan", "solutions/first_gan/first_gan.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert "(hidden)" not in proc.stdout
    assert "Score: 15 / 15" in proc.stdout


def test_same_submission_same_results(reference_results):
    from autograder.grade import grade
    from autograder.paths import solution_dir

    first = reference_results("first_gan").to_gradescope()
    again = grade("first_gan", solution_dir("first_gan")).to_gradescope()
    first.pop("execution_time"), again.pop("execution_time")
    assert first == again
