"""Results: the Gradescope ``results.json`` format and a readable table for the terminal."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

GRADESCOPE_HIDDEN = "after_published"  # hidden checks: shown once grades are published


@dataclass
class CheckResult:
    name: str
    group: str
    title: str
    score: float
    max_score: float
    message: str
    visibility: str  # "visible" or "hidden"

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class Result:
    assignment: str
    source: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    matching: list[dict] = field(default_factory=list)  # how each solution cell was found

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    def to_gradescope(self) -> dict:
        """The Gradescope autograder results format (also read by the gradebook export)."""
        summary = [f"{self.assignment}: {self.score:g} / {self.max_score:g} points"] + self.notes
        summary += matching_lines(self.matching)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "output": "\n".join(summary),
            "execution_time": round(self.seconds, 2),
            "visibility": "visible",
            "tests": [
                {
                    "name": f"{c.title} [{c.name}]",
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.passed else "failed",
                    "output": c.message or ("Passed." if c.passed else "Failed."),
                    "visibility": "visible" if c.visibility == "visible" else GRADESCOPE_HIDDEN,
                }
                for c in self.checks
            ],
        }


def matching_lines(matching: list[dict]) -> list[str]:
    """One line per solution cell: how the grader found it in the student's notebook."""
    if not matching:
        return []
    lines = ["How your cells were found:"]
    for m in matching:
        if m["how"] == "id":
            lines.append(f"  {m['cell']}: by its id (your cell {m['student_cell']})")
        elif m["how"] == "name":
            lines.append(f"  {m['cell']}: by the names it defines, from your cell "
                         f"{m['student_cell']}")
        else:
            lines.append(f"  {m['cell']}: missing (no cell defines "
                         f"{', '.join(m['names']) or 'it'})")
    return lines


def write_json(data: dict, path: Path) -> None:
    """Write JSON atomically: a reader never sees half a file, a crash never loses the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def table(result: Result, color: bool = False) -> str:
    """The result as a plain-text table, with each failed check's feedback under it."""
    ok, bad = ("\033[32m✓\033[0m", "\033[31m✗\033[0m") if color else ("✓", "✗")
    lines = [f"{result.assignment}: {result.source}", ""]
    lines += [f"  note: {n}" for n in result.notes]
    if result.notes:
        lines.append("")
    width = max((len(c.title) for c in result.checks), default=10)
    for c in result.checks:
        mark = ok if c.passed else bad
        hidden = " (hidden)" if c.visibility != "visible" else ""
        lines.append(f"  {mark} {c.score:>4g}/{c.max_score:<4g} {c.title:<{width}}{hidden}")
        if c.message:  # a failed check's feedback, or why a passed one was not charged
            for part in _wrap(c.message, 88):
                lines.append(f"           {part}")
    if result.matching and any(m["how"] != "id" for m in result.matching):
        lines += [""] + [f"  {line}" for line in matching_lines(result.matching)]
    lines += ["", f"Score: {result.score:g} / {result.max_score:g}"]
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]
