"""The command line: usage errors, results.json, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import full_marks

from autograder.__main__ import main
from autograder.checks import load_checks
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
    assert f"Score: {full_marks('first_gan'):g} / {full_marks('first_gan'):g}" in proc.stdout
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == data["max_score"] == full_marks("first_gan")


def test_grade_of_the_release_exits_zero_with_zero_points(tmp_path):
    out = tmp_path / "results.json"
    proc = run_cli("grade", "first_gan", "assignments/first_gan", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    validate_gradescope(data)
    assert data["score"] == 0 and data["max_score"] == full_marks("first_gan")
    assert all(t["status"] == "failed" for t in data["tests"])


def test_self_check_runs_only_visible_checks():
    proc = run_cli("check", "first_gan", "solutions/first_gan/first_gan.ipynb")
    assert proc.returncode == 0, proc.stderr
    assert "(hidden)" not in proc.stdout
    visible = sum(c.points for c in load_checks("first_gan") if c.visibility == "visible")
    assert f"Score: {visible:g} / {visible:g}" in proc.stdout


def test_same_submission_same_results(reference_results):
    from autograder.grading.grade import grade
    from autograder.paths import solution_dir

    first = reference_results("first_gan").to_gradescope()
    again = grade("first_gan", solution_dir("first_gan")).to_gradescope()
    first.pop("execution_time"), again.pop("execution_time")
    assert first == again


def test_self_check_says_what_the_hidden_checks_are_worth():
    proc = run_cli("check", "first_gan", "assignments/first_gan/first_gan.ipynb")
    assert proc.returncode == 0, proc.stderr
    checks = load_checks("first_gan")
    visible = sum(c.points for c in checks if c.visibility == "visible")
    assert f"Score: 0 / {visible:g}" in proc.stdout
    total = sum(c.points for c in checks)
    assert (f"visible points 0 of {visible:g}; {total - visible:g} more in hidden checks "
            f"(the assignment is out of {total:g}") in proc.stdout


@pytest.mark.parametrize("before", [None, "yes"])
def test_self_check_observes_as_the_grader_does(monkeypatch, capsys, before):
    """While a check observes, is_grading() is True (capture records nothing, load_mnist gives its
    stand-in), as in the grader's child; the student's own cells run as before, after it ends."""
    from autograder import selfcheck
    from autograder.checks import Check, Verdict
    from gan_course import is_grading

    seen = []

    def observe(ns, p):
        seen.append(is_grading())
        if p["raises"]:
            raise RuntimeError("the student's step broke")
        return {}

    checks = [Check(f"sees_{n}", "f", f"f {n}", 1.0, observe, lambda obs, p: Verdict(True), {"raises": n})
              for n in (False, True)]
    monkeypatch.setattr(selfcheck, "load_checks", lambda assignment: checks)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    if before is None:
        monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    else:
        monkeypatch.setenv("GAN_COURSE_GRADING", before)
    assert selfcheck.check("first_gan", "f", {}) == 1.0     # the second check's error fails it
    assert seen == [True, True]
    assert os.environ.get("GAN_COURSE_GRADING") == before   # restored, after an error too
    assert "the student's step broke" in capsys.readouterr().out


def test_self_check_cells_in_jupyter_name_the_function_and_the_cell():
    """In a real kernel (as in Jupyter and under nbgrader), not only in the grader's child."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_code_cell("def get_noise(n_samples, z_dim, device='cpu'):\n"
                                  "    x = n_samples\n"
                                  "    raise NotImplementedError()"),
        nbformat.v4.new_code_cell("from autograder.selfcheck import check\n"
                                  "score = check('first_gan', 'get_noise', globals())"),
    ]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "None" not in text, text
    assert ("`get_noise` still raises NotImplementedError (in cell In [2], line 3: "
            "raise NotImplementedError())") in text
    group = [c for c in load_checks("first_gan") if c.group == "get_noise"]
    visible = sum(c.points for c in group if c.visibility == "visible")
    hidden = sum(c.points for c in group) - visible
    assert f"visible points 0 of {visible:g}; {hidden:g} more in hidden checks" in text


def test_check_notices_another_assignments_notebook():
    from autograder import ASSIGNMENTS
    from autograder.checks import Assignment
    from autograder.grading.grade import wrong_assignment
    from autograder.paths import release_dir, solution_dir

    note = wrong_assignment(Assignment.load("gan_tutorial"), release_dir("first_gan") / "first_gan.ipynb")
    assert note and "looks like first_gan's" in note and "wrong file" in note
    for assignment in ASSIGNMENTS:
        name = Assignment.load(assignment).notebook
        if name:
            for folder in (release_dir(assignment), solution_dir(assignment)):
                assert wrong_assignment(Assignment.load(assignment), folder / name) is None, assignment


def long_result():
    from autograder.grading.results import CheckResult, Result

    title = "train_torch: one generator step changes only the generator and lowers its loss " * 2
    return Result("gan_project", "submission/", checks=[
        CheckResult("a", "models", title, 0.0, 2.0, "Expected this, observed that. " * 10, "visible"),
        CheckResult("b", "models", "short", 1.0, 1.0, "", "hidden"),
        CheckResult("c", "train_torch", "steps", 0.0, 1.0, "x", "visible")])


@pytest.mark.parametrize("width", [60, 100])
def test_the_check_table_fits_the_terminal(width):
    from autograder.grading.results import table

    text = table(long_result(), width=width)
    assert max(len(line) for line in text.splitlines()) <= width, text
    assert long_result().checks[0].title.strip() in " ".join(text.split()), "a title was lost"


def test_gradescope_results_use_markdown_numbers_and_tags(reference_results):
    from autograder.paths import release_dir

    data = long_result().to_gradescope()
    assert data["output_format"] == "md"
    assert [t["number"] for t in data["tests"]] == ["1.1", "1.2", "2.1"]
    assert [t["tags"] for t in data["tests"]] == [["models"], ["models"], ["train_torch"]]
    assert all(t["output_format"] == "md" for t in data["tests"])

    # first_gan: parts numbered in the notebook's order, each tagged with its function's cell
    data = reference_results("first_gan").to_gradescope()
    validate_gradescope(data)
    cells = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in json.loads(
        (release_dir("first_gan") / "first_gan.ipynb").read_text())["cells"]]
    order = [cells.index(t["tags"][0]) for t in data["tests"]]
    assert order == sorted(order), "tests out of the notebook's order"
    numbers = [tuple(map(int, t["number"].split("."))) for t in data["tests"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_markdown_feedback_shows_comparisons_as_written():
    from autograder.grading.pages import markdown

    page = markdown({"score": 0, "max_score": 1, "output": "first_gan: 0 / 1", "tests": [
        {"name": "get_noise [get_noise]", "score": 0, "max_score": 1, "status": "failed",
         "output": "All noise values are >= 0: use `torch.randn`, not `x >= 0 & y`."}]})
    assert "All noise values are >= 0: use `torch.randn`, not `x >= 0 & y`." in page
    assert "&gt;" not in page and "&amp;" not in page


NOTEBOOK_IDS = ["first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "dcgan"]


@pytest.mark.parametrize("assignment", NOTEBOOK_IDS)
def test_training_settings_are_editable_with_a_quick_cpu_run(assignment):
    """A student may change the run's length in an unlocked cell that starts with a quick run
    on a CPU; every training cell ends with the loss curve of the shared plotting helper."""
    from autograder.paths import release_dir

    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in json.loads(
        (release_dir(assignment) / f"{assignment}.ipynb").read_text())["cells"]}
    settings = cells["settings"]
    assert settings["metadata"]["nbgrader"]["locked"] is False
    assert "QUICK_CPU_RUN" in "".join(settings["source"])
    training = "".join(cells["training"]["source"])
    assert "plot_losses(" in training and "from gan_course.plots import" in "".join(
        cells["imports"]["source"])


def test_first_gan_shows_a_picture_every_epoch():
    from autograder.paths import release_dir

    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"]) for c in
             json.loads((release_dir("first_gan") / "first_gan.ipynb").read_text())["cells"]}
    assert "display_step = len(dataloader)" in cells["settings"]
    assert "show_generated_and_real(fake, real" in cells["training"]


def test_gan_project_data_workers_follow_the_cores(monkeypatch):
    import importlib
    import os

    from autograder.paths import release_dir

    monkeypatch.syspath_prepend(str(release_dir("gan_project")))
    monkeypatch.delitem(sys.modules, "mnist", raising=False)
    mnist = importlib.import_module("mnist")
    assert mnist.DEFAULT_WORKERS == min(4, os.cpu_count() or 1)
    monkeypatch.delitem(sys.modules, "mnist")


@pytest.mark.parametrize("assignment", ["first_gan", "gan_tutorial", "training_a_gan",
                                        "dropout_gan", "gan_project", "dcgan"])
def test_every_assignment_has_a_student_readme(assignment):
    from autograder.paths import release_dir, solution_dir

    text = (release_dir(assignment) / "README.md").read_text()
    assert text == (solution_dir(assignment) / "README.md").read_text(), "one source: solutions/"
    for section in ("## Points per part", "## What to submit", "python -m autograder submit"):
        assert section in text, f"{assignment}'s README lacks {section!r}"
    assert "training" in text.lower() and "CPU" in text
    for note in ("Faithful to seed", "Choices made", "typos fixed"):
        assert note not in text, f"authoring note {note!r} belongs in docs/assignment-notes.md"
