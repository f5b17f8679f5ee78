"""Feedback a student can read, from a ``results.json``: ``python -m autograder report FORMAT``.

* ``markdown``: the score, notes, a table of points per check, then each failed check with its
  feedback (what was expected, what was observed, the hint), then the passed checks. GitHub
  renders it as a job summary; ``grade-all`` writes it as ``feedback.md``.
* ``html``: the same as one self-contained page (``feedback.html``), no scripts, no links out.
* ``classroom``: the points in the format of GitHub Classroom's grading reporter
  (``education/autograding-grading-reporter``): base64 of its JSON, for ``$GITHUB_OUTPUT``.

Every text that comes from the results is escaped: feedback quotes student output, which may
contain ``<script>``.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import sys
from pathlib import Path


def _parts(data: dict) -> tuple[str, list[str], list[dict], list[dict]]:
    """Title, notes, failed checks and passed checks (each in the grader's order)."""
    lines = [line for line in str(data.get("output", "")).splitlines() if line.strip()]
    title = lines[0] if lines else "Autograder results"
    tests = [t for t in data.get("tests", []) if isinstance(t, dict)]
    failed = [t for t in tests if t.get("status") != "passed"]
    passed = [t for t in tests if t.get("status") == "passed"]
    return title, lines[1:], failed, passed


def score_line(data: dict) -> str:
    return f"Score: {data.get('score', 0):g} / {data.get('max_score', 0):g}"


def _points(test: dict) -> str:
    return f"{test.get('score', 0):g} / {test.get('max_score', 0):g}"


def _hidden(test: dict) -> str:
    return "" if test.get("visibility", "visible") == "visible" else " (hidden check)"


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def _md(text: object, table: bool = False) -> str:
    """Markdown text that shows ``text`` literally: no HTML, no links, no table breaks.

    Only what Markdown would interpret is escaped, so the raw file stays readable: ``x >= 0``
    stays ``x >= 0``, and inside a `code span` nothing but ``|`` is touched (Markdown shows a
    code span's text as it is, so an entity there would be shown as ``&gt;``); ``table``: the text
    is a table cell, where even a code span's ``|`` would end the cell.
    """
    out = []
    for i, part in enumerate(_CODE_SPAN.split(str(text))):
        if i % 2:  # a code span
            out.append(part.replace("|", "\\|") if table else part)
            continue
        part = part.replace("\\", "\\\\")
        part = re.sub(r"&(?=#?\w+;)", "&amp;", part)     # an entity would be decoded
        part = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", part)   # a tag would be HTML
        part = re.sub(r"^(\s*)>", r"\1\\>", part)        # a quote at the start
        for char in "[|`":
            part = part.replace(char, "\\" + char)
        out.append(part)
    return "".join(out)


def _student(data: dict) -> str:
    extra = data.get("extra_data")
    return str(extra.get("student", "")) if isinstance(extra, dict) else ""


def markdown(data: dict) -> str:
    title, notes, failed, passed = _parts(data)
    out = [f"# {_md(title)}", ""]
    if _student(data):
        out += [f"Student: **{_md(_student(data))}**", ""]
    out += [f"**{score_line(data)}**", ""]
    if notes:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in notes] + [""]
    tests = failed + passed
    if tests:
        out += ["| | check | points |", "| --- | --- | --- |"]
        out += [f"| {'✓' if t.get('status') == 'passed' else '✗'} | {_md(t.get('name', ''), True)}{_hidden(t)} "
                f"| {_points(t)} |" for t in tests]
        out.append("")
    if failed:
        out += [f"## To fix ({len(failed)} check{'s' * (len(failed) != 1)})", ""]
        for t in failed:
            out += [f"### ✗ {_md(t.get('name', ''))}{_hidden(t)}: {_points(t)}", ""]
            for line in str(t.get("output", "")).splitlines():  # one paragraph per line
                out += [_md(line), ""] if line.strip() else []
    if passed:
        out += [f"## Passed ({len(passed)} check{'s' * (len(passed) != 1)})", ""]
        out += [f"- ✓ {_md(t.get('name', ''))}{_hidden(t)}: {_points(t)}" for t in passed]
        out.append("")
    return "\n".join(out)


_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; }
h1 { font-size: 1.5rem; } .score { font-size: 1.25rem; font-weight: 600; }
section { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5rem 1rem; margin: 0.75rem 0; }
section.failed { border-left: 6px solid #cf222e; } .passed { color: #1a7f37; }
.points { float: right; font-variant-numeric: tabular-nums; } .hidden { color: #656d76; }
p.feedback { white-space: pre-wrap; margin: 0.25rem 0; }
code { background: #f6f8fa; border-radius: 4px; padding: 0.1em 0.3em; }
"""


def _html_text(text: object) -> str:
    """Escaped text, with the feedback's `code` spans shown as code."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html_lib.escape(str(text)))


def html(data: dict) -> str:
    title, notes, failed, passed = _parts(data)
    e = html_lib.escape

    def name(t: dict) -> str:
        hidden = _hidden(t)
        return e(str(t.get("name", ""))) + (f' <span class="hidden">{e(hidden)}</span>'
                                            if hidden else "")

    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           # No script, no request anywhere: only the inline style below may apply.
           '<meta http-equiv="Content-Security-Policy" '
           "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
           f"<title>{e(title)}{' – ' + e(_student(data)) if _student(data) else ''}</title>",
           f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{e(title)}</h1>"]
    if _student(data):
        out.append(f'<p class="student">Student: <strong>{e(_student(data))}</strong></p>')
    out.append(f'<p class="score">{e(score_line(data))}</p>')
    if notes:
        out += ["<h2>Notes</h2>", "<ul>"] + [f"<li>{_html_text(n)}</li>" for n in notes] + ["</ul>"]
    if failed:
        out.append(f"<h2>To fix ({len(failed)})</h2>")
        for t in failed:
            out += ['<section class="failed">',
                    f'<h3>✗ {name(t)} <span class="points">{e(_points(t))}</span></h3>',
                    f'<p class="feedback">{_html_text(t.get("output", ""))}</p>', "</section>"]
    if passed:
        out += [f"<h2>Passed ({len(passed)})</h2>", "<ul>"]
        out += [f'<li><span class="passed">✓</span> {name(t)}: {e(_points(t))}</li>'
                for t in passed]
        out.append("</ul>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def classroom(data: dict) -> str:
    """Base64 JSON for GitHub Classroom's grading reporter: one test per check, with points."""
    tests = [{"name": str(t.get("name", "")), "status": "pass" if t.get("status") == "passed"
              else "fail", "score": t.get("score", 0), "message": str(t.get("output", "")),
              "line_no": 0, "execution_time": "0s"}
             for t in data.get("tests", []) if isinstance(t, dict)]
    status = "pass" if tests and all(t["status"] == "pass" for t in tests) else "fail"
    result = {"version": 1, "status": status, "max_score": data.get("max_score", 0),
              "tests": tests}
    return base64.b64encode(json.dumps(result).encode()).decode()


RENDERERS = {"markdown": markdown, "html": html, "classroom": classroom}


def write_feedback(data: dict, folder: Path, student: str | None = None) -> None:
    """Write ``feedback.md`` and ``feedback.html`` (mode 0644) for one student into ``folder``,
    each atomically; ``student`` (default: the results' ``extra_data.student``) heads both."""
    from autograder.grading.results import write_atomic

    if student:
        data = dict(data, extra_data=dict(data.get("extra_data") or {}, student=student))
    folder = Path(folder)
    write_atomic(folder / "feedback.md", markdown(data))
    write_atomic(folder / "feedback.html", html(data))


def report(fmt: str, results: Path, out: Path | None = None) -> int:
    """The CLI verb: render ``results`` as ``fmt`` to ``out`` or stdout; 0, or 2 when unreadable."""
    try:
        data = json.loads(Path(results).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {results}: {exc}", file=sys.stderr)
        return 2
    text = RENDERERS[fmt](data)
    if out:
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0
