"""Where the course's folders are."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS_DIR = REPO / "assignments"


def release_dir(assignment: str) -> Path:
    """The student release of one assignment (``assignments/<id>``)."""
    return ASSIGNMENTS_DIR / assignment


def solution_dir(assignment: str) -> Path:
    """The reference solution of one assignment (``solutions/<id>``)."""
    return SOLUTIONS / assignment
