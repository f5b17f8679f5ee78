"""One source of truth: assignments/ is generated from solutions/ and leaks nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder import ASSIGNMENTS
from autograder.checks import load_checks
from autograder.instructor.release import MARKERS, build, differences, strip_python
from autograder.instructor.sync import notebook_from_percent
from autograder.paths import ASSIGNMENTS_DIR, SOLUTIONS

PRESENT = [a for a in ASSIGNMENTS if (SOLUTIONS / a).is_dir()]
NOTEBOOKS = sorted(SOLUTIONS.glob("*/*.ipynb")) + sorted(ASSIGNMENTS_DIR.glob("*/*.ipynb"))


def nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.mark.parametrize("assignment", PRESENT)
def test_release_is_up_to_date(assignment, tmp_path):
    build(assignment, tmp_path / assignment)
    stale = differences(tmp_path / assignment, ASSIGNMENTS_DIR / assignment)
    assert not stale, (f"assignments/{assignment} is out of date ({stale}): run "
                       "`python -m autograder release` and commit the result")


def test_no_solution_or_hidden_test_reaches_the_release():
    leaks = [f"{p}: {m}" for p in ASSIGNMENTS_DIR.rglob("*") if p.is_file()
             for m in MARKERS if m in p.read_text(errors="replace")]
    assert not leaks, f"markers in the student release: {leaks}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_notebook_and_percent_twin_are_in_sync(notebook: Path):
    twin = notebook.with_name(notebook.stem + ".pct.py")
    assert twin.is_file(), f"{notebook} has no percent-format twin {twin.name}"
    expected = notebook_from_percent(twin.read_text())
    actual = json.loads(notebook.read_text())
    strip = lambda cells: [(c["cell_type"], "".join(c["source"]), nbgrader_meta(c))  # noqa: E731
                           for c in cells]
    assert strip(actual["cells"]) == strip(expected.cells), (
        f"{notebook.name} and {twin.name} differ: run `python -m autograder sync` "
        "(solutions) or `python -m autograder release` (assignments)")


@pytest.mark.parametrize("notebook", sorted(SOLUTIONS.glob("*/*.ipynb")), ids=lambda p: p.name)
def test_notebook_metadata_is_complete_and_points_match_the_checks(notebook: Path):
    cells = json.loads(notebook.read_text())["cells"]
    ids = [nbgrader_meta(c).get("grade_id") for c in cells if nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {notebook.name}"
    for c in cells:
        if c["cell_type"] == "code":
            assert nbgrader_meta(c).get("grade_id"), (
                f"a code cell of {notebook.name} has no nbgrader metadata: "
                + "".join(c["source"])[:80])
            assert re.fullmatch(r"[A-Za-z0-9_]+", nbgrader_meta(c)["grade_id"])
    checks = load_checks(notebook.parent.name)
    for c in cells:
        meta = nbgrader_meta(c)
        if c["cell_type"] == "code" and meta.get("grade"):
            group = meta["grade_id"].removeprefix("check_")
            points = sum(k.points for k in checks if k.group == group)
            assert points > 0, f"{meta['grade_id']} names no checks"
            assert meta["points"] == points, (
                f"{meta['grade_id']} is worth {meta['points']} in the notebook but its checks "
                f"are worth {points}")


@pytest.mark.parametrize("notebook", sorted(ASSIGNMENTS_DIR.glob("*/*.ipynb")), ids=lambda p: p.name)
def test_released_code_cells_compile(notebook: Path):
    for c in json.loads(notebook.read_text())["cells"]:
        if c["cell_type"] == "code":
            source = "".join(c["source"])
            source = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines())
            compile(source, nbgrader_meta(c).get("grade_id", "?"), "exec")


def test_strip_python_keeps_indentation_and_rejects_unbalanced_markers():
    src = "def f():\n    x = 1\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert strip_python(src) == ("def f():\n    x = 1\n    # TODO: your code here\n"
                                 "    raise NotImplementedError()\n")
    with pytest.raises(ValueError, match="unbalanced"):
        strip_python("x = 1\n### BEGIN SOLUTION\ny = 2\n")


@pytest.mark.parametrize("assignment", ["first_gan", "gan_tutorial", "training_a_gan",
                                        "dropout_gan", "gan_project", "dcgan"])
def test_student_readme_points_match_the_checks(assignment):
    """Each `| `part` | visible | hidden | total |` row of the student README is the grader's."""
    groups: dict[str, list[float]] = {}
    for c in load_checks(assignment):
        v, h = groups.setdefault(c.group, [0.0, 0.0])
        groups[c.group] = [v + c.points, h] if c.visibility == "visible" else [v, h + c.points]
    text = (SOLUTIONS / assignment / "README.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| *([0-9.]+) *\| *([0-9.]+) *\| *([0-9.]+) *\|$", text, re.M)
    assert rows, f"{assignment}/README.md has no table of points per part"
    for name, v, h, t in rows:
        assert name in groups, f"README row {name} is no group of {assignment}'s checks"
        want = groups[name]
        assert [float(v), float(h), float(t)] == [want[0], want[1], sum(want)], (name, want)
    assert {name for name, *_ in rows} == set(groups), "every part has its row"


def test_release_text_does_not_depend_on_the_jupytext_version():
    """A fresh install brings whatever jupytext is newest: the release must not record it."""
    from autograder.instructor.sync import percent_from_notebook

    nb = notebook_from_percent("# %%\nx = 1\n")
    text = percent_from_notebook(nb)
    assert "jupytext_version" not in text, text
    assert "format_name: percent" in text and "x = 1" in text  # the rest of the header and the cell stay
    assert notebook_from_percent(text).cells[0].source == "x = 1"
