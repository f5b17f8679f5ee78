"""Self-checks inside a student's notebook: ``check("first_gan", "get_noise", globals())``.

Runs the visible checks of one group (or the hidden ones, in the instructor's copy) on the live
notebook, prints what passed and what to fix, and returns the points earned, which nbgrader
records as the cell's partial credit. The same observe/judge functions run in the repo's
grader, so the two agree on the score; here they run in the student's own kernel, which is the
student's business: the repo's grader (``python -m autograder grade``) is the one to trust.
"""

from __future__ import annotations

import contextlib
import sys
import warnings

from autograder.checks import HIDDEN, VISIBLE, Verdict, load_checks


def check(assignment: str, group: str, namespace: dict, hidden: bool = False) -> float:
    """Run the checks of ``group`` on ``namespace``; print feedback; return the points earned."""
    from autograder.child import describe_error
    from autograder.grade import judge

    wanted = HIDDEN if hidden else VISIBLE
    checks = [c for c in load_checks(assignment) if c.group == group and c.visibility == wanted]
    earned = 0.0
    for c in checks:
        # nbgrader gives a test cell 0 points when it writes anything to stderr: warnings
        # raised by the student's code must not cost points the grader would give.
        with warnings.catch_warnings(), contextlib.redirect_stderr(sys.stdout):
            warnings.simplefilter("ignore")
            try:
                outcome = {"observation": c.observe(namespace, c.params)}
            except Exception as exc:  # every failure becomes feedback
                outcome = {"error": describe_error(exc)}
        verdict: Verdict = judge(c, outcome)
        earned += c.points if verdict.passed else 0.0
        mark = "✓" if verdict.passed else "✗"
        print(f"{mark} {c.title}" + ("" if verdict.passed else f"\n    {verdict.message}"))
    return earned
