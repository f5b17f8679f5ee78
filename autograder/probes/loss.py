"""A loss value against candidate formulas: the right one, and what typical mistakes give.

The observe half is the student's function called on the grader's stand-ins
(:mod:`autograder.probes.networks`) with a known seed; it reports the loss (``observe.scalar``)
and what it returned (:func:`returned_kind`). The judge half recomputes, in the grader, the right
loss and the loss of each typical mistake (swapped labels, a sum instead of a mean, a second
sigmoid...) from the same seeds with :func:`bce`, and :func:`explain` names the mistake whose
value the student's loss equals, with the assignment's own words for it (its ``HINTS`` table).
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.checks import close


def bce(logits: torch.Tensor, target: float, reduction: str = "mean",
        dtype: torch.dtype | None = None) -> float:
    """Binary cross entropy of ``logits`` against the constant ``target`` (as BCEWithLogitsLoss).

    ``dtype``: compute in that precision (the logits are converted first).
    """
    if dtype is not None:
        logits = logits.to(dtype)
    return float(nn.functional.binary_cross_entropy_with_logits(
        logits, torch.full_like(logits, target), reduction=reduction))


def returned_kind(value) -> str:
    """'tensor' for a torch.Tensor, 'float' for a Python number, else the type's name."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "float"
    return type(value).__name__[:40]


def explain(got: float, candidates: dict[str, float], hints: dict[str, str],
            rel: float = 1e-4) -> str | None:
    """The hint of the first mistake (in ``hints``' order) whose loss ``got`` equals, or None."""
    for mistake, hint in hints.items():
        if close(got, candidates[mistake], rel=rel):
            return hint
    return None
