"""Alternating training steps: a few real steps of both networks, each changing only its own.

Observe half (in the child): :func:`alternate` runs the student's two step functions in turn on
the student's own networks and fingerprints both networks around each call. Judge half (in the
grader): :func:`judge_steps` goes through the steps with the assignment's table of rules:
:func:`finite` (a loss is a finite number) and :func:`weights` (a network's weights changed, or
did not, in one of the two phases), each with the assignment's words.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from autograder.checks import ObservationError, Verdict, changed, number
from autograder.child import observe as ob

Rule = Callable[[int, dict], "str | None"]


# --- observe (in the child) ---------------------------------------------------------------

def alternate(gen, disc, steps: int, first: Callable, second: Callable,
              record: Callable) -> list[dict]:
    """``steps`` times: ``a = first(i)``, then ``b = second(i)``; each step's entry is
    ``record(a, b, first_phase, second_phase)``, where a phase is ``{"gen": [before, after],
    "disc": [before, after]}`` (parameter fingerprints around that call)."""
    out = []
    for i in range(steps):
        g0, d0 = ob.snapshot(gen), ob.snapshot(disc)
        a = first(i)
        g1, d1 = ob.snapshot(gen), ob.snapshot(disc)
        b = second(i)
        g2, d2 = ob.snapshot(gen), ob.snapshot(disc)
        out.append(record(a, b, {"gen": [g0, g1], "disc": [d0, d1]},
                          {"gen": [g1, g2], "disc": [d1, d2]}))
    return out


# --- judge (in the grader) ----------------------------------------------------------------

def finite(key: str, text: str) -> Rule:
    """The step's ``key`` is a finite number; else ``text`` with ``{i}`` (the step, from 1) and
    ``{value}``."""
    def rule(i: int, step: dict) -> str | None:
        value = number(step, key)
        return None if math.isfinite(value) else text.format(i=i, value=value)
    return rule


def weights(phase: str, net: str, change: bool, text: str) -> Rule:
    """In the step's ``phase``, network ``net``'s weights changed (``change``) or did not; else
    ``text`` with ``{i}``."""
    def rule(i: int, step: dict) -> str | None:
        return None if bool(changed(*step[phase][net])) == change else text.format(i=i)
    return rule


def failing(where: str, tail: str) -> Callable[[str], Verdict]:
    """``fail(problem)``: the failing verdict "``where``: problem ``tail``"."""
    return lambda problem: Verdict(False, f"{where}: {problem} {tail}")


def judge_steps(steps, count: int, rules: list[Rule], fail: Callable[[str], Verdict]) -> Verdict | None:
    """The first broken rule of the first step that breaks one, as ``fail(problem)``; None when
    every step keeps every rule."""
    if not isinstance(steps, list) or len(steps) != count:
        raise ObservationError("training steps missing")
    for i, step in enumerate(steps, 1):
        for rule in rules:
            problem = rule(i, step)
            if problem:
                return fail(problem)
    return None


def judge_cuda_run(cuda, keys: tuple[str, ...], fail: Callable[[str], Verdict],
                   failed: Callable[[str], Verdict]) -> Verdict | None:
    """The short run on CUDA, where there was one (``cuda`` is its report): ``failed(error)``
    when it raised, ``fail(...)`` when a loss (``keys``) was not finite, else None."""
    if cuda is None:
        return None
    if not isinstance(cuda, dict):
        raise ObservationError("cuda report malformed")
    if "error" in cuda:
        return failed(cuda["error"])
    if not all(math.isfinite(number(cuda, key)) for key in keys):
        return fail("on a GPU the losses were not finite.")
    return None
