"""Update isolation: a training step changes its own network, with a fresh gradient, and no other.

Observe half (in the child, around one call of the student's step on the grader's stand-ins):
:class:`StepWatch` plants a huge stale gradient in the network the step trains (a step without
``zero_grad()`` then moves it far), fingerprints both networks' parameters before and after
(:func:`autograder.child.observe.snapshot`), and measures how far the trained network moved.

Judge half (in the grader): :func:`judge_own_step` (the other network unchanged, its own changed,
no stale gradient) and :func:`judge_detached_loss` (the discriminator's loss reaches the
discriminator only), each worded with the assignment's templates.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autograder.checks import Verdict, changed, number, with_gradient
from autograder.child import observe as ob

STALE = 1e6              # a stale gradient planted before a step: a step without zero_grad shows
NAMES = {"gen": "generator", "disc": "discriminator"}


# --- observe (in the child) ---------------------------------------------------------------

class StepWatch:
    """Watch one step of ``own`` (one of ``gen`` and ``disc``): plant a stale gradient in it now,
    fingerprint both networks now, and :meth:`report` what changed after the step."""

    def __init__(self, gen: nn.Module, disc: nn.Module, own: nn.Module, stale: float = STALE):
        self.gen, self.disc, self.own = gen, disc, own
        with torch.no_grad():  # the gradient of "the previous batch": zero_grad() must clear it
            for param in own.parameters():
                param.grad = torch.full_like(param, stale)
        self.before = {"gen": ob.snapshot(gen), "disc": ob.snapshot(disc)}
        self.own_before = [param.detach().clone() for param in own.parameters()]

    def report(self) -> dict:
        """Fingerprints before and after, how far ``own`` moved, the generator's gradients."""
        moved = sum(float((param.detach() - b).double().pow(2).sum())
                    for param, b in zip(self.own.parameters(), self.own_before, strict=True)) ** 0.5
        return {
            "before": self.before,
            "after": {"gen": ob.snapshot(self.gen), "disc": ob.snapshot(self.disc)},
            "step_norm": moved if math.isfinite(moved) else "nan",
            "gen_grads": ob.grad_norms(self.gen),
        }


# --- judge (in the grader) ----------------------------------------------------------------

def judge_own_step(obs: dict, mine: str, words: dict[str, str], hint=lambda: "",
                   **fields: str) -> Verdict:
    """The step of network ``mine`` ("gen" or "disc") left the other alone, moved its own, and
    did not use a stale gradient. ``words`` holds the templates ``other_changed``, ``unchanged``
    (with ``{hint}``, from ``hint()``) and ``stale``, formatted with ``fields`` and ``{mine}`` /
    ``{other}`` (the networks' names)."""
    other = "disc" if mine == "gen" else "gen"
    fields = dict(fields, mine=NAMES[mine], other=NAMES[other])
    if changed(obs["before"][other], obs["after"][other]):
        return Verdict(False, words["other_changed"].format(**fields))
    if not changed(obs["before"][mine], obs["after"][mine]):
        return Verdict(False, words["unchanged"].format(hint=hint(), **fields))
    if not math.isfinite(number(obs, "step_norm")) or number(obs, "step_norm") > 1e3:
        return Verdict(False, words["stale"].format(**fields))
    return Verdict(True)


def judge_detached_loss(obs: dict, loss: str, source: str, note: str = "") -> Verdict:
    """Backpropagating the discriminator's loss (``loss``, e.g. "discriminator loss") gives the
    discriminator a gradient and the generator none (``gen_grads`` / ``disc_grads``)."""
    if "gen_grads" not in obs:
        return Verdict(False, f"Your {loss} has no gradient at all: compute it from the "
                       f"discriminator's {source} (no .item(), no torch.no_grad())." + note)
    if with_gradient(obs["gen_grads"]):
        return Verdict(False, f"Backpropagating your {loss} put gradients into the generator: "
                       "did you forget .detach() on the fake images? Only the discriminator may "
                       "learn from its loss." + note)
    if not with_gradient(obs["disc_grads"]):
        return Verdict(False, f"Your {loss} gives the discriminator no gradient." + note)
    return Verdict(True)
