"""Convolutional networks: what a block computes, and the shape a network gives after each layer.

Behaviour, not structure: a block may be an ``nn.Sequential``, a module of the student's own
with ``F.leaky_relu`` in its ``forward``, or anything else that computes the right function.

Observe half (in the child):

* :func:`observe_block` builds a block, runs it in train() mode on the grader's input, finds its
  one convolution and recomputes, from that convolution's own output, what each candidate
  formula gives (``bn+relu``: BatchNorm with the batch's statistics, then ReLU; ``no_bn+tanh``;
  ``relu+bn``: the activation before the BatchNorm; ...); it reports the formulas the block's
  output equals.
* :func:`trace` runs a network once and records, with forward hooks, the output shape of every
  convolution (``Conv2d`` / ``ConvTranspose2d``) in the order they ran, and which function of the
  last convolution's output the network returned (``tanh``, ``sigmoid``, ``none``...).

Judge half (in the grader): :func:`judge_block` and :func:`judge_trace`, with the assignment's
expected formula and shapes; :func:`conv_text` / :data:`FORMULAS` word what was found.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import ObservationError, Verdict, shape
from autograder.child import observe as ob

CONVS = (nn.Conv2d, nn.ConvTranspose2d)
ACTIVATIONS = {
    "relu": F.relu,
    "leaky": lambda t: F.leaky_relu(t, 0.2),
    "leaky_default": lambda t: F.leaky_relu(t, 0.01),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "none": lambda t: t,
}
# How feedback names each part of a formula.
FORMULAS = {"bn": "BatchNorm2d", "no_bn": "no BatchNorm", "relu": "nn.ReLU",
            "leaky": "nn.LeakyReLU(0.2)", "leaky_default": "nn.LeakyReLU() (slope 0.01)",
            "tanh": "nn.Tanh", "sigmoid": "nn.Sigmoid", "none": "no activation"}


# --- observe (in the child) ---------------------------------------------------------------

def conv_layers(module: nn.Module) -> list[dict]:
    """Every convolution of ``module``: type, channels, kernel, stride, padding."""
    out = []
    for m in module.modules():
        if isinstance(m, CONVS):
            out.append({"type": type(m).__name__, "in": int(m.in_channels), "out": int(m.out_channels),
                        "kernel": [int(k) for k in m.kernel_size], "stride": [int(s) for s in m.stride],
                        "padding": [int(q) for q in m.padding]})
    return out


def _candidates(pre: torch.Tensor) -> dict[str, torch.Tensor]:
    """What each formula gives on a convolution's output ``pre`` (a fresh block's BatchNorm is
    the identity affine map, so BatchNorm here is the batch's normalisation)."""
    def bn(t):
        return F.batch_norm(t, None, None, training=True, eps=1e-5)
    out = {}
    for name, act in ACTIVATIONS.items():
        out[f"bn+{name}"] = act(bn(pre))
        out[f"no_bn+{name}"] = act(pre)
        out[f"{name}+bn"] = bn(act(pre))
    return out


def observe_block(make_block, args: tuple, kwargs: dict, x: torch.Tensor) -> dict:
    """Build ``make_block(*args, **kwargs)``, run it on ``x`` in train() mode; its convolutions,
    output and the candidate formulas its output equals (``matches``)."""
    block = make_block(*args, **kwargs)
    if not isinstance(block, nn.Module):
        raise TypeError(f"the block should be an nn.Module, got {type(block).__name__}")
    block.train()
    report = {"convs": conv_layers(block)}
    y = ob.as_tensor(block(x), "the block's output")
    report["output"] = ob.tensor_info(y)
    convs = [m for m in block.modules() if isinstance(m, CONVS)]
    if len(convs) == 1:
        with torch.no_grad():
            pre = convs[0](x)
            report["matches"] = sorted(name for name, c in _candidates(pre).items()
                                       if c.shape == y.shape and torch.allclose(
                                           y.detach(), c, rtol=1e-4, atol=1e-5))
    return report


def trace(net: nn.Module, x: torch.Tensor) -> dict:
    """``net(x)`` with every convolution's output shape recorded (``conv_shapes``), the output's
    ``tensor_info`` and ``ends``: the functions of the last convolution's output that the
    network's output equals (``tanh``, ``sigmoid``, ``none``; compared value by value)."""
    shapes: list[list[int]] = []
    last: list[torch.Tensor] = []

    def hook(module, inputs, output):
        if len(shapes) < 32:
            shapes.append([int(n) for n in output.shape])
        last[:] = [output.detach()]

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, CONVS)]
    try:
        y = ob.as_tensor(net(x), "the network's output")
    finally:
        for h in handles:
            h.remove()
    report = {"conv_shapes": shapes, "output": ob.tensor_info(y), "ends": []}
    if last and last[0].numel() == y.numel():
        flat = y.detach().reshape(-1)
        report["ends"] = sorted(name for name in ("tanh", "sigmoid", "none") if torch.allclose(
            flat, ACTIVATIONS[name](last[0]).reshape(-1), rtol=1e-4, atol=1e-5))
    return report


# --- judge (in the grader) ----------------------------------------------------------------

def conv_text(d: dict) -> str:
    """``ConvTranspose2d(12, 6, kernel 3, stride 2)`` for feedback."""
    kernel, stride = d.get("kernel") or ["?"], d.get("stride") or ["?"]
    pad = d.get("padding") or [0]
    tail = f", padding {pad[0]}" if any(pad) else ""
    return f"{d.get('type')}({d.get('in')}, {d.get('out')}, kernel {kernel[0]}, stride {stride[0]}{tail})"


def formula_text(name: str) -> str:
    """``BatchNorm2d then nn.ReLU`` for ``bn+relu``; ``nn.ReLU then BatchNorm2d`` for ``relu+bn``."""
    first, _, second = name.partition("+")
    if first in ("bn", "no_bn"):
        return FORMULAS[first] + (f" then {FORMULAS[second]}" if second != "none" else ", no activation")
    return f"{FORMULAS[first]} then BatchNorm2d"


def judge_block(obs: dict, call: str, conv: dict, want: str, hints: dict[str, str]) -> Verdict:
    """The block built by ``call`` has the one convolution ``conv`` (a :func:`conv_layers` entry)
    and computes the formula ``want`` after it. ``hints``: words for formulas it matched instead
    (keys as in :func:`_candidates`; the first that matches is said)."""
    convs = obs.get("convs")
    if not isinstance(convs, list):
        raise ObservationError("convolutions missing")
    if len(convs) != 1:
        return Verdict(False, f"{call} should hold one {conv['type']}, but holds "
                       f"{len(convs)} convolutions" + (": " + ", ".join(map(conv_text, convs))
                                                       if convs else "") + ".")
    if convs[0] != conv:
        return Verdict(False, f"{call} should hold {conv_text(conv)} (no padding), but holds "
                       f"{conv_text(convs[0])}: pass the block's arguments to the convolution "
                       "in this order.")
    matches = obs.get("matches")
    if not isinstance(matches, list):
        raise ObservationError("formula matches missing")
    if want in matches:
        return Verdict(True)
    told = next((hints[m] for m in hints if m in matches), None)
    if told is None:
        found = next((formula_text(m) for m in matches), None)
        told = (f"after the convolution it computes {found}" if found else
                "its output is none of the usual formulas after the convolution (check the layers' "
                "order and that nothing else is added)")
    return Verdict(False, f"{call} should compute {conv['type']} then {formula_text(want)}, but "
                   f"{told}. ")


def judge_trace(obs: dict, call: str, want_shapes: list[list[int]], rows: list[str],
                end: str, end_hint: str) -> Verdict | None:
    """The network's convolutions gave ``want_shapes`` (``rows[i]`` says how to build layer i),
    and its output is ``end`` of the last one's output; None when both hold."""
    got = obs.get("conv_shapes")
    if not isinstance(got, list):
        raise ObservationError("convolution shapes missing")
    for i, want in enumerate(want_shapes):
        if i >= len(got):
            return Verdict(False, f"{call} ran {len(got)} convolutions, expected {len(want_shapes)}: "
                           f"block {i + 1} is missing ({rows[i]}).")
        if got[i] != want:
            return Verdict(False, f"In {call}, block {i + 1} gives shape {tuple(got[i])}, expected "
                           f"{tuple(want)}: it should be {rows[i]} (check its kernel_size and stride).")
    if len(got) > len(want_shapes):
        return Verdict(False, f"{call} ran {len(got)} convolutions, expected {len(want_shapes)}.")
    ends = obs.get("ends")
    if not isinstance(ends, list):
        raise ObservationError("output ends missing")
    if end not in ends:
        what = ("a sigmoid of" if "sigmoid" in ends else "the raw output of" if "none" in ends
                else "tanh of" if "tanh" in ends else "something other than a plain function of")
        return Verdict(False, f"{call} returns {what} its last convolution; {end_hint}")
    shape(obs.get("output", {}))
    return None
