"""Fresh noise: two calls of a student's function give the generator different noise.

Observe half (in the child): the grader's stand-in generator keeps a :func:`fingerprint` of each
noise batch it is given, and the function is called twice. Judge half (in the grader):
:func:`freshness` says whether the second call's noise is new, the same as the first's, or
whether a call never reached the generator; each assignment words the two mistakes.
"""

from __future__ import annotations

import torch

from autograder.checks import ObservationError
from autograder.child import observe as ob


def fingerprint(noise: torch.Tensor) -> str:
    """A short sha256 of a tensor's bytes (equal noise, equal fingerprint)."""
    return ob._sha256(ob._numpy_bytes(noise)).hexdigest()[:24]


def fingerprints_per_call(calls) -> list[list[str]]:
    """The observation's two lists of fingerprints, one per call, or ObservationError."""
    if not isinstance(calls, list) or len(calls) != 2 or not all(
            isinstance(c, list) and all(isinstance(h, str) for h in c) for c in calls):
        raise ObservationError("noise fingerprints missing")
    return calls


def freshness(first, second) -> str | None:
    """``"missing"`` when a call gave the generator no noise, ``"same"`` when both calls share a
    noise batch, None when the second call's noise is all new."""
    first, second = set(first), set(second)
    if not first or not second:
        return "missing"
    if first & second:
        return "same"
    return None
