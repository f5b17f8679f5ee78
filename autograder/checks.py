"""What a check is, and how an observation becomes points and feedback.

A :class:`Check` has two halves that never meet in one process:

* ``observe(ns, params) -> dict`` runs in the *child*, next to the student's code (``ns`` is the
  student's namespace). It only reports plain data: numbers, lists, strings.
* ``judge(observation, params) -> Verdict`` runs in the *grader* and decides the points. It never
  sees a student object, only the JSON the child sent, and treats it as untrusted.

Each assignment (``autograder/assignments/<id>.py``, or the package ``<id>/``) defines ``CHECKS``, a
list of checks, mostly over the shared probes of :mod:`autograder.probes`, and ``NOTEBOOK`` (or
``MODULES``). :meth:`Assignment.load` reads them once per process: the grading parent hands that
:class:`Assignment` to every step of a grading; the child loads its own copy of the checks.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

VISIBLE = "visible"
HIDDEN = "hidden"


@dataclass(frozen=True)
class Verdict:
    """The judge's decision: passed or not, and a message a student can act on."""

    passed: bool
    message: str = ""
    score: float | None = None     # partial credit: the fraction of the points earned (None: all or nothing)


@dataclass(frozen=True)
class Check:
    """One graded property of a submission (all-or-nothing points)."""

    name: str                      # unique id, e.g. "get_noise_shape"
    group: str                     # the function/cell it is about (a solution cell's grade_id)
    title: str                     # what is checked, in a student's words
    points: float
    observe: Callable[[dict, dict], dict]
    judge: Callable[[dict, dict], Verdict]
    params: dict = field(default_factory=dict)
    visibility: str = VISIBLE      # "visible": students can run it; "hidden": only the grader
    timeout: float = 30.0          # seconds for this observation in the child
    uses: tuple[str, ...] = ()     # other groups whose student code this check runs as written
    needs: str = ""                # a secondary check: the main check of its function (gate())


class ObservationError(Exception):
    """The observation is malformed (a broken or hostile child): the check fails."""


@dataclass(frozen=True)
class Assignment:
    """One assignment as the grader sees it: what a student submits and the checks, loaded once
    (:meth:`load`) and handed to every step of a grading."""

    id: str
    notebook: str | None              # the notebook's file name (None: a ``.py`` assignment)
    modules: dict[str, str]           # ``.py`` assignments: file name -> "student" or "provided"
    checks: tuple[Check, ...]

    @classmethod
    def load(cls, assignment: str) -> Assignment:
        """Import ``autograder.assignments.<id>`` and read its NOTEBOOK (or MODULES) and CHECKS."""
        module = importlib.import_module(f"autograder.assignments.{assignment}")
        checks = tuple(gate(module.CHECKS, getattr(module, "GATED", {})))
        names = [c.name for c in checks]
        assert len(names) == len(set(names)), f"duplicate check names in {assignment}"
        return cls(assignment, getattr(module, "NOTEBOOK", None),
                   dict(getattr(module, "MODULES", None) or {}), checks)

    @property
    def points(self) -> float:
        """The assignment's full marks."""
        return sum(c.points for c in self.checks)

    def selected(self, visibility: str) -> list[Check]:
        """The checks a grading runs: all (``"all"``) or the visible ones (a self-check)."""
        return [c for c in self.checks if visibility == "all" or c.visibility == VISIBLE]

    def submitted_files(self) -> list[str]:
        """The file names the grader reads from a submission."""
        if self.notebook:
            return [self.notebook]
        return [name for name, origin in self.modules.items() if origin == "student"]


def gate(checks: list[Check], gated: dict[str, str]) -> list[Check]:
    """Credit only for code that works: ``gated`` maps each secondary check of a function (its
    device, hidden-variant, freshness and mode checks) to the main check of that function, the
    one that asks whether it returns the right thing. A secondary check earns its points only
    while its main check passes (:func:`autograder.grading.grade.credit_only_for_working_code`):
    a function that returns None, a bool or a fake object gets nothing, however well it runs on
    ``meta``. Every other check (a value, a gradient, an update) stands on its own."""
    by_name = {c.name: c for c in checks}
    for secondary, main in gated.items():
        assert secondary in by_name and main in by_name, f"gate {secondary} -> {main}: no such check"
        assert by_name[secondary].group == by_name[main].group, f"gate {secondary} -> {main}: groups"
        assert main not in gated, f"gate {secondary} -> {main}: a main check is never gated"
    return [dataclasses.replace(c, needs=gated[c.name]) if c.name in gated else c for c in checks]


def load_checks(assignment: str, tools: bool = False) -> list[Check]:
    """The checks of one assignment, in order; with ``tools``, also the ungraded observers
    (``python -m autograder evaluate``) that the child may be asked to run."""
    checks = list(Assignment.load(assignment).checks)
    if tools:
        from autograder.probes.trained import tool_checks

        checks += tool_checks(assignment)
    names = [c.name for c in checks]
    assert len(names) == len(set(names)), f"duplicate check names in {assignment}"
    return checks


def first_failure(obs: dict, p: dict, judges) -> Verdict:
    """The verdict of the first of ``judges`` that fails, else a pass (a check of several)."""
    for judge in judges:
        verdict = judge(obs, p)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def all_of(name: str, *judges: Callable[[dict, dict], Verdict]) -> Callable[[dict, dict], Verdict]:
    """A judge named ``name`` that passes when every one of ``judges`` passes (else the first
    failure): a hidden check that asks the questions of several visible ones."""
    def judge(obs: dict, p: dict) -> Verdict:
        return first_failure(obs, p, judges)
    judge.__name__ = judge.__qualname__ = name
    return judge


def find_check(checks: list[Check], name: str) -> Check:
    for check in checks:
        if check.name == name:
            return check
    raise KeyError(name)


# --- reading untrusted observations -------------------------------------------------------

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def number(obs: dict, key: str) -> float:
    """A float from the observation ('nan'/'inf'/'-inf' strings allowed), or ObservationError."""
    value = obs.get(key) if isinstance(obs, dict) else None
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ObservationError(f"{key!r} is not a number")
    return float(value)


def numbers(obs: dict, key: str) -> list[float]:
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ObservationError(f"{key!r} is not a list of numbers")
    return [float(v) for v in value]


def text(obs: dict, key: str) -> str:
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, str):
        raise ObservationError(f"{key!r} is not a string")
    return value


def shape(obs: dict, key: str = "shape") -> tuple[int, ...]:
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ObservationError(f"{key!r} is not a shape")
    return tuple(value)


def close(observed: float, expected: float, rel: float = 1e-4, abs_: float = 1e-5) -> bool:
    """``observed`` equals ``expected`` up to float32 rounding (NaN is never close)."""
    return math.isfinite(observed) and abs(observed - expected) <= abs_ + rel * abs(expected)


def layers(obs: dict, key: str = "layers") -> list[dict]:
    """The leaf layers reported by :func:`autograder.child.observe.describe_layers`."""
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("type"), str) for v in value
    ):
        raise ObservationError(f"{key!r} is not a list of layers")
    return value


def layer_names(described: list[dict]) -> str:
    """``Linear(25, 12) -> BatchNorm1d(12) -> ReLU`` for feedback."""
    return " -> ".join(layer_label(d) for d in described) or "(no layers)"


def layer_label(d: dict) -> str:
    kind = d.get("type")
    if kind == "Linear":
        return f"Linear({d.get('in')}, {d.get('out')})"
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        return f"{kind}({d.get('features')})"
    if kind == "LeakyReLU":
        return f"LeakyReLU({d.get('slope')})"
    if kind == "Dropout":
        return f"Dropout({d.get('p')})"
    return str(kind)


def changed(before: dict, after: dict) -> list[str]:
    """Names of parameters whose fingerprint differs between two snapshots."""
    if not isinstance(before, dict) or not isinstance(after, dict) or not before:
        raise ObservationError("parameter snapshot missing")
    if set(before) != set(after):
        raise ObservationError("parameter snapshots list different parameters")
    return sorted(name for name in before if before[name] != after[name])


def with_gradient(grads: dict) -> list[str]:
    """Names of parameters that hold a non-zero gradient (``grads`` maps name -> norm or None)."""
    if not isinstance(grads, dict):
        raise ObservationError("gradient report missing")
    out = []
    for name, norm in grads.items():
        if norm is None:
            continue
        if isinstance(norm, bool) or not isinstance(norm, (int, float)):
            raise ObservationError("gradient norm is not a number")
        if norm != 0.0:
            out.append(name)
    return sorted(out)


def fmt(x: Any) -> str:
    """Short number formatting for feedback."""
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)
