"""The grading contract, for every assignment: the reference solution earns full marks, the
untouched release earns 0 with "Not implemented yet" everywhere, each typical mistake loses the
checks that name it (with the words its feedback must contain), and each correct style keeps
full marks.

Each assignment's cases are data in ``tests/test_<id>.py``: ``MISTAKES``, ``STYLES`` and, where
there are some, ``GPU_MISTAKES``; optionally ``FULL_MARKS`` (the exact total), ``GRADED_TOGETHER``
(its mistakes are graded four at a time, once per class), ``STYLES_MAY_FAIL`` (checks a correct
style may still fail) and ``grade_alone(mistake, tmp_path)`` (how one of its cases is graded).
One class per assignment, so that ``--dist loadscope`` gives each assignment's gradings to one
worker, as the assignments' own files are.
"""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from helpers import Mistake, assert_fails_as_named, grade_mistake

CASES = {a: importlib.import_module(f"test_{a}")
         for a in ("first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project", "dcgan")}


def _grade(assignment: str, mistake: Mistake, tmp_path):
    grade_alone = getattr(CASES[assignment], "grade_alone", None)
    if grade_alone is not None:
        return grade_alone(mistake, tmp_path)
    return grade_mistake(assignment, mistake, tmp_path)


def pytest_generate_tests(metafunc):
    """Each class's mistakes, styles and GPU mistakes, from its assignment's data."""
    if metafunc.cls is None or not issubclass(metafunc.cls, Contract):
        return
    cases = CASES[metafunc.cls.assignment]
    if "mistake" in metafunc.fixturenames:
        mistakes = cases.GPU_MISTAKES if "gpu" in metafunc.function.__name__ else cases.MISTAKES
        metafunc.parametrize("mistake", mistakes, ids=lambda m: m.name)
    if "style" in metafunc.fixturenames:
        metafunc.parametrize("style", sorted(cases.STYLES))


class Contract:
    """The contract tests; a subclass names its ``assignment``."""

    assignment: str

    @pytest.fixture(scope="class")
    def mistake_results(self, request, tmp_path_factory):
        """Every mistake of a ``GRADED_TOGETHER`` assignment, graded four at a time."""
        assignment = request.cls.assignment
        folder = tmp_path_factory.mktemp("mistakes")
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {m.name: pool.submit(grade_mistake, assignment, m, folder)
                       for m in CASES[assignment].MISTAKES}
            return {name: future.result() for name, future in futures.items()}

    def test_reference_scores_full_marks(self, reference_results):
        result = reference_results(self.assignment)
        failed = {c.name: c.message for c in result.checks if not c.passed}
        assert not failed, f"the reference solution fails: {failed}"
        assert result.score == result.max_score > 0
        # No note may call the reference's work suspect (a release import once read as "your code
        # replaced parts of torch"): the sandbox's own line is the only note it gets.
        unexpected = [note for note in result.notes if not note.startswith("Sandbox:")]
        assert not unexpected, f"the reference solution gets notes: {unexpected}"
        full_marks = getattr(CASES[self.assignment], "FULL_MARKS", None)
        if full_marks is not None:
            assert result.max_score == full_marks

    def test_release_scores_zero_with_not_implemented_feedback(self, release_results):
        result = release_results(self.assignment)
        assert result.score == 0
        for c in result.checks:
            assert "Not implemented yet" in c.message, f"{c.name}: {c.message}"

    def test_mistake_loses_points_on_the_check_that_names_it(self, mistake, request, tmp_path,
                                                            reference_results):
        if getattr(CASES[self.assignment], "GRADED_TOGETHER", False):
            result = request.getfixturevalue("mistake_results")[mistake.name]
        else:
            result = _grade(self.assignment, mistake, tmp_path)
        assert_fails_as_named(result, mistake, reference_results(self.assignment).score)

    def test_correct_style_keeps_full_marks(self, style, tmp_path, reference_results):
        cases = CASES[self.assignment]
        result = _grade(self.assignment, Mistake(style, cases.STYLES[style], []), tmp_path)
        may_fail = getattr(cases, "STYLES_MAY_FAIL", ())
        failed = {c.name: c.message for c in result.checks
                  if not c.passed and c.name not in may_fail}
        assert not failed, f"the correct style {style} loses points: {failed}"
        if not may_fail:
            assert result.score == reference_results(self.assignment).max_score



class GpuMistakes:
    """For an assignment with ``GPU_MISTAKES``: mistakes only a GPU shows."""

    @pytest.mark.gpu
    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    def test_device_mistake_loses_points_on_a_gpu(self, mistake, tmp_path, reference_results):
        assert_fails_as_named(_grade(self.assignment, mistake, tmp_path), mistake,
                              reference_results(self.assignment).score)


class TestFirstGan(Contract):
    assignment = "first_gan"


class TestGanTutorial(Contract):
    assignment = "gan_tutorial"


class TestTrainingAGan(Contract, GpuMistakes):
    assignment = "training_a_gan"


class TestDropoutGan(Contract, GpuMistakes):
    assignment = "dropout_gan"


class TestGanProject(Contract):
    assignment = "gan_project"


class TestDcgan(Contract):
    assignment = "dcgan"
