"""Grade every reference, release, mistake and style fixture and keep canonical results.json.

Not a test (pytest collects ``tests/test_*.py`` only): a before/after check for refactors that
must not change what the grader says (issue #14).

    python tests/tools/snapshot_results.py take  OUT_DIR [--jobs 2] [--only first_gan,...]
    python tests/tools/snapshot_results.py compare BEFORE_DIR AFTER_DIR

``take`` builds each case's submission with the tests' own builders (``tests/helpers.py``, each
``tests/test_<id>.py``'s ``MISTAKES``, ``STYLES``, ``IN_PROCESS_MISTAKES`` and ``GPU_MISTAKES``),
grades it with ``python -m autograder grade ID PATH --out F`` in a child process, drops the
timing field (``execution_time``), replaces the checkout's and the case folder's paths with
placeholders, and writes ``OUT_DIR/<id>/<case>.json`` (sorted keys). ``compare`` lists every
case whose canonical JSON differs, and exits 1 if any does.

To compare two commits, check each out as a git worktree and run ``take`` there with
``PYTHONPATH`` set to that worktree: the grader refuses a copy of itself found in the current
folder that is not the installed one (``autograder/safe_start.py``), and says so in each case's
JSON ("NO RESULTS (exit 2)")::

    git worktree add --detach /tmp/before OLD && cd /tmp/before
    PYTHONPATH=/tmp/before python tests/tools/snapshot_results.py take /tmp/snap_before
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
ASSIGNMENT_IDS = ["first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project", "dcgan"]
TIMING_KEYS = {"execution_time"}
MISTAKE_LISTS = ("MISTAKES", "IN_PROCESS_MISTAKES", "GPU_MISTAKES")


def cases(assignment: str, work: Path) -> list[tuple[str, Path]]:
    """(case name, submission path) for every fixture of one assignment, built under ``work``."""
    sys.path[:0] = [str(TESTS), str(REPO)]
    import helpers
    from helpers import Mistake

    from autograder.paths import release_dir, solution_dir

    module = importlib.import_module(f"test_{assignment}")
    out = [("reference", solution_dir(assignment)), ("release", release_dir(assignment))]
    folder = work / assignment
    folder.mkdir(parents=True, exist_ok=True)
    mistakes: list = []
    for list_name in MISTAKE_LISTS:
        mistakes += [(f"{list_name.lower()}.{m.name}", m) for m in getattr(module, list_name, [])]
    mistakes += [(f"style.{name}", Mistake(name, edits, []))
                 for name, edits in sorted(getattr(module, "STYLES", {}).items())]
    for case, mistake in mistakes:
        dest = folder / case
        helpers.submission_from(assignment, dest, mistake.edits)
        if assignment == "gan_project":  # as tests/test_gan_project.py's grade_alone
            edited = {target.split(":", 1)[1] for target, _, _ in mistake.edits}
            for mine, other in (("train_torch.py", "train_pl.py"), ("train_pl.py", "train_torch.py")):
                if mine in edited and other not in edited:
                    shutil.copy(release_dir(assignment) / other, dest / other)
        out.append((case, dest))
    return out


def canonical(data: dict, case_dir: Path) -> dict:
    """``data`` without timings, with the checkout's and the case's paths as placeholders."""
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in TIMING_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return value.replace(str(case_dir), "<CASE>").replace(str(REPO), "<REPO>")
        return value
    return clean(data)


def grade_case(assignment: str, case: str, path: Path, out_dir: Path) -> str:
    target = out_dir / assignment / f"{case}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, str(path),
                               "--out", str(results)], cwd=REPO, capture_output=True, text=True)
        if not results.exists():
            target.write_text(json.dumps({"error": f"exit {proc.returncode}",
                                          "stderr": proc.stderr[-2000:]}, indent=1) + "\n")
            return f"{assignment}/{case}: NO RESULTS (exit {proc.returncode})"
        data = canonical(json.loads(results.read_text()), path)
    target.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return f"{assignment}/{case}: {data['score']:g} / {data['max_score']:g}"


def take(out_dir: Path, jobs: int, only: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="snapshot-cases-"))
    try:
        todo = [(a, case, path) for a in only for case, path in cases(a, work)]
        print(f"{len(todo)} cases", flush=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for line in pool.map(lambda t: grade_case(*t, out_dir), todo):
                print(line, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(before: Path, after: Path) -> int:
    names = sorted({p.relative_to(before) for p in before.rglob("*.json")}
                   | {p.relative_to(after) for p in after.rglob("*.json")})
    bad = 0
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"{name}: only in {'after' if not a.exists() else 'before'}")
            bad += 1
            continue
        if a.read_bytes() != b.read_bytes():
            bad += 1
            print(f"{name}: DIFFERS")
            sys.stdout.writelines(difflib.unified_diff(a.read_text().splitlines(True),
                                                       b.read_text().splitlines(True),
                                                       str(a), str(b), n=1))
    print(f"{len(names)} cases compared, {bad} differ")
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    t = verbs.add_parser("take")
    t.add_argument("out", type=Path)
    t.add_argument("--jobs", type=int, default=2)
    t.add_argument("--only", default=",".join(ASSIGNMENT_IDS))
    c = verbs.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.verb == "take":
        os.environ.setdefault("GAN_COURSE_DATA", "/work/shared/data/mnist")
        take(args.out, args.jobs, args.only.split(","))
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
