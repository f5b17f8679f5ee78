"""Fixtures shared by the course's tests."""

from __future__ import annotations

import pytest

from autograder.grading.grade import grade
from autograder.paths import release_dir, solution_dir


def _graded_once(folder_of):
    """A function assignment -> Result that grades each assignment's folder once per session."""
    cache = {}

    def get(assignment: str):
        if assignment not in cache:
            cache[assignment] = grade(assignment, folder_of(assignment))
        return cache[assignment]
    return get


@pytest.fixture(scope="session")
def reference_results():
    """Each assignment's reference solution, graded once per test session."""
    return _graded_once(solution_dir)


@pytest.fixture(scope="session")
def release_results():
    """Each assignment's untouched release, graded once per test session."""
    return _graded_once(release_dir)
