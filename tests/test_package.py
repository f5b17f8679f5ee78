"""Grading where courses grade: the Gradescope zip, the GitHub Classroom workflow, feedback pages."""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from autograder import ASSIGNMENTS
from autograder.__main__ import build_parser, main
from autograder.grading.pages import html, markdown, write_feedback
from autograder.instructor import package as package_module
from autograder.instructor.package import COURSE, PackageError, package
from autograder.paths import REPO, release_dir, solution_dir
from tests.helpers import full_marks
from tests.test_cli import validate_gradescope

ASSIGNMENT = "first_gan"
FULL_MARKS = int(full_marks(ASSIGNMENT))
WORKFLOW = REPO / "classroom" / "github-classroom.yml"


# --- the Gradescope zip ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory) -> Path:
    return package("gradescope", ASSIGNMENT, tmp_path_factory.mktemp("dist"))


def unpack(zip_path: Path, root: Path) -> Path:
    """Lay ``root`` out like Gradescope's ``/autograder``; return ``root/run_autograder``."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, root / "source"))
            path.chmod((info.external_attr >> 16) & 0o777)  # zipfile drops the permissions
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    return root / "run_autograder"


def run_autograder(root: Path, command: Path | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``run_autograder`` as Gradescope does, with ``gan-grader`` written as pip writes it."""
    from tests.test_shadowing import console_script

    command = command or console_script(root / "bin")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable,
               AUTOGRADER_COMMAND=str(command))
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(data)
    return proc, data


def test_the_zip_holds_the_grader_and_the_release_but_no_solutions(gradescope_zip):
    with zipfile.ZipFile(gradescope_zip) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
    course = f"{COURSE}/"
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111, "scripts must be executable"
    assert all(n in ("setup.sh", "run_autograder") or n.startswith(course) for n in names)
    for needed in ("autograder/grading/grade.py", "autograder/assignments/first_gan.py",
                   "gan_course/__init__.py", "assignments/first_gan/first_gan.ipynb",
                   "requirements.txt", "pyproject.toml"):
        assert course + needed in names, f"{needed} is missing from the zip"
    for name in names:
        parts = name.split("/")
        assert not {"solutions", "tests", ".git", "data", "__pycache__"} & set(parts), name
        assert not name.endswith((".pyc", ".gz", "-ubyte")), name
        assert b"BEGIN SOLUTION" not in contents[name], f"{name} carries a solution marker"
        assert b"BEGIN HIDDEN TESTS" not in contents[name], f"{name} carries hidden tests"
    for name in names:  # the only .pct.py is the release's twin, not the solution's
        if name.endswith(".pct.py"):
            rel = name.removeprefix(course + f"assignments/{ASSIGNMENT}/")
            assert contents[name] == (release_dir(ASSIGNMENT) / rel).read_bytes()
    print(f"zip: {gradescope_zip.stat().st_size} bytes, {len(names)} files")


def test_the_scripts_parse_and_run_the_unpacked_grader(gradescope_zip, tmp_path):
    script = unpack(gradescope_zip, tmp_path)
    for name in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / "source" / name)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
    text = script.read_text()
    assert 'cd "$course"' in text and f'course="$root/source/{COURSE}"' in text
    assert 'export PYTHONPATH="$course' in text
    assert f'"$grader" grade {ASSIGNMENT} "$root/submission" --out "$results"' in text
    assert 'grader="${AUTOGRADER_COMMAND:-gan-grader}"' in text
    assert f"-m autograder grade {ASSIGNMENT} \"$root/submission\" --out \"$results\"" in text  # no gan-grader
    setup = (tmp_path / "source" / "setup.sh").read_text()
    assert f'cd "$(dirname "$0")/{COURSE}"' in setup and "-r requirements.txt" in setup
    assert "gan-grader --help" in setup


def test_every_grader_module_comes_from_the_unpacked_copy(gradescope_zip, tmp_path):
    # Here the repo is installed in editable mode, so a module missing from the zip would
    # silently be imported from the repo: import each one from the unpacked copy and look.
    unpack(gradescope_zip, tmp_path)
    course = tmp_path / "source" / COURSE
    modules = [".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
               for package_name in ("autograder", "gan_course")
               for p in sorted((REPO / package_name).rglob("*.py"))
               if p.relative_to(REPO).as_posix() not in package_module.INSTRUCTOR_ONLY
               and p.name != "__main__.py"]
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    print(name, importlib.import_module(name).__file__)\n")
    proc = subprocess.run([sys.executable, "-c", code, *modules], cwd=course,
                          env=dict(os.environ, PYTHONPATH=str(course)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    outside = [name for name, file in files.items() if not file.startswith(str(course))]
    assert not outside, f"not in the zip (imported from the repo instead): {outside}"


def test_gradescope_grades_a_solved_submission_with_full_marks(gradescope_zip, tmp_path):
    unpack(gradescope_zip, tmp_path)
    shutil.copytree(solution_dir(ASSIGNMENT), tmp_path / "submission", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.pct.py", "__pycache__"))
    proc, data = run_autograder(tmp_path)
    assert data["score"] == data["max_score"] == FULL_MARKS
    grader = tmp_path / "source" / COURSE / "autograder" / "__init__.py"
    assert f"grader: {grader}" in proc.stdout, "the grader must be the unpacked copy"


def test_gradescope_grades_the_untouched_release_with_zero(gradescope_zip, tmp_path):
    unpack(gradescope_zip, tmp_path)
    shutil.copytree(release_dir(ASSIGNMENT), tmp_path / "submission", dirs_exist_ok=True)
    _, data = run_autograder(tmp_path)
    assert data["score"] == 0 and data["max_score"] == FULL_MARKS


def test_a_broken_grader_still_writes_a_zero_with_the_error(gradescope_zip, tmp_path):
    unpack(gradescope_zip, tmp_path)
    shutil.copytree(release_dir(ASSIGNMENT), tmp_path / "submission", dirs_exist_ok=True)
    # Break the unpacked copy only: the error shows that this copy, not the repo, grades.
    main_py = tmp_path / "source" / COURSE / "autograder" / "__main__.py"
    main_py.write_text("raise RuntimeError('grader broken on purpose')\n")
    _, data = run_autograder(tmp_path)
    assert data["score"] == 0 and data["tests"] == []
    assert "could not grade this submission" in data["output"]
    assert "grader broken on purpose" in data["output"]


def test_package_needs_a_release(monkeypatch, tmp_path):
    monkeypatch.setattr(package_module, "release_dir", lambda assignment: tmp_path / "none")
    with pytest.raises(PackageError, match="python -m autograder release first_gan"):
        package("gradescope", ASSIGNMENT, tmp_path)


# --- the GitHub Classroom workflow ---------------------------------------------------------------

def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def commands(flow: dict) -> list[list[str]]:
    """Every ``gan-grader ...`` command of the workflow, with its env filled in."""
    env = {k: str(v) for k, v in flow.get("env", {}).items()}
    found = []
    for job in flow["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").replace("\\\n", " ").splitlines():
                if "gan-grader" not in line:
                    continue
                for key, value in env.items():
                    line = line.replace(f"${{{key}}}", value).replace(f"${key}", value)
                lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                words = list(lexer)
                words = words[words.index("gan-grader"):]
                end = [i for i, w in enumerate(words) if set(w) <= set("|&;<>()")]
                found.append(words[: end[0]] if end else words)
    return found


def test_classroom_workflow_runs_on_push_and_pins_the_course_grader():
    flow = workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    env = flow["env"]
    assert {"COURSE_REPO", "COURSE_REF", "COURSE_SHA256", "ASSIGNMENT"} <= set(env)
    assert env["ASSIGNMENT"] in ASSIGNMENTS
    text = WORKFLOW.read_text()
    assert "$COURSE_REPO" in text and "$COURSE_REF" in text and "sha256sum" in text
    assert "setup-python" in text and '"3.11"' in text
    assert "GITHUB_STEP_SUMMARY" in text


def test_classroom_workflow_commands_are_valid_cli_invocations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "submission" / "assignments" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "results.json").write_text("{}")
    lines = commands(workflow())
    verbs = [words[1] for words in lines]
    assert "grade" in verbs and "report" in verbs
    assert "-m autograder" not in WORKFLOW.read_text(), "the workflow runs the console script"
    for words in lines:
        assert words[0] == "gan-grader", words  # never a copy in the current folder
        args = build_parser().parse_args(words[1:])  # exits (fails the test) when invalid
        if args.verb == "grade":
            assert args.assignment == workflow()["env"]["ASSIGNMENT"]
            # The student's checkout, laid out like the release, graded from outside it.
            assert args.path == Path("submission") / "assignments" / ASSIGNMENT
            assert args.out == Path("results.json")


# --- feedback pages ------------------------------------------------------------------------------

RESULTS = {
    "score": 3.0,
    "max_score": 5.0,
    "output": "first_gan: 3 / 5 points\nget_noise has a syntax error (line 2).",
    "tests": [
        {"name": "Generator shape [generator]", "score": 2.0, "max_score": 2.0,
         "status": "passed", "output": "Passed.", "visibility": "visible"},
        {"name": "get_disc_loss detaches [disc_loss]", "score": 0.0, "max_score": 2.0,
         "status": "failed", "visibility": "visible",
         "output": "Expected 0.69, observed 1.3: did you forget `.detach()`? "
                   "Your code printed <script>alert(1)</script> | [x](javascript:y)"},
        {"name": "Noise sampler [noise]", "score": 1.0, "max_score": 1.0, "status": "passed",
         "output": "Passed.", "visibility": "after_published"},
    ],
}


@pytest.mark.parametrize("render", [markdown, html])
def test_feedback_lists_score_notes_and_failed_checks_first(render):
    page = render(RESULTS)
    assert "Score: 3 / 5" in page
    assert "get_noise has a syntax error" in page
    failed = page.index("get_disc_loss detaches")
    assert failed < page.index("Generator shape") and failed < page.index("Noise sampler")
    assert ("did you forget `.detach()`?" in page
            or "did you forget <code>.detach()</code>?" in page)


@pytest.mark.parametrize("render", [markdown, html])
def test_feedback_escapes_student_output(render):
    page = render(RESULTS)
    assert "<script>" not in page
    # HTML escapes every <, >, &; Markdown only what would start a tag (the raw file stays
    # readable: "x >= 0", not "x &gt;= 0")
    assert ("&lt;script&gt;alert(1)&lt;/script&gt;" if render is html
            else "&lt;script>alert(1)&lt;/script>") in page


def test_html_feedback_is_self_contained():
    page = html(RESULTS)
    assert "<script" not in page and "src=" not in page and "http" not in page.lower().replace(
        "http-equiv", "")
    assert "default-src 'none'" in page


def test_report_cli_writes_markdown_html_and_classroom_points(tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    assert main(["report", "html", str(results), "--out", str(tmp_path / "f.html")]) == 0
    assert "&lt;script&gt;" in (tmp_path / "f.html").read_text()
    assert main(["report", "markdown", str(results)]) == 0
    assert "**Score: 3 / 5**" in capsys.readouterr().out
    assert main(["report", "classroom", str(results)]) == 0
    points = json.loads(base64.b64decode(capsys.readouterr().out))
    assert points["max_score"] == 5 and sum(t["score"] for t in points["tests"]) == 3
    assert [t["status"] for t in points["tests"]] == ["pass", "fail", "pass"]
    (tmp_path / "bad.json").write_text("not json")
    assert main(["report", "html", str(tmp_path / "bad.json")]) == 2


def test_write_feedback_writes_both_pages(tmp_path):
    write_feedback(RESULTS, tmp_path)
    assert "Score: 3 / 5" in (tmp_path / "feedback.md").read_text()
    assert "Score: 3 / 5" in (tmp_path / "feedback.html").read_text()


def test_grade_all_writes_feedback_next_to_results(tmp_path):
    from autograder.grading.batch import grade_all

    submissions = tmp_path / "submissions"
    shutil.copytree(release_dir(ASSIGNMENT), submissions / "ada")
    grade_all(ASSIGNMENT, submissions, tmp_path / "graded", progress=False)
    student = tmp_path / "graded" / "ada"
    assert {"results.json", "feedback.md", "feedback.html"} <= {p.name for p in student.iterdir()}
    assert f"Score: 0 / {FULL_MARKS}" in (student / "feedback.html").read_text()
