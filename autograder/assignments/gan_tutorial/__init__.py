"""Checks for ``gan_tutorial`` (seed 001, "Generative Adversarial Networks").

The networks are given; students write two statements inside ``train(generator, discriminator,
device, lr, num_epochs)``: the discriminator's ``labels`` and the generator's ``g_loss``. The
checks watch ``train`` from the outside, without changing the student's code. For the duration
of one call (see :func:`~autograder.assignments.gan_tutorial.observe.run_train`):

* the notebook's global ``mnist_data`` is a tiny deterministic dataset of binary images (every
  pixel 0 or 1), so a row of the discriminator's input is *real* exactly when all its pixels are
  0 or 1 (the generator's sigmoid never gives exactly 0 or 1);
* ``torch.nn.BCEWithLogitsLoss`` is a recording subclass: each call reports the logits, the
  targets (as runs of equal values), the composition of the discriminator's input that produced
  the logits (real and fake rows) and the loss, and hooks the loss to report the gradients both
  networks hold when its ``backward()`` starts;
* ``torch.optim.Adam`` is a recording subclass: ``zero_grad()`` and ``step()`` report which
  network the optimizer holds, the networks' gradient norms, and fingerprints of both networks'
  weights before and after each step;
* a forward pre-hook on the generator fingerprints each noise batch it is given.

The reference's ``train`` does each minibatch's work in a local ``train_step(images)`` that it
records as a CUDA graph on a GPU (``gan_course.cuda_graph.capture``); the checks do not look for
that structure: they see the same calls whether the loop body is a function or not (the seed's
loop without a ``train_step`` scores full marks, as does a step that returns Python floats), and
the grader's runs are on the CPU (and ``meta``), where nothing is recorded. The CUDA run, where
there is one, trains step by step: the recording hooks read values on the host, so ``capture``
gives up and says so.

Everything is restored in a ``finally`` block. The grader then judges: the targets of each loss,
that each optimizer step changes only its own network, that no step uses a stale gradient or
writes gradients into the other network, that each step scores fakes from new noise (fresh
after the discriminator's step, and new every minibatch), that the first losses on known
stand-in networks have the right values, and that the run finishes with finite losses and
history holds each epoch's mean loss. When CUDA is available,
a second short run on ``"cuda"`` checks that the targets live on the GPU. Hidden checks ask the
same questions with another number of images (a smaller last minibatch), seeds and epochs.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autograder.assignments.gan_tutorial.observe import (
    _ADAM,
    BATCH,
    BETAS,
    CUDA_IMAGES,
    IMAGE,
    NOISE_DIM,
    dataset_images,
    observe_device,
    observe_discriminator_step,
    observe_generator_step,
    observe_whole_run,
    stub_networks,
)
from autograder.checks import (
    HIDDEN,
    Check,
    ObservationError,
    Verdict,
    all_of,
    changed,
    close,
    fmt,
    number,
    raised_in_cell,
    shape,
)
from autograder.probes import device as meta
from autograder.probes.loss import bce, explain

NOTEBOOK = "gan_tutorial.ipynb"


# --- reading the observation (in the grader) ----------------------------------------------

def _list(obs, key: str) -> list:
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ObservationError(f"{key!r} is not a list of records")
    return value


def _calls(obs: dict, phase: str) -> list[dict]:
    return [c for c in _list(obs, "calls") if c.get("phase") == phase]


def _count(runs) -> int:
    if not isinstance(runs, list) or not all(
            isinstance(r, list) and len(r) == 2 and isinstance(r[1], int) for r in runs):
        raise ObservationError("runs are malformed")
    return sum(r[1] for r in runs)


def _rows(call: dict) -> tuple[int, int]:
    """(real rows, fake rows) of the discriminator's input behind one criterion call."""
    runs = call.get("rows")
    _count(runs)
    return (sum(r[1] for r in runs if r[0] == "R"), sum(r[1] for r in runs if r[0] == "F"))


def _describe_runs(runs: list) -> str:
    """'100 x 1.0, then 100 x 0.0' for feedback."""
    if not runs:
        return "no values"
    parts = [f"{r[1]} x {fmt(r[0])}" for r in runs[:6]]
    return ", then ".join(parts) + (", ..." if len(runs) > 6 else "")


def _error_text(error) -> str:
    return raised_in_cell(error, "your train cell")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _stopped(obs: dict, before: str) -> Verdict | None:
    """When train raised an error: a verdict saying it stopped before ``before``, else None."""
    error = obs.get("error") if isinstance(obs, dict) else None
    if not error:
        return None
    return Verdict(False, f"train stopped before {before}: {_error_text(error)}. Fix that first "
                   "(the checks of the labels and targets say more).")


def _runs(obs: dict):
    """(report, where) of the CPU run, then of the CUDA run where there was one."""
    for report, where in ((obs, "On the CPU"), (obs.get("cuda"), "On CUDA")):
        if report is None:
            continue
        if not isinstance(report, dict):
            raise ObservationError("run report missing")
        yield report, where


# When a run has no criterion call of a phase: (the words when train raised an error first, the
# words otherwise); the generator's step on CUDA is not charged (the labels' check says why).
NOT_COMPUTED = {
    "d": ("{where}, train stopped before the discriminator's loss was computed: {error}.",
          "{where}, train never computed the discriminator's loss: keep criterion(d_outputs, "
          "labels) on the discriminator's output for inputs = torch.cat([images, "
          "fake_images.detach()])."),
    "g": ("train stopped before the generator's loss was computed: {error}. Fix that first (see "
          "the discriminator's check).",
          "train never computed the generator's loss with the criterion on outputs = "
          "discriminator(fake_images): g_loss = criterion(outputs, targets)."),
}


def _judge_phase(obs: dict, phase: str, judge_call) -> Verdict:
    """Each run's criterion calls of ``phase`` ("d" or "g"), minibatch by minibatch, with
    ``judge_call``; a run without such a call fails with :data:`NOT_COMPUTED`'s words."""
    for report, where in _runs(obs):
        calls = _calls(report, phase)
        if not calls:
            if phase == "g" and where == "On CUDA":
                continue  # a failure before the generator's step is the labels' check's
            stopped, never = NOT_COMPUTED[phase]
            if report.get("error"):
                return Verdict(False, stopped.format(where=where, error=_error_text(report["error"])))
            return Verdict(False, never.format(where=where))
        for i, call in enumerate(calls, 1):
            verdict = judge_call(call, f"{where}, minibatch {i}")
            if verdict is not None:
                return verdict
    return Verdict(True)


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _target_shape(call: dict) -> tuple[int, ...] | None:
    target = call.get("target")
    if not isinstance(target, dict) or "shape" not in target:
        return None
    return shape(target)


# --- the discriminator's labels -----------------------------------------------------------

def judge_labels_call(call: dict, where: str) -> Verdict | None:
    """A failing verdict for one discriminator criterion call, or None when it is right."""
    real, fake = _rows(call)
    rows = real + fake
    target = call.get("target") or {}
    if "shape" not in target:
        return Verdict(False, f"{where}: labels is a {target.get('type')}, not a tensor. Build "
                       "it with torch (e.g. torch.cat of torch.full((batch_size,), REAL_LABEL, "
                       "device=device) and torch.full((batch_size,), FAKE_LABEL, device=device)).")
    got = _target_shape(call)
    if got != (rows,):
        size = math.prod(got) if got else 1
        if got == (rows, 1):
            return Verdict(False, f"{where}: labels has shape {list(got)}, but the discriminator's "
                           f"output d_outputs has shape [{rows}] (one logit per image: "
                           "Discriminator.forward returns out.view(N)). nn.BCEWithLogitsLoss needs "
                           f"targets of exactly the logits' shape: make labels a vector of {rows} "
                           "values (no trailing dimension of 1, e.g. torch.full((batch_size,), ...) "
                           "instead of torch.ones(batch_size, 1)).")
        if size == rows:
            return Verdict(False, f"{where}: labels has shape {list(got)}; it must have the shape "
                           f"of d_outputs, [{rows}] (one label per row of inputs).")
        return Verdict(False, f"{where}: labels has {size} values (shape {list(got)}), but inputs "
                       f"holds {rows} images ({real} real, then {fake} fake). Make one label per "
                       "image from batch_size = images.size(0), not a fixed number: the last "
                       "minibatch of an epoch is smaller than 100.")
    if target.get("dtype") not in ("float32",):
        return Verdict(False, f"{where}: labels has dtype {target.get('dtype')}; "
                       "nn.BCEWithLogitsLoss needs float targets like the logits (float32): use "
                       "torch.full((batch_size,), REAL_LABEL, ...) / torch.ones(...), not integer "
                       "tensors.")
    runs = target.get("runs")
    _count(runs)
    expected = [[1.0 if r[0] == "R" else 0.0, r[1]] for r in call["rows"]]
    swapped = [[1.0 - v, k] for v, k in expected]
    if runs != expected:
        observed = _describe_runs(runs)
        msg = (f"{where}: inputs holds {real} real images, then {fake} fake ones, so labels "
               f"should be {_describe_runs(expected)} (REAL_LABEL for real, FAKE_LABEL for "
               f"fake), but your labels are {observed}")
        if runs == swapped:
            return Verdict(False, msg + ": real and fake labels are swapped. The real images come "
                           "first in inputs and get REAL_LABEL = 1; the fakes get FAKE_LABEL = 0.")
        if runs == [[1.0, rows]]:
            return Verdict(False, msg + ": every image is labelled real; the fake half needs "
                           "FAKE_LABEL = 0.")
        if runs == [[0.0, rows]]:
            return Verdict(False, msg + ": every image is labelled fake; the real half needs "
                           "REAL_LABEL = 1.")
        return Verdict(False, msg + ". Label the first batch_size rows REAL_LABEL and the next "
                       "batch_size rows FAKE_LABEL, in the order of torch.cat([images, fakes]).")
    logits = call.get("logits") or {}
    if target.get("device") != logits.get("device"):
        return Verdict(False, f"{where}: labels is on {target.get('device')} but the "
                       f"discriminator's output is on {logits.get('device')}: create labels on "
                       "device (torch.full(..., device=device)) so train runs on a GPU too.")
    return None


def judge_labels(obs: dict, p: dict) -> Verdict:
    return _judge_phase(obs, "d", judge_labels_call)


# --- the generator's targets --------------------------------------------------------------

def judge_targets_call(call: dict, where: str) -> Verdict | None:
    real, fake = _rows(call)
    rows = real + fake
    target = call.get("target") or {}
    if "shape" not in target:
        return Verdict(False, f"{where}: the generator's targets are a {target.get('type')}, not "
                       "a tensor: use torch.full_like(outputs, REAL_LABEL) (or torch.ones_like).")
    got = _target_shape(call)
    if got != (rows,):
        size = math.prod(got) if got else 1
        if size == 2 * rows:
            return Verdict(False, f"{where}: the generator's targets have {size} values but "
                           f"outputs holds {rows} logits (one per fresh fake image): did you "
                           "reuse the discriminator's labels (real and fake, 2N values)? The "
                           f"generator's loss needs {rows} targets, all REAL_LABEL: "
                           "torch.full_like(outputs, REAL_LABEL).")
        return Verdict(False, f"{where}: the generator's targets have shape {list(got)}, but "
                       f"outputs has shape [{rows}]: nn.BCEWithLogitsLoss needs targets of the "
                       "logits' shape. Use torch.full_like(outputs, REAL_LABEL).")
    if target.get("dtype") != "float32":
        return Verdict(False, f"{where}: the generator's targets have dtype {target.get('dtype')}; "
                       "use float targets: torch.full_like(outputs, REAL_LABEL).")
    runs = target.get("runs")
    _count(runs)
    if runs != [[1.0, rows]]:
        msg = (f"{where}: the generator's targets are {_describe_runs(runs)}, expected "
               f"{rows} x 1.0 (REAL_LABEL for every fake)")
        if runs == [[0.0, rows]]:
            return Verdict(False, msg + ". You used the FAKE label: the generator wants D to call "
                           "its fakes real, so its loss compares D's logits for the fakes with "
                           "REAL_LABEL (the non-saturating loss -log D(G(z))).")
        return Verdict(False, msg + ": the generator wants D to call its fakes real, so every "
                       "target is REAL_LABEL.")
    logits = call.get("logits") or {}
    if target.get("device") != logits.get("device"):
        return Verdict(False, f"{where}: the generator's targets are on {target.get('device')} "
                       f"but outputs is on {logits.get('device')}: create them from outputs "
                       "(torch.full_like(outputs, REAL_LABEL)) or with device=device.")
    return None


def judge_targets(obs: dict, p: dict) -> Verdict:
    return _judge_phase(obs, "g", judge_targets_call)


# --- the first losses on known networks ---------------------------------------------------

def loss_candidates(run: dict) -> dict[str, float]:
    """The first discriminator and generator losses of train on the stand-ins, and mistakes'.

    Recomputed here from the same seeds: one minibatch of N identical real images and N
    identical fakes, the discriminator's Adam step, then the generator's loss on the updated
    discriminator.
    """
    gen, disc = stub_networks(run["seed"])
    n = min(BATCH, run["n_images"])
    real = dataset_images(n, run["seed"], identical=True)                 # (N, 1, 28, 28)
    with torch.no_grad():
        fake = gen(torch.zeros(n, NOISE_DIM))                              # (N, 1, 28, 28)
        l_real, l_fake = disc(real), disc(fake)                            # (N,), (N,)
    values = {
        "d_right": (bce(l_real, 1.0) + bce(l_fake, 0.0)) / 2,
        "d_swapped": (bce(l_real, 0.0) + bce(l_fake, 1.0)) / 2,
        "d_all_real": (bce(l_real, 1.0) + bce(l_fake, 1.0)) / 2,
        "d_all_fake": (bce(l_real, 0.0) + bce(l_fake, 0.0)) / 2,
        "d_sigmoid_twice": (bce(torch.sigmoid(l_real), 1.0) + bce(torch.sigmoid(l_fake), 0.0)) / 2,
    }
    optimizer = _ADAM(disc.parameters(), lr=run["lr"], betas=BETAS)
    logits = disc(torch.cat([real, fake]))
    labels = torch.cat([torch.ones(n), torch.zeros(n)])
    d_loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
    optimizer.zero_grad()
    d_loss.backward()
    optimizer.step()
    with torch.no_grad():
        l_fake = disc(fake)
    values["g_right"] = bce(l_fake, 1.0)
    values["g_fake_label"] = bce(l_fake, 0.0)
    values["g_sigmoid_twice"] = bce(torch.sigmoid(l_fake), 1.0)
    return values


def judge_loss_values(obs: dict, p: dict) -> Verdict:
    values = loss_candidates(p["run"])
    d_calls, g_calls = _calls(obs, "d"), _calls(obs, "g")
    error = obs.get("error")
    if not d_calls:
        return Verdict(False, "train stopped before the discriminator's loss was computed"
                       + (f": {_error_text(error)}." if error else "."))
    where = f"With known stand-in networks (one minibatch of {min(BATCH, p['run']['n_images'])})"
    verdict = judge_labels_call(d_calls[0], where)
    if verdict is not None:
        return verdict
    d_loss = number(d_calls[0], "loss") if "loss" in d_calls[0] else math.nan
    if not close(d_loss, values["d_right"]):
        if math.isnan(d_loss) and error:
            return Verdict(False, "Computing the discriminator's loss failed: "
                           f"{_error_text(error)}.")
        msg = (f"With known stand-in networks and a minibatch of identical real images, the "
               f"first d_loss is {fmt(d_loss)}, expected {fmt(values['d_right'])}")
        hints = {"d_swapped": ": that is the loss with real and fake labels swapped (real "
                              "images get REAL_LABEL = 1, fakes FAKE_LABEL = 0).",
                 "d_all_real": ": that is the loss with every image labelled real.",
                 "d_all_fake": ": that is the loss with every image labelled fake.",
                 "d_sigmoid_twice": ": it looks like a sigmoid was applied to d_outputs before "
                                    "the criterion. nn.BCEWithLogitsLoss takes the raw logits "
                                    "and applies the sigmoid itself."}
        hint = explain(d_loss, values, hints)
        if hint:
            return Verdict(False, msg + hint)
        return Verdict(False, msg + ": check the discriminator's labels.")
    if not g_calls:
        return Verdict(False, "train stopped before the generator's loss was computed"
                       + (f": {_error_text(error)}." if error else "."))
    verdict = judge_targets_call(g_calls[0], where)
    if verdict is not None:
        return verdict
    g_loss = number(g_calls[0], "loss") if "loss" in g_calls[0] else math.nan
    if not close(g_loss, values["g_right"], rel=1e-3):
        if math.isnan(g_loss) and error:
            return Verdict(False, f"Computing the generator's loss failed: {_error_text(error)}.")
        msg = (f"With known stand-in networks the first g_loss (after one discriminator step) "
               f"is {fmt(g_loss)}, expected {fmt(values['g_right'])}")
        if close(g_loss, values["g_fake_label"], rel=1e-3):
            return Verdict(False, msg + ": that is the loss with the FAKE label as target. The "
                           "generator wants D to call its fakes real: target REAL_LABEL.")
        if close(g_loss, values["g_sigmoid_twice"], rel=1e-3):
            return Verdict(False, msg + ": it looks like a sigmoid was applied to outputs before "
                           "the criterion. nn.BCEWithLogitsLoss takes the raw logits and applies "
                           "the sigmoid itself.")
        return Verdict(False, msg + ". Compute g_loss = criterion(outputs, "
                       "torch.full_like(outputs, REAL_LABEL)) after the discriminator's step.")
    return _judge_used_losses(obs, values, where, p["run"])


def _judge_used_losses(obs: dict, values: dict, where: str, run: dict) -> Verdict:
    """The losses train backpropagates and reports are the criterion's results themselves."""
    for e in _list(obs, "events"):
        if e.get("kind") != "backward" or e.get("phase") not in NETWORK:
            continue
        scale = e.get("scale")
        if isinstance(scale, (int, float)) and not isinstance(scale, bool) and close(scale, 1.0):
            continue
        phase = e.get("phase")
        times = (f" (that is {fmt(scale)} times the criterion's result: did you multiply it by "
                 "the batch size?)" if isinstance(scale, (int, float)) and not close(scale, 1.0)
                 else "")
        return Verdict(False, f"{where}, the {LOSS[phase]} that train backpropagates is not the "
                       f"criterion's result{times}. Use the mean loss as nn.BCEWithLogitsLoss "
                       f"returns it: {LOSS[phase]} = criterion(...), with no factor such as "
                       "batch_size. A scaled loss scales every gradient and the reported "
                       "losses too.")
    history = obs.get("history") or {}
    if run["n_images"] > BATCH or run["epochs"] != 1:
        return Verdict(True)   # the history averages several minibatches: not known here
    for key, right in (("d_loss", "d_right"), ("g_loss", "g_right")):
        got = history.get(key)
        if not isinstance(got, list) or not got:
            continue  # the smoke check explains a missing history
        first = got[0]
        if not (isinstance(first, (int, float)) and not isinstance(first, bool)
                and close(float(first), values[right], rel=1e-3)):
            other_key, other = (("g_loss", "g_right") if key == "d_loss" else ("d_loss", "d_right"))
            if _finite(first) and close(float(first), values[other], rel=1e-3):
                return Verdict(False, f"{where}, train returned "
                               f"history['{key}'] = [{fmt(first)}]: that is the {other_key}, not "
                               f"the {key}. The discriminator's and the generator's losses are "
                               "swapped on their way into history: check the order in which "
                               "train_step returns them and the loop unpacks them (d_loss, "
                               "g_loss, ...).")
            return Verdict(False, f"{where}, train returned "
                           f"history['{key}'] = [{fmt(first)}], expected the criterion's "
                           f"{key} {fmt(values[right])}: the loss train uses and reports must "
                           "be the criterion's result itself (no factor such as batch_size).")
    return Verdict(True)


# --- the updates: each optimizer step changes its own network, with a clean gradient -------

NETWORK = {"d": "discriminator", "g": "generator"}
OPTIMIZER = {"d": "d_optimizer", "g": "g_optimizer"}
LOSS = {"d": "d_loss", "g": "g_loss"}


def _steps(obs: dict) -> list[dict]:
    return [e for e in _list(obs, "events") if e.get("kind") == "step"]


def judge_isolation(obs: dict, p: dict) -> Verdict:
    steps = _steps(obs)
    for phase in ("d", "g"):
        if not any(s.get("phase") == phase for s in steps):
            stopped = _stopped(obs, f"the {NETWORK[phase]}'s optimizer step")
            if stopped:
                return stopped
            return Verdict(False, f"No optimizer step followed {LOSS[phase]}.backward(): call "
                           f"{OPTIMIZER[phase]}.step() after {LOSS[phase]}.backward() in every "
                           "minibatch.")
    for i, s in enumerate(steps, 1):
        phase = s.get("phase")
        if phase not in NETWORK:
            return Verdict(False, f"Optimizer step {i} came before any loss.backward(): compute "
                           "the loss and call .backward() before .step().")
        own, other = ("disc", "gen") if phase == "d" else ("gen", "disc")
        own_changed = changed(s["before"][own], s["after"][own])
        other_changed = changed(s["before"][other], s["after"][other])
        holder = s.get("optimizer")
        where = f"In the {NETWORK[phase]}'s step (after {LOSS[phase]}.backward())"
        if holder != NETWORK[phase]:
            wrong = [OPTIMIZER[k] for k in OPTIMIZER if NETWORK[k] == holder]
            name = wrong[0] if wrong else f"an optimizer over {holder}"
            return Verdict(False, f"{where} you stepped {name}, which updates the {holder}'s "
                           f"weights: call {OPTIMIZER[phase]}.zero_grad() before and "
                           f"{OPTIMIZER[phase]}.step() after {LOSS[phase]}.backward().")
        if other_changed:
            return Verdict(False, f"{where} the {NETWORK['g' if phase == 'd' else 'd']}'s "
                           "weights changed: each step may change only its own network.")
        if not own_changed:
            return Verdict(False, f"{where} {OPTIMIZER[phase]}.step() did not change the "
                           f"{NETWORK[phase]}'s weights: does {LOSS[phase]} depend on them "
                           "(no .detach() or torch.no_grad() on the way)?")
    return Verdict(True)


def _dirty(grads) -> list[str]:
    """Parameters that hold a gradient (not None, not all zero; NaN counts as a gradient)."""
    if not isinstance(grads, dict):
        raise ObservationError("gradient report missing")
    return sorted(name for name, norm in grads.items() if norm is not None and norm != 0.0)


def judge_gradients(obs: dict, p: dict) -> Verdict:
    events = _list(obs, "events")
    backwards = [e for e in events if e.get("kind") == "backward"]
    for phase in ("d", "g"):
        if not any(e.get("phase") == phase for e in backwards):
            stopped = _stopped(obs, f"{LOSS[phase]}.backward()")
            if stopped:
                return stopped
            return Verdict(False, f"{LOSS[phase]}.backward() was never called: the "
                           f"{NETWORK[phase]} cannot learn without it.")
    last_backward: dict = {}
    for e in events:
        phase = e.get("phase")
        if e.get("kind") == "backward":
            own = "disc_grads" if phase == "d" else "gen_grads"
            stale = _dirty(e.get(own))
            if stale:
                return Verdict(False, f"When {LOSS[phase]}.backward() started, the "
                               f"{NETWORK[phase]}'s .grad still held gradients from earlier "
                               f"({', '.join(stale[:3])}): backward() adds to .grad, so the "
                               f"{NETWORK[phase]} would step on a mix of old and new gradients. "
                               f"Call {OPTIMIZER[phase]}.zero_grad() before "
                               f"{LOSS[phase]}.backward().")
            last_backward[phase] = e
        elif e.get("kind") == "step" and phase == "d" and "d" in last_backward:
            if e.get("gen_grads") != last_backward["d"].get("gen_grads"):
                return Verdict(False, "d_loss.backward() wrote gradients into the generator's "
                               ".grad: did you remove the .detach() from fake_images in "
                               "inputs = torch.cat([images, fake_images.detach()])? The "
                               "discriminator's step must not backpropagate into the generator "
                               "(those gradients point the wrong way for it, and cost time).")
    return Verdict(True)


def judge_fresh_fakes(obs: dict, p: dict) -> Verdict:
    """The generator's step scores fakes made after the discriminator's step, from new noise,
    and neither step scores fakes from the noise of an earlier minibatch."""
    d_noise = None        # the noise of the fakes the latest discriminator step was given
    after_step = None     # the noises generated since that step (None: no step yet)
    latest = None         # the noise of the latest generator call
    used: set = set()     # the noises of the fakes that earlier minibatches' steps scored
    minibatch = 0
    for e in _list(obs, "events"):
        kind, phase = e.get("kind"), e.get("phase")
        if kind == "generate":
            latest = e.get("noise")
            if after_step is not None:
                after_step.append(latest)
        elif kind == "step" and phase == "d":
            d_noise, after_step = latest, []
        elif kind == "backward" and phase == "g" and after_step is not None:
            minibatch += 1
            where = f"In minibatch {minibatch}"
            if not after_step:
                return Verdict(False, f"{where} the generator's step scored the fake images of "
                               "the discriminator's step again: no new fakes were generated "
                               "after d_optimizer.step(). Make fresh ones for the generator's "
                               "step: noise = torch.randn(batch_size, NOISE_DIM, device=device), "
                               "fake_images = generator(noise), as the text says.")
            if d_noise is not None and all(z == d_noise for z in after_step):
                return Verdict(False, f"{where} the generator's step made its fakes from the "
                               "SAME noise as the discriminator's step: draw new noise, "
                               "torch.randn(batch_size, NOISE_DIM, device=device), for the "
                               "generator's step.")
            for step_name, noise in (("discriminator's", d_noise), ("generator's", after_step[-1])):
                if noise is not None and noise in used:
                    return Verdict(False, f"{where} the {step_name} step made its fakes from "
                                   "the same noise as in an earlier minibatch: the generator "
                                   "then learns from the same few noise vectors again and again. "
                                   "Draw new noise inside the step, every minibatch: noise = "
                                   "torch.randn(batch_size, NOISE_DIM, device=device) (on a GPU "
                                   "too: a recorded step draws new noise at every replay).")
            used.update(z for z in (d_noise, after_step[-1]) if z is not None)
            after_step = None
    if minibatch == 0:
        stopped = _stopped(obs, "the generator's step")
        if stopped:
            return stopped
        return Verdict(False, "No generator step (g_loss.backward()) followed a discriminator "
                       "step (d_optimizer.step()): keep both steps in every minibatch.")
    return Verdict(True)


judge_updates = all_of("judge_updates", judge_isolation, judge_gradients, judge_fresh_fakes)


# --- a short training run -----------------------------------------------------------------

def judge_smoke(obs: dict, p: dict) -> Verdict:
    run = p["run"]
    for report, where in _runs(obs):
        epochs = run["epochs"] if where == "On the CPU" else 1
        images = run["n_images"] if where == "On the CPU" else min(run["n_images"], CUDA_IMAGES)
        if report.get("error"):
            return Verdict(False, f"{where}, train({_plural(epochs, 'epoch')} on {images} images) "
                           f"raised {_error_text(report['error'])}.")
        history = report.get("history") or {}
        if history.get("type") != "dict":
            return Verdict(False, f"train returned a {history.get('type')}, expected the history "
                           "dict {'d_loss': [...], 'g_loss': [...]}: keep the given `return "
                           "history` at the end.")
        for key in ("d_loss", "g_loss"):
            values = history.get(key)
            if not isinstance(values, list) or len(values) != epochs:
                return Verdict(False, f"{where}, history['{key}'] should hold {epochs} numbers "
                               f"(one mean loss per epoch), got {values!r:.80}.")
            if not all(_finite(v) for v in values):
                return Verdict(False, f"{where}, history['{key}'] = {values!r:.80}: the losses "
                               "must be finite numbers.")
        for call in _list(report, "calls"):
            if not _finite(call.get("loss")):
                return Verdict(False, f"{where}, a loss was {call.get('loss')}: training diverged.")
    verdict = _judge_epoch_means(obs, run)
    if verdict is not None:
        return verdict
    for call in _list(obs, "calls"):
        want = [sum(_rows(call)), *IMAGE]
        if call.get("disc_shape") != want:
            return Verdict(False, f"The discriminator was given a batch of shape "
                           f"{call.get('disc_shape')}, expected {want}: feed it whole image "
                           "batches (N, 1, 28, 28), as the data loader and the generator give "
                           "them.")
    for net, name in (("gen", "generator"), ("disc", "discriminator")):
        if not changed(obs["start"][net], obs["end"][net]):
            return Verdict(False, f"After {_plural(run['epochs'], 'epoch')} the {name}'s weights "
                           "had not changed.")
    return Verdict(True)


def _judge_epoch_means(obs: dict, run: dict) -> Verdict | None:
    """On the CPU run, each history entry is the mean of its epoch's criterion results.

    Judged only where every minibatch made one criterion call per phase and none was left out of
    the report; None when right or not known."""
    per_epoch = math.ceil(run["n_images"] / BATCH)
    history = obs.get("history") or {}
    if obs.get("truncated"):
        return None
    losses = {phase: [c.get("loss") for c in _calls(obs, phase)] for phase in ("d", "g")}
    if not all(len(v) == per_epoch * run["epochs"] and all(_finite(x) for x in v)
               for v in losses.values()):
        return None
    for key, phase, other in (("d_loss", "d", "g"), ("g_loss", "g", "d")):
        got = history.get(key)
        if not isinstance(got, list) or len(got) != run["epochs"]:
            continue  # the length is judged above
        for epoch in range(run["epochs"]):
            epoch_losses = losses[phase][epoch * per_epoch:(epoch + 1) * per_epoch]
            mean = sum(epoch_losses) / per_epoch
            value = float(got[epoch]) if _finite(got[epoch]) else math.nan
            if close(value, mean, rel=1e-4):
                continue
            other_mean = sum(losses[other][epoch * per_epoch:(epoch + 1) * per_epoch]) / per_epoch
            hint = (" (that is the loss of the epoch's last minibatch only)"
                    if close(value, epoch_losses[-1], rel=1e-4) else
                    f" (that is the mean {LOSS[other]}: the two losses are swapped on their way "
                    "into history)" if close(value, other_mean, rel=1e-4) else "")
            return Verdict(False, f"history['{key}'][{epoch}] is {fmt(got[epoch])}{hint}, but "
                           f"the mean of the epoch's {per_epoch} {key} values was {fmt(mean)}: "
                           f"history['{key}'] must hold each epoch's mean loss over all its "
                           "minibatches (add them up in the loop, divide by their number once "
                           "per epoch).")
    return None


# --- the list ------------------------------------------------------------------------------

def _run(seed: int, n_images: int, epochs: int, lr: float, stubs: bool = False) -> dict:
    return {"run": {"seed": seed, "n_images": n_images, "epochs": epochs, "lr": lr,
                    "stubs": stubs, "cuda": not stubs}}


VISIBLE_RUN = _run(seed=1, n_images=200, epochs=1, lr=0.001)            # 2 minibatches of 100
HIDDEN_RUN = _run(seed=7, n_images=130, epochs=2, lr=0.0005)            # 100 and 30, twice
VISIBLE_STUBS = _run(seed=11, n_images=24, epochs=1, lr=0.001, stubs=True)
HIDDEN_STUBS = _run(seed=12, n_images=37, epochs=1, lr=0.002, stubs=True)

# --- devices: one short run with the networks on `meta` ----------------------------------

DEVICE_HINT = ("Make every new tensor on `device`: torch.randn(batch_size, NOISE_DIM, "
               "device=device), labels with torch.ones(..., device=device) or torch.ones_like, "
               "and move each batch of images with images.to(device).")


def judge_device(obs: dict, p: dict) -> Verdict:
    return meta.judge_meta_run(obs, "train", DEVICE_HINT, "device='meta' (the grader's stand-in "
                               "for a GPU) was passed. ", DEVICE_HINT)


CHECKS: list[Check] = [
    Check("train_discriminator_labels", "train",
          "train: the discriminator's labels (2N,) are 1 for real rows, 0 for fake rows, on device",
          2.0, observe_discriminator_step, judge_labels, VISIBLE_RUN),
    Check("train_generator_targets", "train",
          "train: the generator's targets (N,) are all REAL_LABEL, on device",
          2.0, observe_generator_step, judge_targets, VISIBLE_RUN),
    Check("train_loss_values", "train",
          "train: first d_loss and g_loss on known networks", 2.0,
          observe_generator_step, judge_loss_values, VISIBLE_STUBS),
    Check("train_step_isolation", "train",
          "train: d_optimizer changes only the discriminator, g_optimizer only the generator",
          2.0, observe_whole_run, judge_isolation, VISIBLE_RUN),
    Check("train_gradients", "train",
          "train: zero_grad before each backward, no generator gradients from the "
          "discriminator's step", 2.0, observe_whole_run, judge_gradients, VISIBLE_RUN),
    Check("train_generator_fresh_fakes", "train",
          "train: the generator's step scores fresh fakes made after the discriminator's step, "
          "from new noise every minibatch",
          1.0, observe_whole_run, judge_fresh_fakes, VISIBLE_RUN),
    Check("train_smoke_run", "train",
          "train: a short run finishes with finite losses, each epoch's mean in history, and "
          "both networks learn", 1.0,
          observe_whole_run, judge_smoke, VISIBLE_RUN),
    Check("train_discriminator_labels_hidden", "train",
          "train: the discriminator's labels with a smaller last minibatch", 1.0,
          observe_discriminator_step, judge_labels, HIDDEN_RUN, HIDDEN),
    Check("train_generator_targets_hidden", "train",
          "train: the generator's targets with a smaller last minibatch", 1.0,
          observe_generator_step, judge_targets, HIDDEN_RUN, HIDDEN),
    Check("train_loss_values_hidden", "train",
          "train: first losses on other known networks", 1.0,
          observe_generator_step, judge_loss_values, HIDDEN_STUBS, HIDDEN),
    Check("train_updates_hidden", "train",
          "train: isolated updates, clean gradients and fresh fakes over two epochs", 1.0,
          observe_whole_run, judge_updates, HIDDEN_RUN, HIDDEN),
    Check("train_device", "train", "train: works on the device it is given (checked on `meta`)",
          1.0, observe_device, judge_device, {"seed": 13, "n_images": 150, "lr": 0.001}),
]

# Credit only for code that works (checks.gate): secondary check -> the main check it repeats
# (hidden variants), or the one that says train's losses are right (device, freshness).
GATED = {
    "train_generator_fresh_fakes": "train_loss_values",
    "train_discriminator_labels_hidden": "train_discriminator_labels",
    "train_generator_targets_hidden": "train_generator_targets",
    "train_loss_values_hidden": "train_loss_values",
    "train_updates_hidden": "train_step_isolation",
    "train_device": "train_loss_values",
}
