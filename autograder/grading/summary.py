"""The class after ``grade-all``: score distribution, checks failed most often, errors.

Printed in the terminal and written as ``OUT/summary.html`` with a histogram
(``OUT/summary.png``, matplotlib), from the results that the batch vouches for.
"""

from __future__ import annotations

import html as html_lib
import math
import statistics
from collections import Counter
from pathlib import Path

TOP = 5  # checks listed as "failed most often"


def failures(results: dict[str, dict]) -> list[dict]:
    """Each failed check: how many students failed it and its most common feedback."""
    failed: dict[str, dict] = {}
    for data in results.values():
        for test in data.get("tests", []):
            if test.get("status") == "passed":
                continue
            entry = failed.setdefault(test["name"], {"name": test["name"], "students": 0,
                                                     "messages": Counter()})
            entry["students"] += 1
            entry["messages"][str(test.get("output", ""))] += 1
    ranked = sorted(failed.values(), key=lambda e: -e["students"])  # ties: notebook order
    for entry in ranked:
        message, count = entry["messages"].most_common(1)[0]
        entry["feedback"], entry["same_feedback"] = message, count
    return ranked


def not_graded_reason(data: dict) -> str | None:
    """Why a submission could not be graded at all (unreadable notebook...), or None."""
    tests = data.get("tests", [])
    if tests and all(str(t.get("output", "")).startswith("Not graded:") for t in tests):
        return str(tests[0]["output"]).removeprefix("Not graded:").strip()
    return None


def summarize(results: dict[str, dict], errors: dict[str, str],
              not_graded: list[str]) -> dict:
    scores = {name: float(d.get("score", 0)) for name, d in results.items()}
    max_score = max((float(d.get("max_score", 0)) for d in results.values()), default=0.0)
    unreadable = {n: r for n, d in results.items() if (r := not_graded_reason(d))}
    readable = {n: d for n, d in results.items() if n not in unreadable}
    return {"scores": scores, "max_score": max_score, "failures": failures(readable),
            "errors": dict(errors), "unreadable": unreadable,
            "not_graded": [n for n in not_graded if n not in errors]}


def text(summary: dict) -> str:
    scores, top = summary["scores"], summary["max_score"]
    lines = ["", f"Class summary: {len(scores)} graded"]
    if scores:
        values = sorted(scores.values())
        lines.append(f"  scores out of {top:g}: mean {statistics.mean(values):.1f}, median "
                     f"{statistics.median(values):g}, min {values[0]:g}, max {values[-1]:g}")
        lines += [f"  {row}" for row in _text_histogram(values, top)]
    if summary["failures"]:
        lines.append(f"  checks failed most often (of {len(scores) - len(summary['unreadable'])} "
                     "readable submissions):")
        for f in summary["failures"][:TOP]:
            feedback = f["feedback"] if len(f["feedback"]) <= 160 else f["feedback"][:157] + "..."
            lines.append(f"    {f['students']:>3} × {f['name']}")
            lines.append(f"          {feedback}")
    for name, reason in sorted(summary["unreadable"].items()):
        lines.append(f"  could not be read: {name}: {reason}")
    for name, error in sorted(summary["errors"].items()):
        lines.append(f"  grading failed: {name}: {error}")
    if summary["not_graded"]:
        lines.append(f"  not graded yet: {', '.join(summary['not_graded'])}")
    return "\n".join(lines)


def _bins(values: list[float], top: float) -> list[tuple[float, float, int]]:
    """Bins of whole points (at most about 10): [lo, hi), the last one holds full marks."""
    width = max(1, math.ceil((top or 1) / 10))
    count = max(1, math.ceil((top or 1) / width))
    bins = [[i * width, min(top, (i + 1) * width), 0] for i in range(count)]
    for v in values:
        bins[min(count - 1, int(v // width))][2] += 1
    return [tuple(b) for b in bins]


def _text_histogram(values: list[float], top: float) -> list[str]:
    return [f"{lo:>4g} to {hi:<4g}{'#' * n} {n if n else ''}".rstrip()
            for lo, hi, n in _bins(values, top)]


def histogram_png(summary: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    top = summary["max_score"] or 1
    bins = _bins(list(summary["scores"].values()), top)
    ax.bar([lo for lo, _, _ in bins], [n for _, _, n in bins], width=top / len(bins),
           align="edge", edgecolor="white")
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(summary['scores'])} students)")
    ax.set_xlim(0, top)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def html(summary: dict, assignment: str, png_name: str) -> str:
    e = html_lib.escape
    scores = summary["scores"]
    out = ["<!DOCTYPE html>", '<html lang="en">', '<head><meta charset="utf-8">',
           '<meta http-equiv="Content-Security-Policy" '
           "content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">",
           f"<title>{e(assignment)}: class summary</title>",
           "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
           "padding:0 1rem} td,th{padding:.2rem .6rem;text-align:left;vertical-align:top}"
           "</style></head><body>",
           f"<h1>{e(assignment)}: class summary</h1>",
           f"<p>{len(scores)} students graded, out of {summary['max_score']:g} points.</p>",
           f'<img src="{e(png_name)}" alt="histogram of the scores">']
    if summary["failures"]:
        out += ["<h2>Checks failed most often</h2>", "<table>",
                "<tr><th>students</th><th>check</th><th>most common feedback</th></tr>"]
        out += [f"<tr><td>{f['students']}</td><td>{e(f['name'])}</td><td>{e(f['feedback'])}"
                f" ({f['same_feedback']} of {f['students']})</td></tr>"
                for f in summary["failures"][:TOP]]
        out.append("</table>")
    problems = [(n, f"could not be read: {r}") for n, r in summary["unreadable"].items()]
    problems += [(n, f"grading failed: {r}") for n, r in summary["errors"].items()]
    problems += [(n, "not graded yet") for n in summary["not_graded"]]
    if problems:
        out += ["<h2>Submissions to look at</h2>", "<ul>"]
        out += [f"<li>{e(n)}: {e(r)}</li>" for n, r in sorted(problems)]
        out.append("</ul>")
    out += ["<h2>Scores</h2>", "<table>", "<tr><th>student</th><th>score</th></tr>"]
    out += [f"<tr><td>{e(n)}</td><td>{s:g}</td></tr>" for n, s in sorted(scores.items())]
    out += ["</table>", "</body></html>", ""]
    return "\n".join(out)


def write(out: Path, assignment: str, results: dict[str, dict], errors: dict[str, str],
          not_graded: list[str]) -> tuple[str, Path]:
    """Write ``summary.html`` and ``summary.png`` into ``out``; return the terminal text."""
    from autograder.grading.results import write_atomic

    summary = summarize(results, errors, not_graded)
    histogram_png(summary, out / "summary.png")
    page = out / "summary.html"
    write_atomic(page, html(summary, assignment, "summary.png"))
    return text(summary), page
