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
    hidden_points: float = 0.0  # a self-check (visible checks only): the points it did not run

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)

    def numbers(self) -> list[str]:
        """Each check's number, "part.check", parts in the notebook's order (1.1, 1.2, 2.1...)."""
        parts: dict[str, int] = {}
        seen: dict[str, int] = {}
        out = []
        for c in self.checks:
            part = parts.setdefault(c.group, len(parts) + 1)
            seen[c.group] = seen.get(c.group, 0) + 1
            out.append(f"{part}.{seen[c.group]}")
        return out

    def to_gradescope(self) -> dict:
        """The Gradescope autograder results format (also read by the gradebook export).

        Feedback is Markdown (``output_format: "md"``: its `code` spans render as code); each
        test has a ``number`` in the notebook's order and ``tags`` naming the function or cell
        it checks, so Gradescope sorts and groups them as the notebook does.
        """
        summary = [f"{self.assignment}: {self.score:g} / {self.max_score:g} points"] + self.notes
        summary += matching_lines(self.matching)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "output": "\n".join(summary),
            "output_format": "md",
            "test_output_format": "md",
            "execution_time": round(self.seconds, 2),
            "visibility": "visible",
            "tests": [
                {
                    "name": f"{c.title} [{c.name}]",
                    "number": number,
                    "tags": [c.group],
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.passed else "failed",
                    "output": c.message or ("Passed." if c.passed else "Failed."),
                    "output_format": "md",
                    "visibility": "visible" if c.visibility == "visible" else GRADESCOPE_HIDDEN,
                }
                for c, number in zip(self.checks, self.numbers(), strict=True)
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


def write_json(data: dict, path: Path, mode: int = 0o644) -> None:
    """Write JSON atomically: a reader never sees half a file, a crash never loses the old one."""
    write_atomic(path, json.dumps(data, indent=2) + "\n", mode)


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, with file mode ``mode``
    (results are 0644, like the feedback pages beside them)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def score_lines(result: Result) -> list[str]:
    """The score; for a self-check, also what the hidden checks are worth."""
    lines = [f"Score: {result.score:g} / {result.max_score:g}"]
    if result.hidden_points:
        total = result.max_score + result.hidden_points
        lines.append(f"visible points {result.score:g} of {result.max_score:g}; "
                     f"{result.hidden_points:g} more in hidden checks (the assignment is out of "
                     f"{total:g}; the grader runs them on the same functions with other sizes "
                     "and seeds)")
    return lines


def table(result: Result, color: bool = False, width: int | None = None) -> str:
    """The result as a plain-text table, with each failed check's feedback under it.

    ``width`` (default: the terminal's, at most 100 columns): long titles wrap onto the next line
    and feedback wraps to it, so the table never runs off a laptop's terminal.
    """
    import shutil

    if width is None:
        width = min(100, shutil.get_terminal_size((100, 24)).columns)
    width = max(width, 50)
    ok, bad = ("\033[32m✓\033[0m", "\033[31m✗\033[0m") if color else ("✓", "✗")
    lines = [f"{result.assignment}: {result.source}", ""]
    for n in result.notes:
        lines += [f"  note: {part}" if i == 0 else f"        {part}"
                  for i, part in enumerate(_wrap(n, width - 8))]
    if result.notes:
        lines.append("")
    indent = " " * 14  # "  ✓ 1.5 /2    " : mark and points
    title_room = width - len(indent) - len(" (hidden)")
    for c in result.checks:
        mark = ok if c.passed else bad
        hidden = " (hidden)" if c.visibility != "visible" else ""
        title = _wrap(c.title, title_room)
        lines.append(f"  {mark} {c.score:>4g}/{c.max_score:<4g} {title[0]}{hidden}")
        lines += [indent + part for part in title[1:]]
        if c.message:  # a failed check's feedback, or why a passed one was not charged
            for part in _wrap(c.message, width - 11):
                lines.append(f"           {part}")
    if result.matching and any(m["how"] != "id" for m in result.matching):
        lines += [""] + [f"  {line}" for line in matching_lines(result.matching)]
    lines += [""] + score_lines(result)
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, max(width, 20)) or [""]
