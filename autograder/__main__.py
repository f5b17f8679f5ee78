"""Command line: ``gan-grader VERB ...``, or ``python -m autograder VERB ...`` (see ``--help``).

Run as a program, nothing is imported before :func:`autograder.safe_start.guard` has taken the
current folder off ``sys.path`` (not even ``__future__``): a student's ``torch/`` or
``argparse.py`` in the folder the grader is started from must not run in the grader's process.
"""

import sys

from autograder import safe_start

if __name__ == "__main__" or safe_start.is_console(sys.argv):  # not when a test imports main
    safe_start.start()

import argparse  # noqa: E402 - only now that sys.path is safe
from pathlib import Path  # noqa: E402

from autograder import ASSIGNMENTS  # noqa: E402


def _assignment(value: str) -> str:
    if value not in ASSIGNMENTS:
        raise argparse.ArgumentTypeError(
            f"unknown assignment {value!r}; choose one of: {', '.join(ASSIGNMENTS)}")
    return value


def _existing(value: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: {value}")
    return path


def _prog() -> str:
    """How the grader was started: the console script, or ``python -m autograder``."""
    return safe_start.PROG_SCRIPT if safe_start.is_console(sys.argv) else "python -m autograder"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_prog(), description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)

    g = verbs.add_parser("grade", help="grade one submission (notebook or folder)")
    g.add_argument("assignment", type=_assignment)
    g.add_argument("path", type=_existing, help="the submitted notebook or submission folder")
    g.add_argument("--out", type=Path, help="write Gradescope results.json here")

    b = verbs.add_parser("grade-all", help="grade a folder of submissions (one per student)")
    b.add_argument("assignment", type=_assignment)
    b.add_argument("submissions", type=_existing, help="folder: one sub-folder or notebook each")
    b.add_argument("--out", type=Path, required=True, help="results/<student>/results.json here")
    b.add_argument("--jobs", type=int, default=1, help="submissions graded at once")
    b.add_argument("--no-summary", action="store_true",
                   help="skip the class summary (terminal and OUT/summary.html)")

    c = verbs.add_parser("check", help="students: run the visible checks on your work")
    c.add_argument("assignment", type=_assignment)
    c.add_argument("path", type=_existing)

    u = verbs.add_parser("submit", help="students: run the visible checks and write NAME.zip "
                         "holding exactly what the grader needs")
    u.add_argument("assignment", type=_assignment)
    u.add_argument("path", type=_existing, help="your notebook, or your assignment folder")
    u.add_argument("--name", help="your name, for the zip (default: your folder's or login name)")
    u.add_argument("--out", type=Path, help="folder for NAME.zip (default: the current folder)")
    u.add_argument("--no-check", action="store_true", help="only pack: skip the visible checks")

    r = verbs.add_parser("release", help="instructors: build assignments/ from solutions/")
    r.add_argument("assignments", nargs="*", type=_assignment, default=list(ASSIGNMENTS))
    r.add_argument("--check", action="store_true",
                   help="only report whether assignments/ is up to date (exit 1 if not)")

    s = verbs.add_parser("sync", help="regenerate .ipynb notebooks from their .pct.py twins")
    s.add_argument("assignments", nargs="*", type=_assignment, default=list(ASSIGNMENTS))

    k = verbs.add_parser("package", help="instructors: build the autograder zip for Gradescope")
    k.add_argument("target", choices=["gradescope"])
    k.add_argument("assignment", type=_assignment)
    k.add_argument("--out", type=Path, help="folder for gradescope-ID.zip (default: dist/)")

    e = verbs.add_parser("evaluate", help="the figures of a trained generator (checkpoint or submission folder)")
    e.add_argument("assignment", type=_assignment)
    e.add_argument("path", type=_existing, help="a checkpoint (generator.pt, checkpoint.pt) or its submission folder")
    e.add_argument("--out", type=Path, default=Path("evaluation"), help="folder for the JSON and the PNGs")
    e.add_argument("--n", type=int, default=5000, help="samples to draw")

    f = verbs.add_parser("report", help="a student's feedback page from a results.json")
    f.add_argument("format", choices=["markdown", "html", "classroom"])
    f.add_argument("results", type=_existing, help="a results.json written by grade")
    f.add_argument("--out", type=Path, help="write the page here (default: print it)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verb in ("grade", "check"):
        from autograder.grading.grade import grade
        from autograder.grading.results import table, write_json
        from autograder.grading.sandbox import SandboxError

        visibility = "all" if args.verb == "grade" else "visible"
        try:
            result = grade(args.assignment, args.path, visibility=visibility)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except SandboxError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        print(table(result, color=sys.stdout.isatty()))
        if getattr(args, "out", None):
            write_json(result.to_gradescope(), args.out)
            print(f"results written to {args.out}")
        return 0
    if args.verb == "grade-all":
        return grade_all_verb(args)
    if args.verb == "submit":
        from autograder.submit import submit

        return submit(args.assignment, args.path, args.name, args.out,
                      run_checks=not args.no_check)
    if args.verb == "release":
        from autograder.instructor.release import release

        stale = release(args.assignments, check_only=args.check)
        return 1 if (args.check and stale) else 0
    if args.verb == "package":
        from autograder.instructor.package import PackageError, package

        try:
            print(f"wrote {package(args.target, args.assignment, args.out)}")
        except PackageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.verb == "report":
        from autograder.grading.pages import report

        return report(args.format, args.results, args.out)
    if args.verb == "evaluate":
        from autograder.grading.evaluate import main as evaluate

        return evaluate(args.assignment, args.path, args.out, args.n)
    if args.verb == "sync":
        from autograder.instructor.sync import sync

        sync(args.assignments)
        return 0
    return 2


def grade_all_verb(args) -> int:
    """grade-all: 0 when done, 130/143 when stopped by SIGINT/SIGTERM, 2 when it cannot start."""
    from autograder.grading.batch import BatchError, grade_all

    try:
        batch = grade_all(args.assignment, args.submissions, args.out, jobs=args.jobs)
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = {k: sum(s["status"] == k for s in batch.statuses) for k in ("graded", "cached", "error")}
    errors = {s["student"]: s["error"] for s in batch.statuses if s["status"] == "error"}
    for s in batch.statuses:
        if s["status"] == "error":
            print(f"  {s['student']}: {s['error']}", file=sys.stderr)
        if s.get("warning"):
            print(f"  {s['student']}: {s['warning']}", file=sys.stderr)
    if not args.no_summary and not batch.interrupted:
        from autograder.grading.summary import write

        text, page = write(args.out, args.assignment, batch.results, errors, batch.not_graded)
        print(text)
        print(f"class summary: {page}")
    print(f"{counts['graded']} graded, {counts['cached']} already graded, "
          f"{counts['error']} errors; gradebook: {batch.gradebook} "
          f"({len(batch.results)} of {batch.total} students)")
    if batch.not_graded:
        print(f"not in the gradebook (not graded): {', '.join(batch.not_graded)}")
    if batch.interrupted:
        print(f"interrupted: {len(batch.results)} of {batch.total} graded; run again to continue",
              file=sys.stderr)
        return 130 if batch.interrupted == "SIGINT" else 143
    return 0


if __name__ == "__main__":
    sys.exit(main())
