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
from autograder.child import observe


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


# --- "a Python float or a 0-d tensor": a step that returns its loss value --------------------

NUMBER_KINDS = ("float", "0-d tensor")   # what number_kind calls the two accepted returns
FLOATING = ("float16", "bfloat16", "float32", "float64")


def number_kind(value) -> str:
    """What a step that returns "the loss value" returned (runs in the child, on student objects).

    "float" for a Python number (``loss.item()``, a numpy float), "0-d tensor" for a floating
    tensor of shape () (``loss``, ``loss.detach()``, with or without a graph); else words for
    what it is: "tensor of shape (1,)", "int64 tensor of shape ()", "tuple", "None".
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, torch.Tensor):
        info = observe.tensor_info(value)              # read with the grader's own torch calls
        shape, dtype = tuple(info["shape"]), info["dtype"]
        if shape == () and dtype in FLOATING:
            return "0-d tensor"
        return f"{'' if dtype in FLOATING else dtype + ' '}tensor of shape {shape}"
    if isinstance(value, (int, float)):
        return "float"
    return type(value).__name__[:40]


def number_problem(kind, function: str) -> str | None:
    """None when ``kind`` (:func:`number_kind`) is a float or a 0-d tensor, else the feedback:
    what ``function`` returned and what it should return."""
    if kind in NUMBER_KINDS:
        return None
    got = kind if isinstance(kind, str) else "something the grader could not read"
    article = "" if got in ("None", "True", "False") else "a "
    hint = ""
    if got.startswith("tensor of shape"):
        hint = (" A mean over the batch has shape (): do not reshape it (.view(1), "
                "unsqueeze, [None], torch.stack([loss])).")
    elif got == "tuple" or got == "list":
        hint = " Return the one loss of this step, not several values."
    return (f"{function} returned {article}{got}, expected the loss value: a Python float "
            f"(loss.item()) or a 0-d tensor (loss.detach()).{hint}")


def explain(got: float, candidates: dict[str, float], hints: dict[str, str],
            rel: float = 1e-4) -> str | None:
    """The hint of the first mistake (in ``hints``' order) whose loss ``got`` equals, or None."""
    for mistake, hint in hints.items():
        if close(got, candidates[mistake], rel=rel):
            return hint
    return None
