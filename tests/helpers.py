"""Shared test helpers: make a submission from the reference solution, with or without a mistake.

A mistake is a list of text edits ``(target, old, new)``: ``target`` is ``"cell:<grade_id>"`` for
a notebook cell or ``"file:<name>"`` for a template file. Each ``old`` must occur in its target,
so a mistake fixture cannot silently stop testing anything when the solution changes.
"""

from __future__ import annotations

import json
import shutil
import types
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import TensorDataset

from autograder.checks import Assignment, load_checks
from autograder.grading.grade import grade
from autograder.grading.results import Result
from autograder.paths import release_dir, solution_dir
from gan_course.data import DeviceBatches


def full_marks(assignment: str) -> float:
    """The points of every check of an assignment (what the reference solution earns)."""
    return sum(c.points for c in load_checks(assignment))


@dataclass(frozen=True)
class Mistake:
    """A typical student mistake and the check(s) that must catch it."""

    name: str
    edits: list[tuple[str, str, str]]
    fails: list[str]                      # check names that must lose their points
    says: list[str] = field(default_factory=list)   # words the feedback must contain
    # checks that run a failing function as written: they keep their points, "Blocked by" it
    blocked: list[str] = field(default_factory=list)


def submission_from(assignment: str, dest: Path, edits=(), source: Path | None = None) -> Path:
    """Copy the reference solution (or ``source``) to ``dest`` and apply ``edits``."""
    source = source or solution_dir(assignment)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.pct.py", "__pycache__"))
    notebook = Assignment.load(assignment).notebook
    nb = json.loads((dest / notebook).read_text()) if notebook else None
    for target, old, new in edits:
        kind, name = target.split(":", 1)
        if kind == "cell":
            cells = [c for c in nb["cells"]
                     if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name]
            assert cells, f"no cell {name!r} in {notebook}"
            src = "".join(cells[0]["source"])
            assert old in src, f"mistake edit: {old!r} not found in cell {name!r}"
            cells[0]["source"] = src.replace(old, new)
        else:
            path = dest / name
            src = path.read_text()
            assert old in src, f"mistake edit: {old!r} not found in {name}"
            path.write_text(src.replace(old, new))
    if nb is not None:
        (dest / notebook).write_text(json.dumps(nb))
    return dest


def release_submission(assignment: str, dest: Path) -> Path:
    """An untouched copy of the student release."""
    return submission_from(assignment, dest, source=release_dir(assignment))


def by_name(result: Result) -> dict:
    return {c.name: c for c in result.checks}


def grade_mistake(assignment: str, mistake: Mistake, tmp_path: Path) -> Result:
    return grade(assignment, submission_from(assignment, tmp_path / mistake.name, mistake.edits))


def assert_fails_as_named(result: Result, mistake: Mistake, reference_score: float) -> None:
    """``result`` scores below the reference, and fails each check the mistake names, with the
    words its feedback must contain."""
    checks = by_name(result)
    assert result.score < reference_score
    for name in mistake.fails:
        assert not checks[name].passed, f"{mistake.name} should fail {name}"
        for word in mistake.says:
            assert word in checks[name].message, (
                f"{name}'s feedback for {mistake.name} should mention {word!r}: "
                f"{checks[name].message}")
    for name in mistake.blocked:
        assert "Blocked by" in checks[name].message, (
            f"{name} should say it is blocked for {mistake.name}: {checks[name].message}")


# --- running a reference notebook as a student would --------------------------------------

def tiny_data_module(n: int = 300) -> types.ModuleType:
    module = types.ModuleType("gan_course.data")
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.arange(n) % 10

    def load_mnist(split="train", root=None):
        return images, labels

    def mnist_dataset(split="train", root=None, value_range=(0.0, 1.0)):
        lo, hi = value_range
        x = images.float().div(255).mul(hi - lo).add(lo).unsqueeze(1)
        return TensorDataset(x, labels)

    module.load_mnist, module.mnist_dataset = load_mnist, mnist_dataset
    module.DeviceBatches = DeviceBatches  # the real batch iterator, over the stand-in images
    return module


def run_notebook(path, edits: dict) -> dict:
    """Execute a notebook's code cells in one namespace, with text edits per cell grade_id."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: more threads only add contention on 2 cores
    try:
        return _run_cells(path, edits)
    finally:
        torch.set_num_threads(threads)


def _run_cells(path, edits: dict) -> dict:
    ns: dict = {"__name__": "__main__"}
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        source = "".join(cell["source"])
        for old, new in edits.get(gid, []):
            assert old in source, f"{old!r} not in cell {gid}"
            source = source.replace(old, new)
        exec(compile(source, f"<cell {gid}>", "exec"), ns)
    return ns


# --- the release with every `raise NotImplementedError()` filled in another way --------------

# An object that fakes every attribute, call and comparison (a hostile or confused submission).
FAKE_CLASS = """class _Fake:
    def __getattr__(self, name): return self
    def __call__(self, *args, **kwargs): return self
    def __eq__(self, other): return True
    def __ne__(self, other): return True
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __gt__(self, other): return True
    def __ge__(self, other): return True
    def __hash__(self): return 0
    def __bool__(self): return True
    def __len__(self): return 1
    def __iter__(self): return iter([self])
    def __getitem__(self, key): return self
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __add__(self, other): return self
    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __add__
    __neg__ = __pos__ = __abs__ = lambda self: self
"""


def coursera_fill(indent: str, in_init: bool, returned: str | None) -> list[str]:
    """Coursera's untouched template: the graded lines are ``None`` (``disc_loss = None``)."""
    if returned:
        return [f"{indent}{returned} = None"]
    return [f"{indent}pass" if in_init else f"{indent}return None"]


def faker_fill(indent: str, in_init: bool, returned: str | None) -> list[str]:
    """Every graded function returns an object that fakes every attribute and comparison."""
    lines = [indent + line for line in FAKE_CLASS.splitlines()]
    if in_init:
        return lines + [f"{indent}self.fake = _Fake()"]
    return lines + [f"{indent}return _Fake()"]


def _fill_source(source: str, fill) -> str:
    """``source`` with each ``raise NotImplementedError()`` line replaced by ``fill``'s lines."""
    lines = source.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() != "raise NotImplementedError()":
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        defs = [s for s in reversed(lines[:i]) if s.lstrip().startswith("def ")
                and len(s) - len(s.lstrip()) < len(indent)]
        in_init = bool(defs) and defs[0].lstrip().startswith("def __init__")
        after = next((s.strip() for s in lines[i + 1:] if s.strip()), "")
        returned = after[len("return "):] if after.startswith("return ") \
            and after[len("return "):].isidentifier() else None
        out += fill(indent, in_init, returned)
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


def filled_release(assignment: str, dest: Path, fill) -> Path:
    """A copy of the student release with every stub filled by ``fill`` (:func:`coursera_fill`,
    :func:`faker_fill`)."""
    shutil.copytree(release_dir(assignment), dest,
                    ignore=shutil.ignore_patterns("*.pct.py", "__pycache__"))
    loaded = Assignment.load(assignment)
    if loaded.notebook:
        path = dest / loaded.notebook
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["source"] = _fill_source("".join(cell["source"]), fill)
        path.write_text(json.dumps(nb))
    else:
        for name in loaded.submitted_files():
            (dest / name).write_text(_fill_source((dest / name).read_text(), fill))
    return dest
