"""Grade a folder of submissions: one ``results.json`` per student and a gradebook CSV.

Each entry of the submissions folder (a sub-folder, or a notebook file) is one student, named
after the entry. Results are written atomically as each student finishes, with the submission's
fingerprint, so an interrupted batch resumes where it stopped and a changed submission is
graded again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder.grade import grade
from autograder.render import write_feedback
from autograder.report import write_json
from autograder.sandbox import DEFAULT_LIMITS, Limits, SandboxError


def students(folder: Path) -> dict[str, Path]:
    """Student name -> submission path, for every visible entry of ``folder``."""
    out = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name.startswith("__"):
            continue
        name = entry.name if entry.is_dir() else entry.name.split(".")[0]
        out.setdefault(name, entry)
    return out


def fingerprint(path: Path) -> str:
    """sha256 over the submission's files (names and bytes)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        digest.update(str(f.relative_to(path.parent)).encode() + b"\0")
        digest.update(f.read_bytes())
    return digest.hexdigest()


def is_done(results: Path, print_: str) -> bool:
    try:
        data = json.loads(results.read_text())
        return data.get("extra_data", {}).get("submission_sha256") == print_
    except (OSError, ValueError, AttributeError):
        return False


def grade_one(assignment: str, name: str, path: Path, out: Path, limits: Limits) -> dict:
    print_ = fingerprint(path)
    target = out / name / "results.json"
    if is_done(target, print_):
        return {"student": name, "status": "cached"}
    try:
        result = grade(assignment, path, limits=limits)
    except SandboxError as exc:
        return {"student": name, "status": "error", "error": str(exc)}
    data = result.to_gradescope()
    data["extra_data"] = {"submission_sha256": print_, "student": name}
    target.parent.mkdir(parents=True, exist_ok=True)
    write_feedback(data, target.parent)  # feedback.md and feedback.html for the student
    write_json(data, target)  # last: results.json marks the student as done when resuming
    return {"student": name, "status": "graded"}


def gradebook(assignment: str, out: Path, names: list[str]) -> Path:
    """Write ``gradebook.csv``: one row per student, total and per-check points."""
    rows, columns = [], []
    for name in names:
        try:
            data = json.loads((out / name / "results.json").read_text())
        except (OSError, ValueError):
            rows.append({"student": name, "score": "", "max_score": "", "status": "not graded"})
            continue
        row = {"student": name, "score": data["score"], "max_score": data["max_score"],
               "status": "graded"}
        for test in data["tests"]:
            key = test["name"].rsplit("[", 1)[-1].rstrip("]")
            row[key] = test["score"]
            if key not in columns:
                columns.append(key)
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["student", "score", "max_score", "status", *columns])
    writer.writeheader()
    writer.writerows(rows)
    path = out / "gradebook.csv"
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_text(buffer.getvalue())
    os.replace(tmp, path)
    return path


def grade_all(assignment: str, folder: Path, out: Path, jobs: int = 1,
              limits: Limits = DEFAULT_LIMITS, progress: bool = True) -> list[dict]:
    """Grade every student in ``folder`` into ``out``; return one status dict per student."""
    from tqdm.auto import tqdm

    todo = students(folder)
    out.mkdir(parents=True, exist_ok=True)
    statuses = []
    bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="student",
               disable=not progress)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(grade_one, assignment, name, path, out, limits)
                       for name, path in todo.items()]
            for future in as_completed(futures):
                status = future.result()
                statuses.append(status)
                bar.set_postfix_str(f"{status['student']}: {status['status']}")
                bar.update()
    finally:
        bar.close()
        gradebook(assignment, out, list(todo))
    return sorted(statuses, key=lambda s: s["student"])
