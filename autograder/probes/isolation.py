"""Update isolation: a training step changes its own network, with a fresh gradient, and no other.

Observe half (in the child, around one call of the student's step on the grader's stand-ins):
:class:`StepWatch` plants a huge stale gradient in the network the step trains (a step without
``zero_grad()`` then moves it far), fingerprints both networks' parameters before and after
(:func:`autograder.child.observe.snapshot`), and measures how far the trained network moved.

:class:`ScoreGradients` follows the gradient path per term: it wraps the stand-in
discriminator's ``forward`` (so ``disc(x)`` and ``disc.forward(x)`` alike), tells for each row it
scores whether it is one of the grader's real images, and records the gradient that the loss
sends back to that score. A loss that scores ``disc(fake).detach()`` (or the fakes under
``torch.no_grad()``) gives the fakes' scores no gradient, though D still learns from the reals.

Judge half (in the grader): :func:`judge_own_step` (the other network unchanged, its own changed,
no stale gradient), :func:`judge_detached_loss` (the discriminator's loss reaches the
discriminator only) and :func:`judge_score_gradients` (through its scores on the real images and
on the fakes), each worded with the assignment's templates.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autograder.checks import ObservationError, Verdict, changed, number, with_gradient
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


class ScoreGradients:
    """Per term: how much gradient the loss sends to the discriminator's scores of the real
    images and of the fakes. A row is real when it equals one of ``real``'s images (flattened);
    every other row is a fake. Call :meth:`report` after the backward pass."""

    MAX_CALLS = 16

    def __init__(self, disc: nn.Module, real: torch.Tensor):
        self.real = real.detach().reshape(real.shape[0], -1)
        self.calls: list[dict] = []
        forward = disc.forward  # the stand-in's own (a bound method): wrapped on the instance

        def scored(*args, **kwargs):
            out = forward(*args, **kwargs)
            self._record(args[0] if args else next(iter(kwargs.values()), None), out)
            return out
        disc.forward = scored

    def _record(self, x, out) -> None:
        if len(self.calls) >= self.MAX_CALLS or not isinstance(x, torch.Tensor) \
                or not isinstance(out, torch.Tensor) or x.device.type == "meta":
            return
        with torch.no_grad():
            rows = x.detach().reshape(x.shape[0], -1).to(self.real.device, self.real.dtype)
            real = ((rows[:, None, :] == self.real[None]).all(-1).any(-1)
                    if rows.shape[1:] == self.real.shape[1:] else torch.zeros(len(rows), dtype=torch.bool))
        call = {"real": real, "grad": None}
        self.calls.append(call)
        if out.requires_grad and out.dim() > 0 and out.shape[0] == len(real):
            def keep(grad: torch.Tensor) -> None:
                per_row = grad.detach().reshape(grad.shape[0], -1).abs().sum(1).double()
                call["grad"] = per_row if call["grad"] is None else call["grad"] + per_row
            out.register_hook(keep)

    def report(self) -> dict:
        """``{"real_rows", "fake_rows", "real", "fake"}``: rows scored, and the summed |gradient|
        the loss sent to their scores."""
        out = {"real_rows": 0, "fake_rows": 0, "real": 0.0, "fake": 0.0}
        for call in self.calls:
            real, grad = call["real"], call["grad"]
            out["real_rows"] += int(real.sum())
            out["fake_rows"] += int((~real).sum())
            if grad is not None:
                out["real"] += float(grad[real].sum())
                out["fake"] += float(grad[~real].sum())
        for key in ("real", "fake"):
            out[key] = out[key] if math.isfinite(out[key]) else "nan"
        return out


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
    if "score_grads" in obs:
        return judge_score_gradients(obs, loss, note)
    return Verdict(True)


def judge_score_gradients(obs: dict, loss: str, note: str = "") -> Verdict:
    """The discriminator's loss (``loss``, e.g. "discriminator loss") sends a gradient to the
    discriminator's scores of the real images AND of the fakes (``score_grads``, from
    :class:`ScoreGradients`): both terms teach the discriminator."""
    grads = obs.get("score_grads") if isinstance(obs, dict) else None
    if not isinstance(grads, dict):
        raise ObservationError("score gradients missing")
    for term in ("real", "fake"):
        rows, got = int(number(grads, f"{term}_rows")), number(grads, term)
        if rows and not (math.isfinite(got) and got > 0.0):
            if term == "fake":
                return Verdict(False, f"Your {loss} gives the discriminator no gradient from its "
                               "score on the fakes: did you .detach() the discriminator's output "
                               "instead of the fake images (or score the fakes under "
                               "torch.no_grad())? Detach the fakes before the discriminator "
                               "scores them, disc(fake.detach()), so that D still learns to "
                               "call them fake." + note)
            return Verdict(False, f"Your {loss} gives the discriminator no gradient from its "
                           "score on the real images: did you .detach() the discriminator's "
                           "output on the real images (or score them under torch.no_grad())? "
                           "The real images' term must teach D to call them real." + note)
    return Verdict(True)
