"""Package the grader for a grading service: ``python -m autograder package gradescope ID``.

Gradescope unpacks the autograder zip into ``/autograder/source``, runs ``setup.sh`` once to
build its image, then, for each submission, copies ``run_autograder`` to
``/autograder/run_autograder`` and runs it with the student's files in
``/autograder/submission``; it reads the score from ``/autograder/results/results.json``.

The zip holds, at its top level, those two scripts and, under ``course/``, exactly what grading
needs: the grader (``autograder/``, without ``autograder/instructor/``: release, sync and
package), ``gan_course/``, the assignment's release (the grader runs its provided cells) and the
install files. Never the reference solutions, the course's tests, git history, data or MNIST:
the builder refuses a file that carries a solution marker.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from autograder import ASSIGNMENTS
from autograder.paths import REPO, release_dir, solution_dir

TARGETS = ("gradescope",)
COURSE = "course"  # the folder inside the zip: /autograder/source/course on Gradescope
PACKAGES = ("autograder", "gan_course")
INSTALL_FILES = ("requirements.txt", "pyproject.toml", "nbgrader_config.py")
# What instructors run (release, sync, package): grading never imports it, and release.py names
# the solution markers. The folder is left out of the zip: what ships follows from the folders.
INSTRUCTOR = "autograder/instructor"
INSTRUCTOR_ONLY = tuple(sorted(p.relative_to(REPO).as_posix() for p in (REPO / INSTRUCTOR).rglob("*.py")))
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".git", "solutions", "tests", "MNIST"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".gz", ".zip", "-ubyte", ".pt", ".ckpt")  # data, MNIST
# ...except the evaluator's own small artifacts: the trained-generator check judges with them.
SHIPPED_ARTIFACTS = ("gan_course/mnist_classifier.pt", "gan_course/mnist_test_features.pt")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same files give the same zip


class PackageError(Exception):
    """The zip cannot be built; the message says what to do."""


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# It installs Python if the image has none, then the course exactly as a fresh clone does:
# `pip install -r requirements.txt` from the course folder (which installs the grader editable).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_BREAK_SYSTEM_PACKAGES=1  # Ubuntu 23.04+ refuses system-wide pip installs otherwise
cd "$(dirname "$0")/@COURSE@"

if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3 python3-pip python3-venv
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
    echo "setup.sh: the course needs Python >= 3.10; choose Ubuntu 22.04 or later as the" \
         "autograder's base image" >&2
    exit 1
}
# Gradescope has no GPU: the CPU build of torch is about 2 GB smaller than the CUDA one.
python3 -m pip install -q torch torchvision --index-url https://download.pytorch.org/whl/cpu \
    || echo "setup.sh: CPU wheels unavailable, requirements.txt installs torch from PyPI" >&2
python3 -m pip install -q -r requirements.txt
# A broken install fails the image build, not a student; run_autograder uses this command.
gan-grader --help >/dev/null
echo "setup.sh: the @ASSIGNMENT@ grader is installed"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades /autograder/submission with the course's
# grader and writes /autograder/results/results.json. AUTOGRADER_ROOT replaces /autograder
# (to try it locally), AUTOGRADER_PYTHON replaces python3, AUTOGRADER_COMMAND replaces gan-grader
# (the console script setup.sh installs: it never imports from the current folder).
#
# Whatever happens, a valid results.json is written: when grading itself fails, score 0 and the
# error, so a student never sees a blank result. Student code runs in the grader's sandbox
# (docs/grading.md): as root, in its own namespaces with every capability dropped.
#
# Everything is inside main, which bash reads whole before running any of it: a submission that
# rewrites this file while it is graded changes nothing.
set -uo pipefail

main() {
    local root="${AUTOGRADER_ROOT:-/autograder}"
    local python="${AUTOGRADER_PYTHON:-python3}"
    local grader="${AUTOGRADER_COMMAND:-gan-grader}"
    local course="$root/source/@COURSE@"
    local results="$root/results/results.json"
    local errors status
    mkdir -p "$root/results"
    rm -f "$results"
    errors="$(mktemp)"

    # The grader is the unpacked copy (never a student's file): run from it, import from it.
    cd "$course" || { write_error "the grader's folder $course is missing" "$errors"; return 0; }
    export PYTHONPATH="$course${PYTHONPATH:+:$PYTHONPATH}"
    # The submission's code must not see or touch the results folder (autograder/child/jail.py).
    export GAN_COURSE_HIDE="$root/results${GAN_COURSE_HIDE:+:$GAN_COURSE_HIDE}"
    "$python" -c 'import autograder, autograder.grading.sandbox as s; print("grader:", autograder.__file__);
print("sandbox:", s.jail_kind())'

    # The installed command; without it, `python -m autograder` from the grader's own folder
    # (never from the submission's: a planted autograder/ there would run instead).
    if command -v "$grader" >/dev/null; then
        "$grader" grade @ASSIGNMENT@ "$root/submission" --out "$results" 2>"$errors"
    else
        echo "run_autograder: $grader not found, running $python -m autograder from $course" >&2
        "$python" -m autograder grade @ASSIGNMENT@ "$root/submission" --out "$results" 2>"$errors"
    fi
    status=$?
    cat "$errors" >&2
    if [ "$status" -ne 0 ] || [ ! -s "$results" ]; then
        write_error "grading stopped with exit code $status" "$errors"
    fi
    rm -f "$errors"
    return 0
}

# results.json with score 0, what went wrong and the end of the grader's error output.
write_error() {
    echo "run_autograder: $1" >&2
    if ! MESSAGE="$1" ERRORS="$2" "$python" -I - "$results" <<'PY'
import json, os, sys
try:
    with open(os.environ["ERRORS"], encoding="utf-8", errors="replace") as f:
        tail = f.read()[-3000:].strip()
except OSError:
    tail = ""
text = ("The autograder could not grade this submission (" + os.environ["MESSAGE"] + "). "
        "This is not a grade: your files were received; please tell your instructor.")
if tail:
    text += "\n\nThe grader's error output ended with:\n" + tail
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({"score": 0, "max_score": 0, "output": text, "tests": []}, f, indent=2)
PY
    then  # no usable Python at all: the same result, without the error output
        printf '%s %s %s\n' '{"score": 0, "max_score": 0, "tests": [], "output": "The autograder could' \
            'not grade this submission. This is not a grade: your files were received; please' \
            'tell your instructor."}' >"$results"
    fi
}

main "$@"; exit $?
"""


def stale_files(assignment: str) -> list[str]:
    """Files of ``assignments/<id>`` that differ from a fresh release of ``solutions/<id>``."""
    from autograder.instructor.release import build, differences

    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / assignment
        build(assignment, fresh)
        return differences(fresh, release_dir(assignment))


def course_files(assignment: str) -> list[Path]:
    """What grading ``assignment`` needs, as paths relative to the repository, sorted."""
    roots = [REPO / p for p in PACKAGES] + [release_dir(assignment)]
    files = [REPO / name for name in INSTALL_FILES if (REPO / name).is_file()]
    for root in roots:
        files += [p for p in root.rglob("*") if p.is_file()]
    keep = []
    for path in files:
        rel = path.relative_to(REPO)
        if rel.as_posix().startswith(f"{INSTRUCTOR}/") or SKIPPED_PARTS & set(rel.parts[:-1]):
            continue
        if (rel.name.endswith(SKIPPED_SUFFIXES) and rel.as_posix() not in SHIPPED_ARTIFACTS) \
                or rel.name.startswith("."):
            continue
        keep.append(rel)
    return sorted(keep)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def gradescope(assignment: str, out: Path) -> Path:
    """Write ``out/gradescope-<id>.zip`` and return its path."""
    from autograder.instructor.release import MARKERS

    files = course_files(assignment)
    for rel in files:
        text = (REPO / rel).read_bytes().decode("utf-8", "replace")
        found = [m for m in MARKERS if m in text]
        if found:
            raise PackageError(f"{rel} contains {found[0]!r}: a solution or hidden test would "
                               "reach the autograder zip. Release the assignment again.")
    target = Path(out) / f"gradescope-{assignment}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    fill = {"@ASSIGNMENT@": assignment, "@COURSE@": COURSE}
    scripts = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER}
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name, script in scripts.items():
            for key, value in fill.items():
                script = script.replace(key, value)
            _add(archive, name, script.encode(), 0o755)
        for rel in files:
            _add(archive, f"{COURSE}/{rel.as_posix()}", (REPO / rel).read_bytes(), 0o644)
    tmp.replace(target)
    return target


def package(target: str, assignment: str, out: Path | None = None) -> Path:
    """Build the ``target`` service's autograder for ``assignment`` into ``out`` (``dist/``)."""
    if target not in TARGETS or assignment not in ASSIGNMENTS:
        raise PackageError(f"cannot package {assignment!r} for {target!r}")
    if not release_dir(assignment).is_dir():
        raise PackageError(f"assignments/{assignment} does not exist: run "
                           f"`python -m autograder release {assignment}` first")
    if solution_dir(assignment).is_dir():
        stale = stale_files(assignment)
        if stale:
            raise PackageError(f"assignments/{assignment} is out of date ({', '.join(stale)}): "
                               f"run `python -m autograder release {assignment}` first")
    return gradescope(assignment, out or REPO / "dist")
