"""Grade one submission: load it, observe it in a sandbox, judge every check here.

``grade`` runs every check; ``check`` (students' self-check) runs only the visible ones. Both
return a :class:`~autograder.grading.results.Result`; the exit code never depends on the score.
"""

from __future__ import annotations

from pathlib import Path

from autograder import protocol
from autograder.checks import HIDDEN, VISIBLE, Assignment, Check, ObservationError, Verdict
from autograder.grading import feedback, sandbox, submission
from autograder.grading.results import CheckResult, Result
from autograder.probes import trained


def judge(check: Check, outcome: dict | None) -> Verdict:
    """Turn one step's outcome (observation or error) into a verdict. Never raises."""
    if not isinstance(outcome, dict):
        return Verdict(False, "This check was not run (an earlier step stopped the grader's "
                       "process).")
    if "error" in outcome:
        return Verdict(False, feedback.explain(outcome["error"], check.title))
    try:
        verdict = check.judge(outcome.get("observation"), check.params)
    except (ObservationError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return Verdict(False, f"The grader could not read what your code reported ({exc}); "
                       "did your code replace parts of torch or of the grader?")
    if not isinstance(verdict, Verdict):
        return Verdict(False, "The grader could not judge this check.")
    return verdict


def wrong_assignment(assignment: Assignment, path: Path) -> str | None:
    """A note when the notebook at ``path`` is another assignment's (by its cells' grade_ids)."""
    from autograder import ASSIGNMENTS
    from autograder.paths import release_dir

    def ids(nb_path: Path) -> set[str]:
        try:
            nb = submission.read_notebook(nb_path)
        except (submission.SubmissionError, OSError):
            return set()
        return {gid for c in nb["cells"] if c.get("cell_type") == "code"
                for gid in [submission.grade_id(c)] if gid}

    mine = ids(path)
    if not mine:
        return None
    notebooks = {other: (assignment if other == assignment.id else Assignment.load(other)).notebook
                 for other in ASSIGNMENTS}
    overlap = {}
    for other, name in notebooks.items():
        if name:
            overlap[other] = len(mine & ids(release_dir(other) / name))
    best = max(overlap, key=overlap.get)
    if best != assignment.id and overlap[best] > overlap.get(assignment.id, 0):
        return (f"This notebook looks like {best}'s ({notebooks[best]}), not {assignment.id}'s: "
                f"its cells are those of {best}. Did you pass the wrong file? Grade it with "
                f"`python -m autograder check {best} ...`, or submit "
                f"{assignment.notebook or assignment.id} for {assignment.id}.")
    return None


def grade(assignment: str, path: Path, visibility: str = "all",
          limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> Result:
    """Grade the notebook, folder or submission zip at ``path``; ``visibility`` "visible" skips
    hidden checks (a student's self-check)."""
    return grade_assignment(Assignment.load(assignment), Path(path), visibility, limits)


def grade_assignment(assignment: Assignment, path: Path, visibility: str = "all",
                     limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> Result:
    """:func:`grade` with the assignment already loaded (once for the whole grading)."""
    if path.is_file() and path.suffix == ".zip":  # written by `python -m autograder submit`
        import tempfile

        from autograder.submit import unpack

        with tempfile.TemporaryDirectory(prefix="gan-submission-") as folder:
            try:
                unpack(path, Path(folder))
            except submission.SubmissionError as exc:
                return _not_graded(assignment, path, visibility, exc)
            result = grade_assignment(assignment, Path(folder), visibility, limits)
            result.source = f"{path} ({result.source.replace(folder, '').lstrip('/') or 'zip'})"
            return result
    checks = assignment.selected(visibility)
    result = Result(assignment=assignment.id, source=str(path))
    result.hidden_points = sum(c.points for c in assignment.checks if c not in checks)
    try:
        program = submission.load(assignment, path)
    except submission.SubmissionError as exc:
        result.notes.append(str(exc))
        result.checks = [CheckResult(c.name, c.group, c.title, 0.0, c.points,
                                     f"Not graded: {exc}", c.visibility) for c in checks]
        return result
    result.source = program.source
    if program.kind == "notebook":
        wrong = wrong_assignment(assignment, Path(program.source))
        if wrong:
            result.notes.append(wrong)
    result.notes += program.notes
    trained.attach(program, checks, assignment.id, path)
    request = protocol.request(assignment.id, program, [(c.name, c.params) for c in checks])
    short = min(limits.statement_timeout, limits.cell_timeout)
    steps = [(c["step"], short if c.get("statement") else limits.cell_timeout)
             for c in program.cells] if program.kind == "notebook" else \
        [(s, limits.cell_timeout) for s in program.setup_steps]
    steps += [(c.name, min(c.timeout, limits.check_timeout)) for c in checks]
    run = sandbox.observe(request, steps, program.files, limits)
    cells = {c["step"]: c for c in program.cells}
    missing = {name for m in program.matching if m["how"] == "missing" for name in m["names"]}
    for step in program.setup_steps:
        error = run.steps.get(step, {}).get("error")
        if error:
            cell = cells.get(step, {})
            note = feedback.cell_note(step, error, cell.get("origin", protocol.STUDENT),
                                      label=cell.get("label"), missing=missing)
            if note:
                result.notes.append(note)
    result.matching = program.matching
    restored = sorted({name for outcome in run.steps.values() if isinstance(outcome, dict)
                       for name in outcome.get("restored", [])})
    if restored:
        result.notes.append("Your code replaced parts of torch or Python that the grader uses ("
                            + ", ".join(restored[:8]) + "): the grader put the originals back "
                            "before observing your code.")
    result.notes.append(run.describe())
    for check in checks:
        outcome = run.steps.get(check.name)
        if isinstance(outcome, dict) and isinstance(outcome.get("error"), dict) \
                and outcome["error"].get("kind") == "missing" and program.kind == "notebook":
            outcome = {"error": dict(outcome["error"], kind="missing_in_notebook",
                                     matched=_matched_cell(program.matching,
                                                           outcome["error"].get("name")))}
        verdict = judge(check, outcome)
        score = check.points if verdict.passed else 0.0
        if verdict.score is not None:  # partial credit
            score = round(check.points * min(max(float(verdict.score), 0.0), 1.0), 3)
        result.checks.append(CheckResult(check.name, check.group, check.title, score,
                                         check.points, verdict.message, check.visibility))
    not_charged_twice(checks, result.checks)
    credit_only_for_working_code(checks, result.checks)
    if program.kind == "notebook":
        reads = globals_left_behind(program, run.steps)
        result.notes += reads.values()
        for check, r in zip(checks, result.checks, strict=True):
            if check.group in reads and not r.passed:
                r.message = f"{r.message} ({reads[check.group]})"
    result.seconds = run.seconds
    return result


def not_charged_twice(checks: list[Check], results: list[CheckResult]) -> None:
    """A check that runs other functions as written, failing where one of them fails its own
    checks, is blocked by that function: it says so, and the mistake is not charged twice."""
    # Groups that fail a check of their own (not one that runs other groups' code as written).
    failed_groups = {r.group for c, r in zip(checks, results, strict=True)
                     if not r.passed and not c.uses}
    for check, r in zip(checks, results, strict=True):
        blockers = [g for g in check.uses if g in failed_groups and g != check.group]
        if r.passed or not blockers or check.group in failed_groups:
            continue
        names = " and ".join(f"`{g}`" for g in blockers)
        r.score = r.max_score
        r.message = (f"Blocked by {names} (see {'their' if len(blockers) > 1 else 'its'} checks "
                     f"above), so not charged again: this check runs your {names} as written. "
                     f"Once {names} pass{'' if len(blockers) > 1 else 'es'}, this is what it "
                     f"says: {r.message}")


def credit_only_for_working_code(checks: list[Check], results: list[CheckResult]) -> None:
    """A secondary check (``Check.needs``: device, hidden variant, freshness, mode) earns its
    points only while the main check of its function passes: code that does not work earns
    nothing for running on ``meta`` or for drawing fresh noise. A main check credited by
    :func:`not_charged_twice` counts as passed. The gated check says which check it waits for."""
    by_name = {r.name: (c, r) for c, r in zip(checks, results, strict=True)}
    for check, r in zip(checks, results, strict=True):
        if not check.needs or check.needs not in by_name:  # (a self-check without the main one)
            continue
        main, main_result = by_name[check.needs]
        if main_result.passed:
            continue
        waits = (f"waits for `{main.name}` ({main.title}), which fails: this check gives points "
                 f"only once {check.group} passes it")
        if r.passed:
            r.message = (f"This check {waits}. `{main.name}` says: {main_result.message} Once it "
                         "passes, this check passes too.")
        else:
            r.message = f"{r.message} (This check also {waits}.)"
        r.score = 0.0


def globals_left_behind(program, steps: dict) -> dict[str, str]:
    """Graded functions that read, at call time, a global that only the student's other cells
    set (``return gen_loss`` in a template whose body was never written, with ``gen_loss =
    False`` left by a training cell): group -> a sentence that says so, naming the cell and
    whether it failed or timed out. The grader calls the student's definition; what such a
    global holds is not that function's work."""
    import ast

    from autograder.grading.cells import parse_python

    def source_of(n: int) -> str:
        prefix = f"{protocol.CELL}{n}:"
        return "\n".join(c["source"] for c in program.cells if c["step"].startswith(prefix))

    graded = {m["student_cell"]: m for m in program.matching
              if m["how"] != "missing" and isinstance(m.get("student_cell"), int)}
    setters: dict[str, tuple[str, bool]] = {}  # name -> (label of a failed other cell, True)
    defined: set[str] = set()
    for c in program.cells:
        try:
            tree = parse_python(c["source"])
        except (SyntaxError, ValueError):
            continue
        names = {t.id for node in tree.body for t in ast.walk(node)
                 if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
                 and not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        names |= {n.name for n in tree.body
                  if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
        names |= {(a.asname or a.name).split(".")[0] for n in tree.body
                  if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        cell = c["step"][len(protocol.CELL):].split(":")[0]
        if c.get("origin") != protocol.STUDENT or not cell.isdigit():
            continue
        if int(cell) in graded:
            defined |= names
            continue
        failed = any(isinstance(steps.get(o["step"]), dict) and "error" in steps[o["step"]]
                     for o in program.cells if o["step"].startswith(f"{protocol.CELL}{cell}:"))
        if failed:  # a cell that stopped half-way: what it set is not the graded work
            for name in names:
                setters.setdefault(name, (str(c.get("label")), failed))
    out: dict[str, str] = {}
    for n, m in graded.items():
        try:
            tree = parse_python(source_of(n))
        except (SyntaxError, ValueError):
            continue
        for fn in (f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and f.name in m["names"]):
            local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
            local |= {t.id for t in ast.walk(fn) if isinstance(t, ast.Name)
                      and isinstance(t.ctx, (ast.Store, ast.Del))}
            read = sorted({t.id for t in ast.walk(fn) if isinstance(t, ast.Name)
                           and isinstance(t.ctx, ast.Load) and t.id not in local
                           and t.id in setters and t.id not in defined})
            if read:
                label, _ = setters[read[0]]
                out.setdefault(m["cell"], f"`{fn.name}` reads the global `{read[0]}`, which "
                               f"it never sets itself: {label}, a cell that failed or ran out "
                               f"of time while grading, set it, so "
                               f"`{fn.name}` returns or uses whatever that cell left there, "
                               f"not its own work. Compute `{read[0]}` inside `{fn.name}`.")
    return out


def _matched_cell(matching: list[dict], name) -> str | None:
    """The student's cell that should define ``name`` ("cell get_noise", "your cell 7"), if any."""
    for m in matching:
        if name in m["names"] and m["how"] != "missing":
            return f"cell {m['cell']}" if m["how"] == "id" else f"your cell {m['student_cell']}"
    return None


def _not_graded(assignment: Assignment, path: Path, visibility: str, exc: Exception) -> Result:
    checks = assignment.selected(visibility)
    result = Result(assignment=assignment.id, source=str(path), notes=[str(exc)])
    result.checks = [CheckResult(c.name, c.group, c.title, 0.0, c.points, f"Not graded: {exc}",
                                 c.visibility) for c in checks]
    return result


__all__ = ["grade", "grade_assignment", "judge", "HIDDEN", "VISIBLE"]
