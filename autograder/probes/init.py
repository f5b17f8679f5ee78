"""Weight initialisation: the statistics of a network's weights after an init function.

Observe half (in the child): :func:`statistics` pools, per kind of layer (every ``Conv2d``,
``ConvTranspose2d``, ``BatchNorm2d``...), the weights' count, mean and standard deviation and the
biases' largest absolute value; :func:`applied` calls a student's per-layer init function on
the grader's :class:`KnownLayers` (``net.apply(init)``) and reports those statistics.

Judge half (in the grader): :func:`normal_problem` says whether one kind's weights look drawn
from N(mean, std) for one of the allowed means, within a tolerance that scales with the count;
:func:`init_problem` goes through a table of kinds (conv weights N(0, 0.02), BatchNorm weights
N(1, 0.02) or N(0, 0.02), BatchNorm biases 0).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autograder.checks import ObservationError, fmt, number

SIGMAS = 5.0              # a sample's mean or std may stray this many standard errors
SLACK = 5e-4              # and this much more (float32 rounding, a slightly different sampler)


# --- observe (in the child) ---------------------------------------------------------------

class KnownLayers(nn.Sequential):
    """A known convolutional network in PyTorch's default initialisation (weights' std far from
    0.02, BatchNorm weights all 1): a transposed convolution and a convolution, each followed by
    a BatchNorm2d layer and an activation. Its name holds no layer's name: an init that picks
    layers by class name (``m.__class__.__name__.find("Conv")``, as pytorch/examples' DCGAN
    does) must not pick the container itself."""

    def __init__(self, seed: int, channels: tuple[int, int, int] = (16, 8, 24)):
        a, b, c = channels
        torch.manual_seed(seed)
        super().__init__(nn.ConvTranspose2d(a, b, 3, 2), nn.BatchNorm2d(b), nn.ReLU(),
                         nn.Conv2d(b, c, 3, 2), nn.BatchNorm2d(c), nn.LeakyReLU(0.2))


def statistics(net: nn.Module) -> dict[str, dict]:
    """Per layer type: ``{"n", "mean", "std"}`` of all its weights, ``"bias_max"``: the largest
    absolute bias (None without biases), and ``"layers"``: how many."""
    pooled: dict[str, tuple[list, list]] = {}
    for m in net.modules():
        weight, bias = getattr(m, "weight", None), getattr(m, "bias", None)
        if next(m.children(), None) is not None or not isinstance(weight, torch.Tensor):
            continue
        weights, biases = pooled.setdefault(type(m).__name__, ([], []))
        weights.append(weight.detach().reshape(-1).double().cpu())
        if isinstance(bias, torch.Tensor):
            biases.append(bias.detach().reshape(-1).double().cpu())
    out = {}
    for kind, (weights, biases) in pooled.items():
        w = torch.cat(weights)
        out[kind] = {"layers": len(weights), "n": int(w.numel()), "mean": ob_float(w.mean()),
                     "std": ob_float(w.std()) if w.numel() > 1 else 0.0,
                     "bias_max": ob_float(torch.cat(biases).abs().max()) if biases else None}
    return out


def ob_float(t: torch.Tensor):
    x = float(t)
    return x if math.isfinite(x) else "nan"


def applied(init, net: nn.Module) -> dict:
    """``net.apply(init)`` (the student's per-layer function), then :func:`statistics`."""
    net.apply(init)
    return statistics(net)


# --- judge (in the grader) ----------------------------------------------------------------

def normal_problem(stats: dict, what: str, means: tuple[float, ...], std: float) -> str | None:
    """None when ``stats`` (one kind's entry) look like N(m, std) for an m in ``means``; else
    what is wrong, in words about ``what`` (e.g. "the Conv2d weights")."""
    n, mean, spread = int(number(stats, "n")), number(stats, "mean"), number(stats, "std")
    if n < 2:
        raise ObservationError("too few weights")
    mean_tol = SIGMAS * std / math.sqrt(n) + SLACK
    std_tol = SIGMAS * std / math.sqrt(2 * (n - 1)) + SLACK
    ok_std = math.isfinite(spread) and abs(spread - std) <= std_tol
    ok_mean = any(math.isfinite(mean) and abs(mean - m) <= mean_tol for m in means)
    if ok_std and ok_mean:
        return None
    allowed = " or ".join(f"N({m:g}, {std:g})" for m in means)
    if spread == 0.0:
        return f"{what} are all {fmt(mean)} (not drawn at random); draw them from {allowed}"
    return (f"{what} have mean {fmt(mean)} and standard deviation {fmt(spread)} over {n} "
            f"values; drawn from {allowed} they would have mean {' or '.join(f'{m:g}' for m in means)} "
            f"and standard deviation {std:g}")


def init_problem(stats, table: list[tuple[str, str, tuple[float, ...], float, str]],
                 required: tuple[str, ...] = ()) -> str | None:
    """The first problem of ``table``'s rows ``(layer type, "weight" or "bias", means, std,
    words)`` in ``stats`` (a :func:`statistics` report); ``"bias"`` rows ask for biases of 0.
    A row whose layer type the network lacks is skipped, unless that type is ``required``."""
    if not isinstance(stats, dict):
        raise ObservationError("init statistics missing")
    for kind in required:
        if not isinstance(stats.get(kind), dict):
            return f"it has no {kind} layer with weights"
    for kind, part, means, std, words in table:
        entry = stats.get(kind)
        if not isinstance(entry, dict):
            continue
        if part == "bias":
            biggest = entry.get("bias_max")
            if biggest is not None and number(entry, "bias_max") > 1e-7:
                return f"{words} are not 0 (the largest is {fmt(number(entry, 'bias_max'))})"
        else:
            problem = normal_problem(entry, words, means, std)
            if problem:
                return problem
    return None
