"""Credit only for code that works (issue 27, parts 3 and 4).

A secondary check (device, hidden variant, freshness, mode) earns its points only while the
main check of its function passes (``GATED`` in each assignment, ``checks.gate``,
``grade.credit_only_for_working_code``). So the untouched Coursera-style template (every graded
line ``None``) and a submission of objects that fake every attribute and comparison score 0 in
every assignment, and a graded function that returns a global left by a timed-out cell of the
student's gets nothing and is told so.
"""

from __future__ import annotations

import json

import pytest
from helpers import by_name, coursera_fill, faker_fill, filled_release

from autograder import ASSIGNMENTS
from autograder.checks import HIDDEN, Assignment, Check, Verdict, gate
from autograder.grading.grade import credit_only_for_working_code, grade
from autograder.grading.results import CheckResult
from autograder.grading.sandbox import Limits
from autograder.paths import release_dir

SECONDARY = ("_device", "_hidden", "fresh", "_repeated", "_dropout")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_secondary_check_waits_for_a_main_check(assignment):
    checks = Assignment.load(assignment).checks
    names = {c.name: c for c in checks}
    for c in checks:
        if any(word in c.name for word in SECONDARY) or c.visibility == HIDDEN:
            if c.name in ("trained_generator",):
                continue
            assert c.needs, f"{assignment}: {c.name} is a secondary check but waits for nothing"
        if c.needs:
            main = names[c.needs]
            assert main.group == c.group and not main.needs and main.visibility != HIDDEN


def test_gate_refuses_a_main_check_of_another_function():
    def check(name, group):
        return Check(name, group, name, 1.0, lambda ns, p: {}, lambda o, p: Verdict(True))
    with pytest.raises(AssertionError):
        gate([check("a", "f"), check("b", "g")], {"b": "a"})


def _results(passed: dict[str, bool]) -> list[CheckResult]:
    return [CheckResult(n, "f", n, 1.0 if ok else 0.0, 1.0, "" if ok else f"{n} fails.", "visible")
            for n, ok in passed.items()]


def test_a_gated_check_says_which_main_check_it_waits_for():
    def check(name, needs=""):
        return Check(name, "f", f"title of {name}", 1.0, lambda ns, p: {},
                     lambda o, p: Verdict(True), needs=needs)
    checks = [check("f_value"), check("f_device", "f_value"), check("f_other")]
    results = _results({"f_value": False, "f_device": True, "f_other": True})
    credit_only_for_working_code(checks, results)
    r = by_name(type("R", (), {"checks": results})())
    assert r["f_device"].score == 0 and "waits for `f_value`" in r["f_device"].message
    assert "f_value fails." in r["f_device"].message
    assert r["f_other"].passed  # a check of its own is not gated
    results = _results({"f_value": True, "f_device": True, "f_other": False})
    credit_only_for_working_code(checks, results)
    assert results[1].passed  # a correct function keeps its device point


def test_untouched_coursera_template_scores_zero(tmp_path):
    result = grade("first_gan", filled_release("first_gan", tmp_path / "s", coursera_fill))
    assert result.score == 0, {c.name: c.message for c in result.checks if c.passed}
    checks = by_name(result)
    for name in ("get_noise_device", "get_disc_loss_device", "get_gen_loss_device"):
        assert "None" in checks[name].message, checks[name].message
        assert "waits for" in checks[name].message, checks[name].message


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_objects_that_fake_every_attribute_score_zero(assignment, tmp_path):
    result = grade(assignment, filled_release(assignment, tmp_path / "s", faker_fill))
    assert result.score == 0, {c.name: c.message for c in result.checks if c.passed}
    devices = [c for c in result.checks if c.name.endswith("_device")]
    assert devices and all("_Fake" in c.message or "waits for" in c.message for c in devices), \
        {c.name: c.message for c in devices}


def test_a_timed_out_cell_that_sets_the_global_a_stub_returns(tmp_path):
    """Coursera's template returns `gen_loss` from an empty body; its training cell sets
    `gen_loss = False` and then runs (here: forever). The stub gets nothing, and is told why."""
    dest = filled_release("first_gan", tmp_path / "s", coursera_fill)
    nb_path = dest / "first_gan.ipynb"
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "get_gen_loss":
            src = "".join(cell["source"])
            assert "    gen_loss = None\n" in src
            cell["source"] = src.replace("    gen_loss = None\n", "")
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "gen_loss = False\nwhile True:\n    pass\n"})
    nb_path.write_text(json.dumps(nb))
    result = grade("first_gan", dest, limits=Limits(cell_timeout=10, statement_timeout=5,
                                                    check_timeout=8, total_timeout=150))
    assert result.score == 0, {c.name: c.message for c in result.checks if c.passed}
    checks = by_name(result)
    for name in ("get_gen_loss_value", "get_gen_loss_device", "get_gen_loss_gradient"):
        assert "the global `gen_loss`" in checks[name].message, checks[name].message
    assert any("the global `gen_loss`" in note for note in result.notes), result.notes
    assert "False" in checks["get_gen_loss_device"].message


def test_release_fill_helpers_touch_every_stub():
    src = (release_dir("first_gan") / "first_gan.ipynb").read_text()
    assert "NotImplementedError" in src
