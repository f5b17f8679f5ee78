"""Checks for ``gan_project`` (seed 002, "Assignment 3, Part 2": ``.py`` templates).

Students write ``models.py`` (``GeneratorMLP``, ``DiscriminatorMLP``) and ONE of the two training
files: ``train_torch.py`` (plain PyTorch: the ``GAN`` module, ``train_gan`` and the optimizers in
``main``) or ``train_pl.py`` (the same ``GAN`` as a Lightning module: ``configure_optimizers`` and
``training_step`` with manual optimisation). The grader grades the complete file when only one
is complete, else the only one started; when both are started it grades the training checks on
each and keeps the file with more points (:func:`graded_file`). That choice runs the checks'
judges in the child, next to the student's code: a submission that fools it can only make the
grader pick the other of its own two files, whose observations are then judged here as usual.
The 0-point check ``training_file`` says which file was graded, and why. Every check has the
same points either way, and failures name the graded file.

Every ``observe_*`` function runs in the child beside the student's modules (``ns`` maps module
name -> module) and reports plain data; every ``judge_*`` function runs in the grader and
decides, recomputing the expected values from the known stubs below and in
:mod:`autograder.fixtures`. The GAN's methods are checked on stub networks (installed as
``model.generator`` / ``model.discriminator``), so a mistake in ``models.py`` neither hides nor
causes a mistake in the training file; ``training_smoke`` then runs everything together, on CUDA
too when CUDA is available. Hidden checks ask the same questions with other sizes and seeds.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import tempfile

import torch
from torch import nn

from autograder import observe as ob
from autograder.probes import device as meta
from autograder.checks import (
    HIDDEN,
    Check,
    ObservationError,
    Verdict,
    changed,
    close,
    fmt,
    layer_names,
    layers,
    number,
    numbers,
    shape,
    with_gradient,
)
from autograder.child import describe_error
from autograder.feedback import where_text
from autograder.fixtures import ConstantGenerator, LinearDiscriminator, real_images
from autograder.trained import trained_generator_check

MODULES = {"models.py": "student", "train_torch.py": "student", "train_pl.py": "student",
           "mnist.py": "provided", "utils.py": "provided"}

TRAIN_FILES = ("train_torch", "train_pl")
IMAGE = (1, 28, 28)
PIXELS = 28 * 28
LEAKY_SLOPE = 0.2        # models.py's suggestion (not graded: the seed only suggests it)
BETAS = (0.5, 0.999)     # both Adams, as the templates' docstrings say
STALE = 1e6              # a stale gradient planted before training: a step without zero_grad shows
STALE_STEP = 10.0        # a parameter moving more than this in one SGD(lr=0.01) phase used it
ENDS_ROWS = 400          # rows interpolated to measure the spread of the ends' latent vectors
MAX_RECORDS = 8          # calls a stub remembers (a hostile loop cannot flood the report)


# --- stubs (imported by the child and the grader) ------------------------------------------

class LinearGenerator(nn.Module):
    """A generator with known weights: images ``z @ W`` (optionally through tanh), any batch dims.

    ``(..., z_dim) -> (..., 1, 28, 28)``. Without tanh it is linear, so images generated along a
    straight line in latent space lie on a straight line too, and the latent vectors can be read
    back from the images (:meth:`latents`). It records its inputs and its mode at each call.
    """

    def __init__(self, z_dim: int, seed: int, tanh: bool = False):
        super().__init__()
        g = torch.Generator().manual_seed(seed + 5)
        self.weight = nn.Parameter(torch.randn(z_dim, PIXELS, generator=g) / z_dim ** 0.5)
        self.tanh = tanh
        self.calls: list[dict] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = ob.as_tensor(z, "the generator's input z")
        meta.seen_input(z)  # on `meta`, the device probe names where a CPU z was made
        if len(self.calls) < MAX_RECORDS:
            self.calls.append({**ob.tensor_info(z), "training": bool(self.training)})
        x = z @ self.weight                                              # (..., 784)
        if self.tanh:
            x = torch.tanh(x)
        return x.reshape(*z.shape[:-1], *IMAGE)                           # (..., 1, 28, 28)

    def latents(self, images: torch.Tensor) -> torch.Tensor:
        """The z that produced ``images`` (..., 1, 28, 28) (no tanh): least squares on W."""
        flat = images.detach().double().reshape(-1, PIXELS).cpu()         # (N, 784)
        w = self.weight.detach().double().cpu()                           # (z_dim, 784)
        return torch.linalg.lstsq(w.T, flat.T).solution.T                 # (N, z_dim)


class _Placeholder(nn.Module):
    """Stands in for ``GeneratorMLP``/``DiscriminatorMLP`` while a GAN is built for a check."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))


class _NullWriter:
    """Stands in for TensorBoard's SummaryWriter: writes nothing."""

    def __init__(self, log_dir=None, *args, **kwargs):
        self.log_dir = str(log_dir or tempfile.mkdtemp())

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class _RecordingLogger:
    """Stands in for ``utils.TensorBoardLogger``: counts the logged dicts, keeps their 'loss'."""

    def __init__(self, *args, **kwargs):
        self.calls = 0
        self.losses: list = []

    def add_values(self, log_dict) -> None:
        self.calls += 1
        if len(self.losses) < MAX_RECORDS * 4:
            loss = log_dict.get("loss") if isinstance(log_dict, dict) else None
            try:
                self.losses.append(ob.scalar(loss, "the logged loss"))
            except TypeError:
                self.losses.append(None)

    def set_step(self, step) -> None:
        pass


class _Stop(Exception):
    """Raised by the grader's stand-in ``train_gan`` to leave ``main`` once it is called."""


@contextlib.contextmanager
def patched(module, **attrs):
    """Set attributes of a student module for a while, then restore them."""
    missing = object()
    saved = {name: getattr(module, name, missing) for name in attrs}
    for name, value in attrs.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                with contextlib.suppress(AttributeError):
                    delattr(module, name)
            else:
                setattr(module, name, value)


def quiet_lightning() -> None:
    import logging
    import warnings

    for name in ("lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def cuda_usable() -> bool:
    """CUDA is there and works for the grader's own tensors (else device checks are skipped)."""
    if not torch.cuda.is_available():
        return False
    try:
        return bool(torch.ones(2, device="cuda").sum().item() == 2.0)
    except Exception:  # a broken driver is not the student's mistake
        return False


# --- which training file is graded -----------------------------------------------------------

def gan_kwargs(z_dim: int, lr: float = 1e-3, hidden_gen=(16,), hidden_disc=(16,),
               dp_gen: float = 0.0, dp_disc: float = 0.0) -> dict:
    return {"hidden_dims_gen": list(hidden_gen), "hidden_dims_disc": list(hidden_disc),
            "dp_rate_gen": dp_gen, "dp_rate_disc": dp_disc, "z_dim": z_dim, "lr": lr}


def build_gan(module, **kwargs):
    """The file's GAN with placeholder networks (models.py need not be finished)."""
    gan_class = getattr(module, "GAN", None)
    if gan_class is None:
        raise ob.Missing(f"GAN (in {module.__name__}.py)")
    with patched(module, GeneratorMLP=_Placeholder, DiscriminatorMLP=_Placeholder):
        return gan_class(**kwargs)


def _progress(module) -> tuple[int, int]:
    """(methods that run or fail other than NotImplementedError, methods probed) of a file."""
    try:
        model = build_gan(module, **gan_kwargs(4))
        model.generator, model.discriminator = LinearGenerator(4, 0, tanh=True), LinearDiscriminator(PIXELS, 0)
    except Exception:  # noqa: BLE001 - an unusable file is not graded
        return 0, 1
    x = torch.zeros(2, *IMAGE)
    probes = [lambda: model.sample(2), lambda: model.interpolate(1, 1),
              lambda: model.generator_step(x), lambda: model.discriminator_step(x)]
    if module.__name__ == "train_pl":
        probes += [model.configure_optimizers, lambda: model.training_step(x, 0)]
    elif callable(getattr(module, "train_gan", None)):
        def train_one_batch():
            opts = [torch.optim.SGD(net.parameters(), lr=0.0)
                    for net in (model.generator, model.discriminator)]
            module.train_gan(model, [x], _RecordingLogger(), _RecordingLogger(), *opts)
        probes.append(train_one_batch)
    started = 0
    for probe in probes:
        try:
            probe()
        except NotImplementedError:
            continue
        except Exception:  # noqa: BLE001 - attempted: it is graded (and its errors reported)
            pass
        started += 1
    return started, len(probes)


_GRADED: dict = {}
_NOTES: dict = {}
_OBSERVED: dict = {}      # observations made while choosing between two started files


def graded_file(ns: dict):
    """(file name, module) of the training file to grade.

    The complete one when only one is complete; else the only one started; when both are
    started (and not exactly one complete), both are graded and the better one is kept
    (:func:`_better_of_both`); when none is started, train_torch.py.
    """
    key = tuple(id(ns.get(name)) for name in TRAIN_FILES)
    if key not in _GRADED:
        present = [name for name in TRAIN_FILES if name in ns]
        progress = {name: _progress(ns[name]) for name in present}
        started = [name for name in present if progress[name][0] > 0]
        complete = [name for name in started if progress[name][0] == progress[name][1]]
        if len(complete) == 1:
            choice = complete[0]
            if len(started) == 2:
                _NOTES[key] = (f"{choice}.py is complete and the other training file is only "
                               f"started: {choice}.py is graded.")
        elif len(started) == 1:
            choice = started[0]
        elif len(started) == 2:
            choice = _better_of_both(ns, key)
        else:
            choice = present[0] if present else None
        _GRADED[key] = choice
    choice = _GRADED[key]
    if choice is None:
        raise ob.Missing("train_torch (train_torch.py and train_pl.py both failed to import: see "
                         "the notes above)")
    return f"{choice}.py", ns[choice]


def _better_of_both(ns: dict, key: tuple) -> str:
    """Grade the training checks on each file; keep the file with more points (a note says so)."""
    totals, observed = {}, {}
    checks = [c for c in CHECKS if c.observe.__name__ in TRAINER_OBSERVERS]
    for name in TRAIN_FILES:
        _GRADED[key] = name
        totals[name], observed[name] = 0.0, {}
        for check in checks:
            params = _TRAINER_PARAMS.get(check.name, check.params)
            try:
                obs = check.observe(ns, params)
                passed = check.judge(obs, params).passed
            except Exception:  # noqa: BLE001 - a failing observation or judge scores 0 here
                obs, passed = None, False
            totals[name] += check.points if passed else 0.0
            if obs is not None:
                observed[name][_observation_key(check.observe, check.params)] = obs
    choice = max(TRAIN_FILES, key=lambda name: totals[name])   # a tie keeps train_torch
    best = sum(c.points for c in checks)
    _NOTES[key] = (f"Both training files are started, so both were graded: train_torch.py "
                   f"scored {fmt(totals['train_torch'])} and train_pl.py "
                   f"{fmt(totals['train_pl'])} of {fmt(best)} points on the training checks. "
                   f"The grade keeps the better one, {choice}.py.")
    _OBSERVED[key] = observed[choice]
    return choice


def _observation_key(observe, params: dict) -> str:
    import json

    return observe.__name__ + json.dumps(params, sort_keys=True, default=str)


def reusing_choice(observe):
    """``observe``, reusing an observation made while choosing the graded file."""
    def run(ns: dict, p: dict) -> dict:
        graded_file(ns)
        cached = _OBSERVED.get(tuple(id(ns.get(name)) for name in TRAIN_FILES), {})
        obs = cached.pop(_observation_key(observe, p), None)
        return obs if obs is not None else observe(ns, p)
    run.__name__ = observe.__name__
    return run


def observe_training_file(ns: dict, p: dict) -> dict:
    file, module = graded_file(ns)
    key = tuple(id(ns.get(name)) for name in TRAIN_FILES)
    if _progress(module)[0] == 0:
        raise NotImplementedError(f"{file}: no method implemented")
    return {"file": file, "note": _NOTES.get(key, "")}


def judge_training_file(obs: dict, p: dict) -> Verdict:
    file = obs.get("file")
    if file not in ("train_torch.py", "train_pl.py"):
        raise ObservationError("file missing")
    note = obs.get("note") if isinstance(obs.get("note"), str) else ""
    return Verdict(True, (note or f"Graded training file: {file}.")[:600])


def stub_gan(ns: dict, z_dim: int, generator: nn.Module, discriminator: nn.Module):
    """(file, model): the graded file's GAN with the given stub networks installed."""
    file, module = graded_file(ns)
    model = build_gan(module, **gan_kwargs(z_dim))
    model.generator, model.discriminator = generator, discriminator
    return file, model


def graded_note(obs: dict) -> str:
    file = obs.get("file") if isinstance(obs, dict) else None
    return f" (Graded file: {file}.)" if file in ("train_torch.py", "train_pl.py") else ""


# --- models.py ---------------------------------------------------------------------------------

def observe_network(ns: dict, p: dict) -> dict:
    models = ob.need(ns, "models")
    cls = getattr(models, p["class"], None)
    if cls is None:
        raise ob.Missing(p["class"])
    ob.seed_all(p["seed"])
    net = cls(**p["kwargs"])
    report: dict = {"layers": ob.describe_layers(net)}
    net.eval()
    x = torch.randn(p["n"], *p["input"]) * p["input_scale"]
    try:
        y = net(x)
    except NotImplementedError:
        raise
    except Exception as exc:  # reported, judged with a hint about the input's shape
        report["forward_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return report
    report["output"] = ob.tensor_info(y)
    # Dropout's behaviour, whatever implements it (nn.Dropout or F.dropout(..., training=...)):
    # two train() passes differ, two eval() passes agree, and with dp_rate=0 train() agrees too.
    with torch.no_grad():
        net.train()
        report["train_differ"] = not _equal_outputs(net(x), net(x))
        net.eval()
        report["eval_equal"] = _equal_outputs(net(x), net(x))
        ob.seed_all(p["seed"])
        no_dropout = cls(**dict(p["kwargs"], dp_rate=0.0))
        no_dropout.train()
        report["zero_rate_equal"] = _equal_outputs(no_dropout(x), no_dropout(x))
    return report


def _equal_outputs(a, b) -> bool:
    a, b = ob.as_tensor(a, "the network's output"), ob.as_tensor(b, "the network's output")
    with torch._C.DisableTorchFunctionSubclass():
        return a.shape == b.shape and bool(torch.equal(a.detach().cpu(), b.detach().cpu()))


def _call(p: dict) -> str:
    return f"{p['class']}({', '.join(f'{k}={v}' for k, v in p['kwargs'].items())})"


def _linear_problem(got: list[dict], dims: list[int], call: str) -> str | None:
    linears = [(d.get("in"), d.get("out")) for d in got if d.get("type") == "Linear"]
    want = list(zip(dims, dims[1:], strict=False))
    if linears == want:
        return None
    want_text = " -> ".join(f"Linear({a}, {b})" for a, b in want)
    return (f"{call} has the linear layers {' -> '.join(f'Linear({a}, {b})' for a, b in linears) or '(none)'}, "
            f"expected {want_text}: one hidden layer per entry of hidden_dims, in order, built "
            "from the arguments (not from fixed sizes).")


def _dropout_problem(got: list[dict], rate: float, call: str, obs: dict | None = None) -> str | None:
    """Dropout judged by what it does; nn.Dropout layers, where used, must have p = dp_rate."""
    rates = [d.get("p") for d in got if d.get("type") == "Dropout"]
    if any(not isinstance(r, (int, float)) or not close(float(r), rate) for r in rates):
        return (f"{call} has dropout rates {rates}, expected {rate} everywhere: use "
                "nn.Dropout(dp_rate), the argument, not a fixed number.")
    obs = obs or {}
    if obs.get("train_differ") is not True:
        return (f"In train() mode two passes of the same input through {call} gave the same "
                "output: no dropout is active. Add dropout with rate dp_rate after each hidden "
                "layer's activation (nn.Dropout(dp_rate), or F.dropout(h, self.dp_rate, "
                "training=self.training)).")
    if obs.get("eval_equal") is not True:
        return (f"In eval() mode two passes of the same input through {call} gave different "
                "outputs: dropout must switch off in eval(). Use nn.Dropout(dp_rate), or pass "
                "training=self.training to F.dropout (its default, training=True, ignores the "
                "mode).")
    if obs.get("zero_rate_equal") is not True:
        return (f"Built with dp_rate=0.0, {call.split('(')[0]} still gave two different outputs "
                "in train() mode: take the dropout rate from the argument dp_rate, not a fixed "
                "number.")
    return None


def judge_generator(obs: dict, p: dict) -> Verdict:
    got, k, call, n = layers(obs), p["kwargs"], _call(p), p["n"]
    out_shape = tuple(k["output_shape"])
    if "forward_error" in obs:
        return Verdict(False, f"{call} could not turn z of shape ({n}, {k['z_dim']}) into images: "
                       f"{obs['forward_error']}. The first nn.Linear takes z_dim inputs, and the "
                       "result is reshaped to (B, *output_shape).")
    problem = (_linear_problem(got, [k["z_dim"], *k["hidden_dims"], math.prod(out_shape)], call)
               or _dropout_problem(got, k["dp_rate"], call, obs))
    if problem:
        return Verdict(False, problem)
    out = obs.get("output", {})
    want = (n, *out_shape)
    if shape(out) != want:
        return Verdict(False, f"{call} returned shape {list(shape(out))} for z of shape "
                       f"({n}, {k['z_dim']}), expected {list(want)} = (B, *output_shape): reshape "
                       "the last layer's output with .view(z.shape[0], *self.output_shape).")
    kinds = [d.get("type") for d in got]
    lo, hi = number(out, "min"), number(out, "max")
    if not (-1.0 <= lo and hi <= 1.0):
        hint = (" It has no nn.Tanh at all: add nn.Tanh() after the last nn.Linear."
                if "Tanh" not in kinds else " Is the nn.Tanh the LAST layer?")
        return Verdict(False, f"{call} generated pixel values in [{fmt(lo)}, {fmt(hi)}]; they must "
                       "lie in [-1, 1], the range of the MNIST images in mnist.py, so the "
                       f"generator ends with a Tanh.{hint}")
    if lo >= 0.0:
        hint = " Replace nn.Sigmoid by nn.Tanh." if "Sigmoid" in kinds else ""
        return Verdict(False, f"{call} generated only non-negative pixel values [{fmt(lo)}, "
                       f"{fmt(hi)}]: the images lie in [-1, 1] (Tanh), like the data.{hint}")
    if out.get("dtype") != "float32":
        return Verdict(False, f"The generated images have dtype {out.get('dtype')}, expected float32.")
    return Verdict(True)


def judge_discriminator(obs: dict, p: dict) -> Verdict:
    got, k, call, n = layers(obs), p["kwargs"], _call(p), p["n"]
    kinds = [d.get("type") for d in got]
    images = "(" + ", ".join(str(s) for s in (n, *p["input"])) + ")"
    if "forward_error" in obs:
        hint = (" Start with nn.Flatten() so that each (1, 28, 28) image becomes a vector of "
                "input_dims numbers before the first nn.Linear." if "Flatten" not in kinds else
                " After nn.Flatten() each image is a vector of input_dims numbers: the first "
                "layer must be nn.Linear(input_dims, hidden_dims[0]).")
        return Verdict(False, f"{call} could not score a batch of images of shape {images}: "
                       f"{obs['forward_error']}.{hint}")
    core = [t for t in kinds if t not in ("Flatten", "Unflatten", "Identity")]
    if core and core[-1] == "Sigmoid":
        return Verdict(False, f"{call} ends with a Sigmoid ({layer_names(got)}). It must return "
                       "logits: the losses use binary_cross_entropy_with_logits, which applies the "
                       "sigmoid itself, so a second sigmoid squashes the scores and weakens the "
                       "gradients. Remove the nn.Sigmoid().")
    problem = (_linear_problem(got, [k["input_dims"], *k["hidden_dims"], 1], call)
               or _dropout_problem(got, k["dp_rate"], call, obs))
    if problem:
        return Verdict(False, problem)
    out = obs.get("output", {})
    if shape(out) != (n, 1):
        hint = " Do not squeeze the logits." if shape(out) == (n,) else ""
        return Verdict(False, f"{call} scored images {images} with shape {list(shape(out))}, "
                       f"expected [{n}, 1]: one logit per image.{hint}")
    lo, hi = number(out, "min"), number(out, "max")
    if 0.0 <= lo and hi <= 1.0:
        return Verdict(False, f"{call}'s scores all lie in [{fmt(lo)}, {fmt(hi)}], like "
                       "probabilities: return the last nn.Linear's logits, without torch.sigmoid.")
    return Verdict(True)


# --- sample --------------------------------------------------------------------------------

def observe_sample(ns: dict, p: dict) -> dict:
    n, z_dim = p["n"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"], tanh=True)
    file, model = stub_gan(ns, z_dim, gen, LinearDiscriminator(PIXELS, p["seed"]))
    ob.seed_all(p["seed"])
    model.train()
    first = ob.as_tensor(model.sample(n), "sample's result")
    second = ob.as_tensor(model.sample(n), "sample's result")
    report = {
        "file": file,
        "out": ob.tensor_info(first),
        "fresh": not bool(torch.equal(first.detach().cpu(), second.detach().cpu()))
        if first.shape == second.shape else True,
        "calls": gen.calls[:2],
        "mode_after": bool(gen.training),
    }
    if cuda_usable():
        try:
            model.to("cuda")
            report["cuda"] = {"out": ob.tensor_info(model.sample(3))["device"],
                              "z": [c.get("device") for c in gen.calls[2:3]]}
        except Exception as exc:  # reported and judged: a device mismatch is the usual cause
            report["cuda"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return report


def _cuda_problem(obs: dict, what: str) -> str | None:
    cuda = obs.get("cuda")
    if cuda is None:
        return None
    if not isinstance(cuda, dict):
        raise ObservationError("cuda report malformed")
    if "error" in cuda:
        return (f"On a GPU (model.to('cuda')) {what} failed: {cuda['error']}. Create tensors on "
                "the model's device: torch.randn(..., device=self.device).")
    devices = [cuda.get("out"), *(cuda.get("z") or [])]
    if any(d != "cuda" for d in devices):
        return (f"On a GPU {what} used tensors on {devices}: create z on the model's device, "
                "torch.randn(..., device=self.device).")
    return None


def _noise_problem(calls, want: tuple[int, ...], what: str) -> str | None:
    if not isinstance(calls, list) or not calls:
        return f"{what} never called self.generator."
    z = calls[0]
    if shape(z) != want:
        return (f"{what} gave the generator z of shape {list(shape(z))}, expected {list(want)} = "
                "(batch_size, z_dim).")
    if number(z, "min") >= 0.0:
        return ("All latent values are >= 0: this looks like torch.rand (uniform in [0, 1)). Draw "
                "z from the standard normal: torch.randn.")
    if not (abs(number(z, "mean")) < 0.3 and 0.7 < number(z, "std") < 1.3):
        return (f"The latent vectors have mean {fmt(number(z, 'mean'))} and standard deviation "
                f"{fmt(number(z, 'std'))}; z ~ N(0, I) has mean 0 and std 1: torch.randn.")
    return None


def judge_sample(obs: dict, p: dict) -> Verdict:
    n, note = p["n"], graded_note(obs)
    out = obs.get("out", {})
    if shape(out) != (n, *IMAGE):
        return Verdict(False, f"sample({n}) returned shape {list(shape(out))}, expected "
                       f"[{n}, 1, 28, 28]: the generator's images for z of shape ({n}, z_dim).{note}")
    if out.get("has_graph") is True or out.get("requires_grad") is True:
        return Verdict(False, f"sample({n}) returned images that track gradients (a computation "
                       "graph back to the generator): decorate sample with @torch.no_grad(), or "
                       f"run it inside `with torch.no_grad():`.{note}")
    problem = _noise_problem(obs.get("calls"), (n, p["z_dim"]), f"sample({n})")
    if problem:
        return Verdict(False, problem + note)
    lo, hi = number(out, "min"), number(out, "max")
    if not (-1.0 <= lo < 0.0 < hi <= 1.0):
        return Verdict(False, f"sample({n}) returned values in [{fmt(lo)}, {fmt(hi)}] from a "
                       "generator whose images lie in [-1, 1]: return the generator's images "
                       "unchanged (to_unit_range maps them to [0, 1] for saving)." + note)
    if obs.get("fresh") is not True:
        return Verdict(False, "Two calls of sample returned the same images: draw fresh z with "
                       "torch.randn on every call (do not seed or cache inside sample)." + note)
    calls = obs.get("calls")
    if isinstance(calls, list) and calls and calls[0].get("training") is not False:
        return Verdict(False, "sample ran the generator in training mode (dropout on): call "
                       "self.generator.eval() before generating." + note)
    if obs.get("mode_after") is not True:
        return Verdict(False, "After sample the generator stayed in eval mode although it was "
                       "training before: put it back with self.generator.train(was_training)." + note)
    problem = _cuda_problem(obs, "sample")
    if problem:
        return Verdict(False, problem + note)
    return Verdict(True)


# --- interpolate -------------------------------------------------------------------------------

def observe_interpolate(ns: dict, p: dict) -> dict:
    b, steps, z_dim = p["n"], p["steps"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, LinearDiscriminator(PIXELS, p["seed"]))
    ob.seed_all(p["seed"])
    model.train()
    out = ob.as_tensor(model.interpolate(b, steps), "interpolate's result")
    report: dict = {"file": file, "out": ob.tensor_info(out), "mode_after": bool(gen.training)}
    if tuple(out.shape) == (b, steps + 2, *IMAGE):
        frames = out.detach().double().cpu().reshape(b, steps + 2, PIXELS)   # (B, P, 784)
        first, last = frames[:, :1], frames[:, -1:]                        # (B, 1, 784)
        d = last - first
        d2 = (d * d).sum(-1).clamp_min(1e-30)                              # (B, 1)
        t = ((frames - first) * d).sum(-1) / d2                            # (B, P)
        residual = frames - first - t.unsqueeze(-1) * d                    # (B, P, 784)
        scale = d2.sqrt().unsqueeze(-1)
        report.update(
            t=[[float(v) for v in row] for row in t.tolist()],
            residual=float((residual.norm(dim=-1, keepdim=True) / scale).max()),
            end_distance=float(d2.sqrt().min() / (first.norm(dim=-1).max() + 1e-12)),
            rows_distinct=bool(b < 2 or not torch.allclose(frames[0, 0], frames[1, 0])),
        )
        # The ends' distribution from many rows: z_start and z_end themselves are ~ N(0, I), a
        # point inside the line (an end left out) has a smaller spread.
        many = ob.as_tensor(model.interpolate(ENDS_ROWS, 1), "interpolate's result")
        if tuple(many.shape) == (ENDS_ROWS, 3, *IMAGE):
            report["ends"] = [ob.tensor_info(gen.latents(many[:, k])) for k in (0, 2)]
    if cuda_usable():
        try:
            model.to("cuda")
            report["cuda"] = {"out": ob.tensor_info(model.interpolate(2, 1))["device"],
                              "z": [c.get("device") for c in gen.calls[-1:]]}
        except Exception as exc:  # reported and judged
            report["cuda"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return report


def judge_interpolate(obs: dict, p: dict) -> Verdict:
    b, steps, note = p["n"], p["steps"], graded_note(obs)
    call = f"interpolate({b}, {steps})"
    out = obs.get("out", {})
    want = (b, steps + 2, *IMAGE)
    got = shape(out)
    if got != want:
        hint = ""
        if len(got) == 5 and got[1] in (steps, steps + 1):
            hint = (f" You made {got[1]} images per row: include BOTH endpoints, "
                    "interpolation_steps + 2 points, t = torch.linspace(0, 1, interpolation_steps + 2).")
        elif len(got) == 4:
            hint = " Keep one row per pair: reshape to (batch_size, interpolation_steps + 2, 1, 28, 28)."
        return Verdict(False, f"{call} returned shape {list(got)}, expected {list(want)} = "
                       f"(batch_size, interpolation_steps + 2, 1, 28, 28).{hint}{note}")
    if out.get("has_graph") is True or out.get("requires_grad") is True:
        return Verdict(False, f"{call} returned images that track gradients: decorate "
                       "interpolate with @torch.no_grad()." + note)
    t_rows = obs.get("t")
    if not isinstance(t_rows, list) or len(t_rows) != b:
        raise ObservationError("interpolation coefficients missing")
    if number(obs, "end_distance") < 1e-3:
        return Verdict(False, f"With a linear test generator, the first and last image of a row "
                       f"of {call} are the same: draw two latent vectors, z_start and z_end." + note)
    if number(obs, "residual") > 1e-3:
        return Verdict(False, f"With a linear test generator, the images of a row of {call} do "
                       "not lie on one straight line: generate each image from "
                       "z_k = (1 - t_k) z_start + t_k z_end, a straight line in latent space." + note)
    expected = [k / (steps + 1) for k in range(steps + 2)]
    for row in t_rows:
        got_t = numbers({"t": row}, "t")
        if len(got_t) != len(expected) or not all(abs(g - e) < 1e-3 for g, e in zip(got_t, expected, strict=True)):
            return Verdict(False, f"With a linear test generator, the images of a row of {call} sit "
                           f"at t = {[round(v, 3) for v in got_t]} along the line, expected "
                           f"{[round(v, 3) for v in expected]}: equally spaced, both ends included "
                           "(t = torch.linspace(0, 1, interpolation_steps + 2)), in order." + note)
    ends = obs.get("ends")
    if not isinstance(ends, list) or len(ends) != 2:
        raise ObservationError("ends missing")
    for end, name, symbol in zip(ends, ("first", "last"), ("z_start", "z_end"), strict=True):
        if shape(end) != (ENDS_ROWS, p["z_dim"]):
            raise ObservationError("ends malformed")
        if number(end, "min") >= 0.0:
            return Verdict(False, f"The {name} images of the rows come from latent values that are "
                           f"all >= 0: this looks like torch.rand. Draw {symbol} with "
                           "torch.randn." + note)
        mean, std = number(end, "mean"), number(end, "std")
        if not (abs(mean) < 0.05 and abs(std - 1.0) < 0.05):
            return Verdict(False, f"Over {ENDS_ROWS} rows, the {name} images come from latent "
                           f"vectors with mean {fmt(mean)} and standard deviation {fmt(std)}, not 0 "
                           f"and 1: the {name} image of each row should be generated from {symbol} "
                           "itself (drawn with torch.randn), i.e. t = 0 and t = 1 are both "
                           "included." + note)
    if obs.get("rows_distinct") is not True:
        return Verdict(False, "Two rows start from the same latent vector: draw a new pair "
                       "(z_start, z_end) for every row." + note)
    if obs.get("mode_after") is not True:
        return Verdict(False, "After interpolate the generator stayed in eval mode although it was "
                       "training before: restore it with self.generator.train(was_training)." + note)
    problem = _cuda_problem(obs, "interpolate")
    if problem:
        return Verdict(False, problem + note)
    return Verdict(True)


# --- generator_step / discriminator_step on known networks ------------------------------------

def _loss_stubs(p: dict):
    gen = ConstantGenerator(PIXELS, p["seed"], image_shape=IMAGE)
    disc = LinearDiscriminator(PIXELS, p["seed"])
    real = real_images(p["n"], PIXELS, p["seed"], low=-1.0, high=1.0, shape=IMAGE)
    return gen, disc, real


def _logging_summary(value) -> dict:
    if not isinstance(value, dict):
        return {"type": type(value).__name__[:40]}
    kinds = {}
    for key, v in list(value.items())[:30]:
        if isinstance(v, bool):
            kind = "bool"
        elif isinstance(v, (int, float)):
            kind = "number"
        elif isinstance(v, torch.Tensor):
            kind = "tensor"
        else:
            kind = type(v).__name__[:40]
        kinds[str(key)[:60]] = kind
    loss = value.get("loss")
    return {"type": "dict", "kinds": kinds,
            "loss": ob.scalar(loss, "logging_dict['loss']")
            if isinstance(loss, (int, float, torch.Tensor)) and not isinstance(loss, bool) else None}


def observe_step(ns: dict, p: dict) -> dict:
    gen, disc, real = _loss_stubs(p)
    file, model = stub_gan(ns, p["z_dim"], gen, disc)
    model.train()
    ob.seed_all(p["seed"])
    result = getattr(model, p["method"])(real)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{p['method']} should return a pair (loss, logging_dict), got "
                        f"{type(result).__name__}")
    loss, logging_dict = result
    report = {"file": file, "loss": ob.scalar(loss, f"{p['method']}'s loss"),
              "noise_shapes": gen.noise_shapes[:4], "logging": _logging_summary(logging_dict)}
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
        report["gen_grads"] = ob.grad_norms(gen)
        report["disc_grads"] = ob.grad_norms(disc)
    return report


def _bce(logits: torch.Tensor, target: float) -> float:
    return float(nn.functional.binary_cross_entropy_with_logits(
        logits.double(), torch.full_like(logits.double(), target)))


def loss_candidates(p: dict) -> dict[str, float]:
    """The right losses and the values typical mistakes give, computed here in the grader."""
    gen, disc, real = _loss_stubs(p)
    n = p["n"]
    with torch.no_grad():
        lf, lr = disc(gen(torch.zeros(n, p["z_dim"]))), disc(real)
        return {
            "d_right": (_bce(lf, 0.0) + _bce(lr, 1.0)) / 2,
            "d_swapped": (_bce(lf, 1.0) + _bce(lr, 0.0)) / 2,
            "d_summed": _bce(lf, 0.0) + _bce(lr, 1.0),
            "d_sum_reduction": (_bce(lf, 0.0) + _bce(lr, 1.0)) * n / 2,
            "d_real_only": _bce(lr, 1.0),
            "d_fake_only": _bce(lf, 0.0),
            "d_sigmoid": (_bce(torch.sigmoid(lf), 0.0) + _bce(torch.sigmoid(lr), 1.0)) / 2,
            "g_right": _bce(lf, 1.0),
            "g_fake_target": _bce(lf, 0.0),
            "g_sum_reduction": _bce(lf, 1.0) * n,
            "g_sigmoid": _bce(torch.sigmoid(lf), 1.0),
            "g_saturating": -_bce(lf, 0.0),
        }


DISC_HINTS = {
    "d_swapped": "it equals the loss with real and fake labels swapped: real images get "
                 "REAL_LABEL = 1, fakes FAKE_LABEL = 0.",
    "d_summed": "it equals the SUM of the real and fake losses: average them, "
                "(loss_real + loss_fake) / 2.",
    "d_sum_reduction": "it equals the summed (not averaged) cross-entropy over the batch: use the "
                       "default reduction='mean'.",
    "d_real_only": "it equals the loss on the real images alone: add the fake images' loss.",
    "d_fake_only": "it equals the loss on the fake images alone: add the real images' loss.",
    "d_sigmoid": "it looks like a sigmoid was applied before binary_cross_entropy_with_logits, "
                 "which takes the raw logits.",
}
GEN_HINTS = {
    "g_fake_target": "you compared the fakes' logits with the FAKE label. The generator wants the "
                     "discriminator to call its images real: target REAL_LABEL "
                     "(torch.ones_like / torch.full_like(logits, REAL_LABEL)).",
    "g_sum_reduction": "it equals the summed cross-entropy over the batch: average it "
                       "(reduction='mean', the default).",
    "g_sigmoid": "it looks like a sigmoid was applied before binary_cross_entropy_with_logits, "
                 "which takes the raw logits.",
    "g_saturating": "it equals log(1 - D(G(z))), the saturating loss: use the non-saturating "
                    "-log D(G(z)), the cross-entropy against REAL_LABEL.",
}


def _step_noise_problem(obs: dict, p: dict) -> str | None:
    shapes = obs.get("noise_shapes")
    if not isinstance(shapes, list) or not shapes:
        return (f"{p['method']} never called self.generator: generate as many fake images as "
                "there are real ones, self.generator(torch.randn(B, self.z_dim, device=...)).")
    if shapes[0] != [p["n"], p["z_dim"]]:
        return (f"{p['method']} gave the generator z of shape {shapes[0]} for a batch of {p['n']} "
                f"real images, expected [{p['n']}, {p['z_dim']}] = (x_real.shape[0], z_dim).")
    return None


def judge_step_loss(obs: dict, p: dict) -> Verdict:
    method, note = p["method"], graded_note(obs)
    got = number(obs, "loss")
    values = loss_candidates(p)
    prefix, hints = ("g", GEN_HINTS) if method == "generator_step" else ("d", DISC_HINTS)
    right = values[f"{prefix}_right"]
    if close(got, right):
        return Verdict(True)
    problem = _step_noise_problem(obs, p)
    if problem:
        return Verdict(False, problem + note)
    msg = (f"On a known generator, discriminator and batch of {p['n']} real images your "
           f"{method} loss is {fmt(got)}, expected {fmt(right)}")
    for mistake, hint in hints.items():
        if close(got, values[mistake]):
            return Verdict(False, f"{msg}: {hint}{note}")
    if method == "generator_step":
        return Verdict(False, msg + ". Compute binary_cross_entropy_with_logits(D(G(z)), "
                       "REAL_LABEL targets) on fresh fakes, averaged over the batch." + note)
    return Verdict(False, msg + ". Average the cross-entropy of the real images' logits against "
                   "REAL_LABEL and of the fake images' logits against FAKE_LABEL." + note)


def judge_generator_gradient(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    if "gen_grads" not in obs or not with_gradient(obs["gen_grads"]):
        return Verdict(False, "Backpropagating your generator_step loss gives the generator no "
                       "gradient: do not .detach() the fakes, use torch.no_grad() or .item() in "
                       "generator_step; the generator learns through the discriminator's "
                       "logits of its own images." + note)
    return Verdict(True)


def judge_discriminator_detach(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    if "gen_grads" not in obs:
        return Verdict(False, "Your discriminator_step loss has no gradient at all: compute it "
                       "from the discriminator's logits (no .item(), no torch.no_grad())." + note)
    if with_gradient(obs["gen_grads"]):
        return Verdict(False, "Backpropagating your discriminator_step loss put gradients into "
                       "the generator: did you forget .detach() on the fake images? Only the "
                       "discriminator may learn from its loss." + note)
    if not with_gradient(obs["disc_grads"]):
        return Verdict(False, "Your discriminator_step loss gives the discriminator no "
                       "gradient." + note)
    return Verdict(True)


def judge_step_hidden(obs: dict, p: dict) -> Verdict:
    judges = [judge_step_loss]
    judges.append(judge_generator_gradient if p["method"] == "generator_step"
                  else judge_discriminator_detach)
    for judge in judges:
        verdict = judge(obs, p)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def observe_steps_noise(ns: dict, p: dict) -> dict:
    """Each step called twice: the fingerprints of the z its generator calls were given."""
    report: dict = {}
    for method in ("generator_step", "discriminator_step"):
        gen, disc, real = _loss_stubs(p)
        hashes: list = []

        def fingerprint(module, args, hashes=hashes) -> None:
            if args and isinstance(args[0], torch.Tensor) and len(hashes) < MAX_RECORDS:
                hashes.append(ob._sha256(ob._numpy_bytes(args[0])).hexdigest()[:24])

        gen.register_forward_pre_hook(fingerprint)
        file, model = stub_gan(ns, p["z_dim"], gen, disc)
        model.train()
        ob.seed_all(p["seed"])
        calls = []
        for _ in range(2):
            seen = len(hashes)
            getattr(model, method)(real)
            calls.append(hashes[seen:])
        report[method] = calls
        report["file"] = file
    return report


def judge_steps_noise(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    for method in ("generator_step", "discriminator_step"):
        calls = obs.get(method)
        if not isinstance(calls, list) or len(calls) != 2 or not all(isinstance(c, list) for c in calls):
            raise ObservationError("noise fingerprints missing")
        if not calls[0] or not calls[1]:
            return Verdict(False, f"model.{method} did not call self.generator on every call: "
                           "generate fresh fakes, self.generator(torch.randn(B, self.z_dim, "
                           "device=...)), each time." + note)
        if set(calls[0]) & set(calls[1]):
            return Verdict(False, f"Two calls of model.{method} gave the generator the SAME z: "
                           "draw fresh z with torch.randn inside the step on every call; do not "
                           "make it once (in __init__ or a global) and reuse it, and do not seed "
                           "inside the step." + note)
    return Verdict(True)


def observe_logging(ns: dict, p: dict) -> dict:
    report = {}
    for method in ("generator_step", "discriminator_step"):
        report[method] = observe_step(ns, dict(p, method=method))
    return report


def judge_logging(obs: dict, p: dict) -> Verdict:
    for method in ("generator_step", "discriminator_step"):
        step = obs.get(method)
        if not isinstance(step, dict):
            raise ObservationError("step report missing")
        note = graded_note(step)
        log = step.get("logging")
        if not isinstance(log, dict) or log.get("type") != "dict":
            kind = log.get("type") if isinstance(log, dict) else "?"
            return Verdict(False, f"{method} returned a {kind} as its logging_dict, expected a "
                           "dict such as {'loss': loss.item(), ...}." + note)
        kinds = log.get("kinds")
        if not isinstance(kinds, dict):
            raise ObservationError("logging kinds missing")
        if "loss" not in kinds:
            return Verdict(False, f"{method}'s logging_dict has the keys {sorted(kinds)[:8]}; it "
                           "needs at least 'loss' (loss.item())." + note)
        bad = sorted(k for k, v in kinds.items() if v != "number")
        if bad:
            return Verdict(False, f"{method}'s logging_dict holds {kinds[bad[0]]} values (at "
                           f"{bad[:4]}): log Python floats, loss.item(), so that no computation "
                           "graph is kept alive by the logger." + note)
        logged = log.get("loss")
        if not isinstance(logged, (int, float)) or not close(float(logged), number(step, "loss")):
            return Verdict(False, f"{method}'s logging_dict['loss'] is {fmt(logged)}, but the loss "
                           f"it returned is {fmt(number(step, 'loss'))}: log the same loss." + note)
    return Verdict(True)


# --- the optimizers ------------------------------------------------------------------------------

def describe_optimizer(opt, generator: nn.Module, discriminator: nn.Module) -> dict:
    if not isinstance(opt, torch.optim.Optimizer):
        return {"type": type(opt).__name__[:40], "optimizer": False}
    gen_ids = {id(q) for q in generator.parameters()}
    disc_ids = {id(q) for q in discriminator.parameters()}
    held = [q for group in opt.param_groups for q in group["params"]]
    groups = opt.param_groups
    return {
        "type": type(opt).__name__[:40],
        "optimizer": True,
        "gen": sum(id(q) in gen_ids for q in held), "gen_total": len(gen_ids),
        "disc": sum(id(q) in disc_ids for q in held), "disc_total": len(disc_ids),
        "other": sum(id(q) not in gen_ids | disc_ids for q in held),
        "lr": [float(g.get("lr", float("nan"))) for g in groups][:4],
        "betas": [[float(b) for b in g.get("betas", ())] for g in groups][:4],
    }


def _main_args(p: dict, device_dir: str) -> argparse.Namespace:
    return argparse.Namespace(
        z_dim=p["z_dim"], hidden_dims_gen=list(p["hidden_gen"]), hidden_dims_disc=list(p["hidden_disc"]),
        dp_rate_gen=0.1, dp_rate_disc=0.3, lr=p["lr"], batch_size=p["batch"], epochs=1,
        seed=p["seed"], num_workers=0, progress_bar=False, log_dir=device_dir, data_dir=None,
        save_every=1)


def _images(p: dict, device: str = "cpu") -> torch.Tensor:
    return real_images(p["images"], PIXELS, p["seed"], low=-1.0, high=1.0, shape=IMAGE).to(device)


def _loader(p: dict):
    return torch.utils.data.DataLoader(_images(p), batch_size=p["batch"])


def observe_optimizers(ns: dict, p: dict) -> dict:
    file, module = graded_file(ns)
    ob.seed_all(p["seed"])
    if file == "train_pl.py":
        model = build_gan(module, **gan_kwargs(p["z_dim"], lr=p["lr"]))
        result = model.configure_optimizers()
        if isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, list) for r in result):
            result = result[0]   # ([optimizers], [schedulers])
        if isinstance(result, dict):
            result = [result]
        items = list(result) if isinstance(result, (list, tuple)) else [result]
        opts = [i.get("optimizer") if isinstance(i, dict) else i for i in items]
        return {"file": file, "optimizers": [describe_optimizer(o, model.generator, model.discriminator)
                                             for o in opts[:4]],
                "count": len(opts), "same": len(opts) == 2 and opts[0] is opts[1]}
    captured: dict = {}

    def capture(model, train_loader, logger_gen, logger_disc, optimizer_gen, optimizer_disc, *a, **k):
        captured.update(model=model, opts=[optimizer_gen, optimizer_disc])
        raise _Stop

    with patched(module, mnist=lambda *a, **k: _loader(p), SummaryWriter=_NullWriter,
                 TensorBoardLogger=_RecordingLogger, train_gan=capture,
                 generate_and_save=lambda *a, **k: None, interpolate_and_save=lambda *a, **k: None,
                 default_device=lambda: torch.device("cpu"),
                 GeneratorMLP=_Placeholder, DiscriminatorMLP=_Placeholder):
        with contextlib.suppress(_Stop):
            main = getattr(module, "main", None)
            if main is None:
                raise ob.Missing("main (in train_torch.py)")
            main(_main_args(p, tempfile.mkdtemp()))
    if "model" not in captured:
        return {"file": file, "called": False}
    model, opts = captured["model"], captured["opts"]
    return {"file": file, "called": True, "count": 2, "same": opts[0] is opts[1],
            "optimizers": [describe_optimizer(o, model.generator, model.discriminator) for o in opts]}


def judge_optimizers(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    where = ("configure_optimizers" if pl else "main")
    if obs.get("called") is False:
        return Verdict(False, "main never called train_gan: build the two optimizers, then train "
                       "with train_gan(model, train_loader, logger_gen, logger_disc, "
                       "optimizer_gen, optimizer_disc)." + note)
    opts = obs.get("optimizers")
    if not isinstance(opts, list):
        raise ObservationError("optimizers missing")
    if pl and obs.get("count") != 2:
        return Verdict(False, f"configure_optimizers returned {obs.get('count')} optimizer(s), "
                       "expected two: [optimizer_gen, optimizer_disc]." + note)
    if obs.get("same") is True:
        return Verdict(False, f"{where} uses ONE optimizer for both networks: create two separate "
                       "optimizers, one over model.generator.parameters() and one over "
                       "model.discriminator.parameters(), so that each loss changes only its "
                       "own network." + note)
    for opt, mine, other, name in ((opts[0], "gen", "disc", "generator"),
                                   (opts[1], "disc", "gen", "discriminator")):
        if not isinstance(opt, dict):
            raise ObservationError("optimizer report malformed")
        label = "optimizer_gen" if mine == "gen" else "optimizer_disc"
        if opt.get("optimizer") is not True:
            return Verdict(False, f"{where}'s {label} is a {opt.get('type')}, not a torch "
                           "optimizer." + note)
        if number(opt, other) > 0 or number(opt, "other") > 0:
            both = " (model.parameters() holds both networks)" if number(opt, other) > 0 else ""
            return Verdict(False, f"{where}'s {label} also holds parameters that are not the "
                           f"{name}'s{both}: create separate optimizers, over "
                           f"model.{name}.parameters() only." + note)
        if number(opt, mine) != number(opt, f"{mine}_total"):
            order = (" configure_optimizers must return [optimizer_gen, optimizer_disc], in "
                     "this order." if pl else "")
            return Verdict(False, f"{where}'s {label} should hold all of the {name}'s parameters "
                           f"(model.{name}.parameters()), but holds {fmt(number(opt, mine))} of "
                           f"{fmt(number(opt, f'{mine}_total'))}.{order}" + note)
        if opt.get("type") != "Adam":
            return Verdict(False, f"{where}'s {label} is {opt.get('type')}, expected "
                           "torch.optim.Adam (with betas BETAS = (0.5, 0.999))." + note)
        lrs = numbers(opt, "lr")
        if not lrs or any(not close(lr, p["lr"]) for lr in lrs):
            source = "self.hparams.lr" if pl else "args.lr"
            return Verdict(False, f"{where}'s {label} has learning rate {fmt(lrs[0]) if lrs else '?'}, "
                           f"expected {p['lr']} = {source}." + note)
        betas = opt.get("betas")
        if not isinstance(betas, list) or any(
                not isinstance(b, list) or len(b) != 2 or not all(
                    isinstance(v, (int, float)) and close(float(v), w) for v, w in zip(b, BETAS, strict=True))
                for b in betas):
            return Verdict(False, f"{where}'s {label} uses betas {betas}, expected BETAS = "
                           "(0.5, 0.999): torch.optim.Adam(..., betas=BETAS)." + note)
    return Verdict(True)


# --- one epoch of training: each step changes only its own network ------------------------------

def _phase_recorder(model, gen: nn.Module, disc: nn.Module, events: list):
    """Wrap the model's step methods: each call opens a phase with parameter snapshots."""
    def copies():
        return ([q.detach().clone() for q in gen.parameters()],
                [q.detach().clone() for q in disc.parameters()])

    def wrap(name):
        original = getattr(model, name)

        def step(*args, **kwargs):
            events.append({"method": name, "snap": (ob.snapshot(gen), ob.snapshot(disc)),
                           "copy": copies()})
            result = original(*args, **kwargs)
            if isinstance(result, (tuple, list)) and result and len(events) <= 64:
                try:
                    events[-1]["loss"] = ob.scalar(result[0], f"{name}'s loss")
                except TypeError:
                    events[-1]["loss"] = None
            return result
        return step

    model.generator_step = wrap("generator_step")
    model.discriminator_step = wrap("discriminator_step")
    return lambda: {"snap": (ob.snapshot(gen), ob.snapshot(disc)), "copy": copies()}


def _max_delta(before: list[torch.Tensor], after: list[torch.Tensor]) -> float:
    return max((float((a - b).abs().max()) for a, b in zip(after, before, strict=False) if a.numel()), default=0.0)


def _phases(events: list, final: dict) -> list[dict]:
    out = []
    for event, nxt in zip(events, [*events[1:], final], strict=True):
        out.append({
            "method": event["method"],
            "loss": event.get("loss"),
            "gen": [event["snap"][0], nxt["snap"][0]],
            "disc": [event["snap"][1], nxt["snap"][1]],
            "gen_delta": _max_delta(event["copy"][0], nxt["copy"][0]),
            "disc_delta": _max_delta(event["copy"][1], nxt["copy"][1]),
        })
    return out[:64]


def _trainer(device: str = "cpu", callbacks: list | None = None):
    """The smallest Trainer: one epoch, no logger, checkpoints or progress bar.

    Its cluster environment is given, so Lightning does not probe for MPI (importing mpi4py
    starts MPI, which aborts the whole process inside the grader's network-less sandbox).
    """
    import lightning.pytorch as pl
    from lightning.fabric.plugins.environments import LightningEnvironment

    quiet_lightning()
    with contextlib.suppress(ImportError, AttributeError):
        import lightning.fabric.plugins.environments.mpi as mpi

        mpi._MPI4PY_AVAILABLE = False
    return pl.Trainer(callbacks=callbacks or [], plugins=[LightningEnvironment()],
                      accelerator="gpu" if device == "cuda" else "cpu", devices=1, max_epochs=1,
                      logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, num_sanity_val_steps=0,
                      default_root_dir=tempfile.mkdtemp())


class _GradientCheckingSGD(torch.optim.SGD):
    """SGD that, at each step, compares its parameters' gradients with its own loss's gradient.

    ``expected`` is set by the wrapped step method (the gradient of the loss it just returned,
    computed with ``torch.autograd.grad``); a gradient that differs at ``step()`` time holds
    something else too: a stale gradient, or the other network's loss (a leak).
    """

    def __init__(self, params, role: str, record: list):
        self.role, self.record, self.expected = role, record, None
        super().__init__(list(params), lr=0.01)

    def step(self, closure=None):
        params = [q for group in self.param_groups for q in group["params"]]
        if self.expected is not None and len(self.record) < 64:
            scale = max((float(e.abs().max()) for e in self.expected if e.numel()), default=0.0)
            diff = 0.0
            for q, e in zip(params, self.expected, strict=False):
                g = q.grad if q.grad is not None else torch.zeros_like(q)
                diff = max(diff, float((g.detach() - e).abs().max()))
            self.record.append({"optimizer": self.role, "mismatch": diff / max(scale, 1e-12)})
        return super().step(closure)


def _expect_gradients(model, name: str, optimizer: _GradientCheckingSGD) -> None:
    """Wrap ``model.<name>`` so that the optimizer learns the gradient its loss should give."""
    inner = getattr(model, name)
    params = [q for group in optimizer.param_groups for q in group["params"]]

    def step(*args, **kwargs):
        result = inner(*args, **kwargs)
        loss = result[0] if isinstance(result, (tuple, list)) and result else None
        optimizer.expected = None
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
            optimizer.expected = [torch.zeros_like(q) if g is None else g.detach().clone()
                                  for q, g in zip(params, grads, strict=True)]
        return result
    setattr(model, name, step)


def _record_lightning_logs(model, logged: list) -> None:
    """Replace ``model.log`` / ``model.log_dict`` by recorders of (key, value)."""
    def record(key, value) -> None:
        if len(logged) < 200:
            try:
                logged.append([str(key)[:80], ob.scalar(value, "a logged value")])
            except TypeError:
                logged.append([str(key)[:80], None])

    def log(name, value, *args, **kwargs):
        record(name, value)

    def log_dict(dictionary, *args, **kwargs):
        for key, value in (dictionary.items() if isinstance(dictionary, dict) else []):
            record(key, value)

    model.log, model.log_dict = log, log_dict


def observe_isolation(ns: dict, p: dict) -> dict:
    z_dim = p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"], tanh=True)
    disc = LinearDiscriminator(PIXELS, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, disc)
    ob.seed_all(p["seed"])
    steps: list = []
    opt_gen = _GradientCheckingSGD(gen.parameters(), "gen", steps)
    opt_disc = _GradientCheckingSGD(disc.parameters(), "disc", steps)

    def plant_stale_gradients(*args) -> None:  # a stale gradient from "the previous batch"
        with torch.no_grad():
            for q in [*gen.parameters(), *disc.parameters()]:
                q.grad = torch.full_like(q, STALE)

    events: list = []
    final = _phase_recorder(model, gen, disc, events)
    _expect_gradients(model, "generator_step", opt_gen)
    _expect_gradients(model, "discriminator_step", opt_disc)
    report: dict = {"file": file}
    if file == "train_pl.py":
        import lightning.pytorch as pl

        # Lightning zeroes the gradients when fit starts: plant them when training starts.
        planter = type("PlantStaleGradients", (pl.Callback,), {"on_train_start": plant_stale_gradients})
        model.configure_optimizers = lambda: [opt_gen, opt_disc]
        logged: list = []
        _record_lightning_logs(model, logged)
        _trainer(callbacks=[planter()]).fit(model, _loader(p))
        report["lightning_logged"] = logged
    else:
        train_gan = getattr(ob.need(ns, "train_torch"), "train_gan", None)
        if train_gan is None:
            raise ob.Missing("train_gan (in train_torch.py)")
        logger_gen, logger_disc = _RecordingLogger(), _RecordingLogger()
        batches = list(_images(p).split(p["batch"]))
        plant_stale_gradients()
        train_gan(model, batches, logger_gen, logger_disc, opt_gen, opt_disc)
        report["logged"] = [logger_gen.calls, logger_disc.calls]
        report["logged_losses"] = {"gen": logger_gen.losses, "disc": logger_disc.losses}
    report["phases"] = _phases(events, final())
    report["optimizer_steps"] = steps
    return report


def judge_isolation(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    where = "training_step" if pl else "train_gan"
    batches = math.ceil(p["images"] / p["batch"])
    phases = obs.get("phases")
    if not isinstance(phases, list):
        raise ObservationError("phases missing")
    methods = [ph.get("method") for ph in phases if isinstance(ph, dict)]
    for method in ("generator_step", "discriminator_step"):
        count = methods.count(method)
        if count != batches:
            return Verdict(False, f"Over {batches} batches of real images, {where} called "
                           f"model.{method} {count} time(s), expected once per batch "
                           "(one generator step and one discriminator step)." + note)
    names = {"gen": "generator", "disc": "discriminator"}
    opts = {"gen": "optimizer_gen", "disc": "optimizer_disc"}
    calls = {"generator_step": 0, "discriminator_step": 0}
    for ph in phases:
        mine = "gen" if ph.get("method") == "generator_step" else "disc"
        other = "disc" if mine == "gen" else "gen"
        calls[ph.get("method")] += 1
        step = f"In {where}, batch {calls[ph.get('method')]}: after model.{ph.get('method')}"
        before, after = ph.get(other, [None, None])[:2], ph.get(mine, [None, None])[:2]
        if changed(*before):
            return Verdict(False, f"{step}, the {names[other]}'s weights changed: after the "
                           f"{names[mine]}'s loss, zero_grad, backward and step {opts[mine]} only "
                           f"(not {opts[other]})." + note)
        if not changed(*after):
            return Verdict(False, f"{step}, the {names[mine]}'s weights did not change: call "
                           f"{opts[mine]}.zero_grad(), backpropagate that loss "
                           f"({'self.manual_backward(loss)' if pl else 'loss.backward()'}) and call "
                           f"{opts[mine]}.step()." + note)
        delta = number(ph, f"{mine}_delta")
        if not math.isfinite(delta) or delta > STALE_STEP:
            return Verdict(False, f"{step}, the {names[mine]}'s step used a stale gradient left "
                           f"from before: call {opts[mine]}.zero_grad() right before its backward "
                           "pass (the generator's loss also leaves gradients in the "
                           "discriminator)." + note)
        loss = ph.get("loss")
        if not isinstance(loss, (int, float)) or isinstance(loss, bool) or not math.isfinite(loss):
            return Verdict(False, f"{step}, its loss was {loss}, not a finite number." + note)
    count = {"gen": 0, "disc": 0}
    for record in obs.get("optimizer_steps") or []:
        if not isinstance(record, dict) or record.get("optimizer") not in names:
            raise ObservationError("optimizer steps malformed")
        mine = record["optimizer"]
        count[mine] += 1
        mismatch = number(record, "mismatch")
        if not math.isfinite(mismatch) or mismatch > 1e-3:
            other = "disc" if mine == "gen" else "gen"
            method = "generator_step" if mine == "gen" else "discriminator_step"
            cause = (" The generator's loss.backward() also leaves gradients in the "
                     "discriminator, and they leak into the discriminator's step when its "
                     "optimizer is zeroed before that (e.g. both optimizers zeroed at the top "
                     "of the loop)." if mine == "disc" else "")
            return Verdict(False, f"In {where}, batch {count[mine]}: when {opts[mine]}.step() ran, "
                           f"the {names[mine]}'s gradients were not those of the loss of "
                           f"model.{method} alone (they differed by {fmt(100 * mismatch)}%).{cause} "
                           f"Call {opts[mine]}.zero_grad() right before the {names[mine]}'s "
                           f"backward pass, after the {names[other]}'s step." + note)
    return Verdict(True)


def judge_logging_of_training(obs: dict, p: dict) -> Verdict:
    """Each batch's two logging dicts go to the right logger (train_torch) or prefix (Lightning)."""
    note = graded_note(obs)
    phases = obs.get("phases")
    if not isinstance(phases, list):
        raise ObservationError("phases missing")
    losses = {m: [ph.get("loss") for ph in phases if isinstance(ph, dict) and ph.get("method") == m]
              for m in ("generator_step", "discriminator_step")}
    batches = math.ceil(p["images"] / p["batch"])

    def same(got: list, want: list) -> bool:
        return len(got) == len(want) and all(
            isinstance(g, (int, float)) and isinstance(w, (int, float)) and close(float(g), float(w))
            for g, w in zip(got, want, strict=True))

    if obs.get("file") == "train_pl.py":
        logged = obs.get("lightning_logged")
        if not isinstance(logged, list):
            raise ObservationError("logs missing")
        if not logged:
            return Verdict(False, f"Over {batches} batches, training_step logged nothing: log both "
                           "logging dicts with self.log_dict, under the prefixes generator/ and "
                           "discriminator/ (e.g. self.log_dict({f'generator/{k}': v for k, v in "
                           "logging_gen.items()}))." + note)
        for prefix, method in (("generator/", "generator_step"), ("discriminator/", "discriminator_step")):
            values = [v for k, v in logged if isinstance(k, str) and k == f"{prefix}loss"]
            if not same(values, losses[method]):
                other = "discriminator_step" if method == "generator_step" else "generator_step"
                swapped = " (those are model." + other + "'s losses: are the prefixes swapped?)" \
                    if same(values, losses[other]) else ""
                return Verdict(False, f"training_step logged {prefix}loss = {values[:4]}, expected "
                               f"model.{method}'s losses {losses[method][:4]}, once per batch"
                               f"{swapped}: log each step's logging dict under its own prefix, "
                               f"self.log_dict({{f'{prefix}{{k}}': v ...}})." + note)
        return Verdict(True)
    logged = obs.get("logged")
    if isinstance(logged, list) and logged != [batches, batches]:
        return Verdict(False, f"train_gan called logger_gen.add_values and logger_disc.add_values "
                       f"{logged} times for {batches} batches, expected once each per batch." + note)
    got = obs.get("logged_losses")
    if not isinstance(got, dict):
        raise ObservationError("logged losses missing")
    gen_logged, disc_logged = got.get("gen"), got.get("disc")
    if not (isinstance(gen_logged, list) and isinstance(disc_logged, list)):
        raise ObservationError("logged losses malformed")
    if same(gen_logged, losses["discriminator_step"]) and same(disc_logged, losses["generator_step"]):
        return Verdict(False, "The two loggers are swapped: logger_gen received the "
                       "discriminator's logging dicts and logger_disc the generator's. Log "
                       "logging_gen with logger_gen.add_values and logging_disc with "
                       "logger_disc.add_values." + note)
    for name, values, method in (("logger_gen", gen_logged, "generator_step"),
                                 ("logger_disc", disc_logged, "discriminator_step")):
        if not same(values, losses[method]):
            return Verdict(False, f"{name}.add_values received dicts with 'loss' = {values[:4]}, "
                           f"expected model.{method}'s logging dicts (loss {losses[method][:4]}), "
                           "one per batch." + note)
    return Verdict(True)


# --- a short run of everything together ----------------------------------------------------

def _smoke(ns: dict, p: dict, device: str) -> dict:
    file, module = graded_file(ns)
    ob.need(ns, "models")
    ob.seed_all(p["seed"])
    events: list = []
    holder: dict = {}

    def instrument(model):
        before = (ob.snapshot(model.generator), ob.snapshot(model.discriminator))
        final = _phase_recorder(model, model.generator, model.discriminator, events)
        holder.update(model=model, before=before, final=final)

    if file == "train_pl.py":
        model = module.GAN(**gan_kwargs(p["z_dim"], p["lr"], p["hidden_gen"], p["hidden_disc"], 0.1, 0.3))
        instrument(model)
        _trainer(device).fit(model, _loader(p))
    else:
        original = module.train_gan

        def train_gan(model, *args, **kwargs):
            instrument(model)
            return original(model, *args, **kwargs)

        with patched(module, mnist=lambda *a, **k: _loader(p), SummaryWriter=_NullWriter,
                     train_gan=train_gan, generate_and_save=lambda *a, **k: None,
                     interpolate_and_save=lambda *a, **k: None,
                     default_device=lambda: torch.device(device)):
            module.main(_main_args(p, tempfile.mkdtemp()))
    if "model" not in holder:
        return {"file": file, "trained": False}
    model = holder["model"].to(device)   # Lightning moves the model back to the CPU after fit
    after = (ob.snapshot(model.generator), ob.snapshot(model.discriminator))
    losses = {m: [e.get("loss") for e in events if e["method"] == m][:8]
              for m in ("generator_step", "discriminator_step")}
    samples = ob.tensor_info(model.sample(4))
    lines = ob.tensor_info(model.interpolate(2, 3))
    return {"file": file, "trained": True, "losses": losses,
            "gen": [holder["before"][0], after[0]], "disc": [holder["before"][1], after[1]],
            "sample": {k: samples.get(k) for k in ("shape", "device", "min", "max")},
            "interpolate": {k: lines.get(k) for k in ("shape", "device")}}


def _student_files(ns: dict) -> tuple[str, ...]:
    """The submission's folder (where its modules were imported from), for error locations."""
    folders = {os.path.dirname(str(getattr(m, "__file__", "") or "")) for m in ns.values()}
    return ("<", *sorted(f for f in folders if f))


def observe_smoke(ns: dict, p: dict) -> dict:
    try:
        report = _smoke(ns, p, "cpu")
    except (NotImplementedError, ob.Missing):
        raise  # "Not implemented yet" / "defines no ...": the grader's usual words
    except Exception as exc:  # reported with the context of this check
        return {"file": graded_file(ns)[0], "error": describe_error(exc, _student_files(ns))}
    if cuda_usable():
        try:
            report["cuda"] = _smoke(ns, p, "cuda")
        except Exception as exc:  # reported and judged: a device mismatch is the usual cause
            if cuda_backward_usable():
                report["cuda"] = {"error": describe_error(exc, _student_files(ns))}
            else:  # CUDA broke for the grader's own tensors too: not the student's mistake
                report["cuda_skipped"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return report


def cuda_backward_usable() -> bool:
    """A tiny backward pass works on CUDA (it can fail in a sandbox that the GPU dislikes)."""
    try:
        x = torch.ones(2, device="cuda", requires_grad=True)
        (x * 2).sum().backward()
        torch.optim.Adam([x], lr=0.1).step()
        return bool(x.grad is not None and torch.cuda.synchronize() is None)
    except Exception:  # noqa: BLE001 - a broken driver is not the student's mistake
        return False


def _judge_run(run: dict, p: dict, where: str) -> str | None:
    if "error" in run:
        error = run["error"] if isinstance(run["error"], dict) else {}
        return (f"{where}, your code raised {error.get('type')}: {error.get('message')}"
                f"{where_text(error.get('where'))}.")
    if run.get("trained") is not True:
        return f"{where}, train_gan was never called."
    losses = run.get("losses")
    if not isinstance(losses, dict):
        raise ObservationError("losses missing")
    for method, values in losses.items():
        if not isinstance(values, list) or not values:
            return f"{where}, model.{method} was never called."
        bad = [v for v in values if not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            return f"{where}, model.{method} returned the loss {bad[0]}, not a finite number."
    for key, name in (("gen", "generator"), ("disc", "discriminator")):
        if not changed(*run.get(key, [None, None])[:2]):
            return f"{where}, the {name}'s weights did not change."
    device = p.get("device", "cpu")
    sample, lines = run.get("sample", {}), run.get("interpolate", {})
    if shape(sample) != (4, *IMAGE):
        return f"{where}, model.sample(4) returned shape {list(shape(sample))}, expected [4, 1, 28, 28]."
    if shape(lines) != (2, 5, *IMAGE):
        return (f"{where}, model.interpolate(2, 3) returned shape {list(shape(lines))}, expected "
                "[2, 5, 1, 28, 28].")
    if sample.get("device") != device or lines.get("device") != device:
        return (f"{where}, sample/interpolate returned images on {sample.get('device')}/"
                f"{lines.get('device')}: create z on the model's device (device=self.device).")
    return None


def judge_smoke(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    what = ("a Lightning Trainer with your GAN" if pl else "your main() with your GAN")
    where = (f"Training one epoch ({p['images']} images, batches of {p['batch']}) through {what} "
             "and your optimizers")
    tail = " This check runs all your code together: if another check fails, fix that one first."
    problem = _judge_run(obs, p, where)
    if problem:
        return Verdict(False, problem + tail + note)
    cuda = obs.get("cuda")
    if cuda is not None:
        if not isinstance(cuda, dict):
            raise ObservationError("cuda report malformed")
        problem = _judge_run(cuda, dict(p, device="cuda"), where + " on a GPU")
        if problem:
            return Verdict(False, problem + " Create every tensor on the model's device "
                           "(torch.randn(..., device=self.device) or x_real.device)." + note)
    return Verdict(True)


# --- devices: the same calls with the model on `meta` ------------------------------------

DEVICE_HINTS = {
    "sample": "Draw z on the model's device: torch.randn(batch_size, self.z_dim, "
              "device=self.device).",
    "interpolate": "Make z and the interpolation weights on the model's device: "
                   "torch.randn(..., device=self.device), torch.linspace(..., device=self.device).",
    "generator_step": "Draw z on the batch's device: torch.randn(..., device=x_real.device), and "
                      "make the labels with torch.ones_like(logits).",
    "discriminator_step": "Draw z on the batch's device: torch.randn(..., device=x_real.device), "
                          "and make the labels with torch.ones_like / torch.zeros_like.",
}


def observe_device(ns: dict, p: dict) -> dict:
    method, z_dim = p["method"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"], tanh=True)
    disc = LinearDiscriminator(PIXELS, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, disc)
    model.to(meta.META)
    model.train()
    ob.seed_all(p["seed"])
    fn = getattr(model, method)
    if method == "sample":
        args = (p["n"],)
    elif method == "interpolate":
        args = (p["n"], 2)
    else:
        args = (torch.zeros(p["n"], *IMAGE, device=meta.META),)
    report = meta.observe_on_meta(fn, *args, student_files=_student_files(ns))
    report.pop("result", None)
    report["file"] = file
    report["z_devices"] = [c.get("device") for c in gen.calls]
    return report


def judge_device(obs: dict, p: dict) -> Verdict:
    method = p["method"]
    verdict = meta.judge_on_meta(obs, method, DEVICE_HINTS[method])
    if verdict.passed and any(d != meta.META for d in obs.get("z_devices") or []):
        return Verdict(False, f"{method} gave the generator z on the CPU"
                       f"{meta.noise_on_cpu_text(obs)} although the model is on the device "
                       f"'meta' (the grader's stand-in for a GPU). {DEVICE_HINTS[method]}"
                       f"{graded_note(obs)}")
    if not verdict.passed:
        return Verdict(False, verdict.message + graded_note(obs))
    return verdict


def _device_check(method: str, seed: int) -> Check:
    return Check(f"{method}_device", method,
                 f"{method}: works on the model's device (checked on `meta`)", 1.0,
                 observe_device, judge_device, {"method": method, "seed": seed, "n": 4, "z_dim": 6})


# --- the list --------------------------------------------------------------------------

def _network(name: str, cls: str, title: str, seed: int, n: int, kwargs: dict, input_shape: list,
             scale: float, judge, points: float = 1.0, visibility: str = "visible") -> Check:
    return Check(name, cls, title, points, observe_network, judge,
                 {"class": cls, "seed": seed, "n": n, "kwargs": kwargs, "input": input_shape,
                  "input_scale": scale}, visibility)


def _step(method: str, seed: int, n: int, z_dim: int) -> dict:
    return {"method": method, "seed": seed, "n": n, "z_dim": z_dim}


def _training(seed: int, images: int, batch: int) -> dict:
    return {"seed": seed, "images": images, "batch": batch, "z_dim": 8, "lr": 2e-4,
            "hidden_gen": [16, 32], "hidden_disc": [32, 16]}


CHECKS: list[Check] = [
    _network("GeneratorMLP_structure", "GeneratorMLP",
             "GeneratorMLP: layers from the arguments, dropout, Tanh, images (B, 1, 28, 28) in [-1, 1]",
             1, 6, {"z_dim": 8, "hidden_dims": [16, 24], "output_shape": [1, 28, 28], "dp_rate": 0.25},
             [8], 50.0, judge_generator, 2.0),
    _network("GeneratorMLP_structure_hidden", "GeneratorMLP", "GeneratorMLP with other sizes",
             2, 5, {"z_dim": 5, "hidden_dims": [7, 9, 11], "output_shape": [1, 14, 14], "dp_rate": 0.15},
             [5], 50.0, judge_generator, 1.0, HIDDEN),
    _network("DiscriminatorMLP_structure", "DiscriminatorMLP",
             "DiscriminatorMLP: image batches (B, 1, 28, 28) in, logits (B, 1) out, no Sigmoid",
             3, 6, {"input_dims": 784, "hidden_dims": [20, 12], "dp_rate": 0.35},
             [1, 28, 28], 20.0, judge_discriminator, 2.0),
    _network("DiscriminatorMLP_structure_hidden", "DiscriminatorMLP",
             "DiscriminatorMLP with other sizes", 4, 9,
             {"input_dims": 36, "hidden_dims": [10], "dp_rate": 0.1},
             [1, 6, 6], 20.0, judge_discriminator, 1.0, HIDDEN),
    Check("training_file", "training", "which training file is graded (train_torch.py or "
          "train_pl.py)", 0.0, observe_training_file, judge_training_file, {}, timeout=60.0),
    Check("sample", "sample", "sample: (B, 1, 28, 28), fresh randn z, eval mode, no gradient", 1.0,
          observe_sample, judge_sample, {"seed": 5, "n": 16, "z_dim": 8}),
    Check("sample_hidden", "sample", "sample with other sizes", 1.0,
          observe_sample, judge_sample, {"seed": 6, "n": 9, "z_dim": 13}, HIDDEN),
    Check("interpolate", "interpolate",
          "interpolate: (B, steps + 2, 1, 28, 28), both endpoints, equal steps on a line, no gradient",
          2.0, observe_interpolate, judge_interpolate, {"seed": 7, "n": 3, "steps": 4, "z_dim": 16}),
    Check("interpolate_hidden", "interpolate", "interpolate with other sizes", 1.0,
          observe_interpolate, judge_interpolate, {"seed": 8, "n": 4, "steps": 1, "z_dim": 12},
          HIDDEN),
    Check("generator_step_loss", "generator_step",
          "generator_step: -log D(G(z)) (REAL_LABEL target) on known networks", 1.0,
          observe_step, judge_step_loss, _step("generator_step", 9, 10, 5)),
    Check("generator_step_gradient", "generator_step",
          "generator_step: the loss's gradient reaches the generator", 1.0,
          observe_step, judge_generator_gradient, _step("generator_step", 10, 10, 5)),
    Check("generator_step_hidden", "generator_step", "generator_step on another batch", 1.0,
          observe_step, judge_step_hidden, _step("generator_step", 11, 17, 7), HIDDEN),
    Check("discriminator_step_loss", "discriminator_step",
          "discriminator_step: mean of the real (label 1) and fake (label 0) losses", 1.0,
          observe_step, judge_step_loss, _step("discriminator_step", 12, 10, 5)),
    Check("discriminator_step_detach", "discriminator_step",
          "discriminator_step: no gradient reaches the generator (detach)", 2.0,
          observe_step, judge_discriminator_detach, _step("discriminator_step", 13, 10, 5)),
    Check("discriminator_step_hidden", "discriminator_step", "discriminator_step on another batch",
          1.0, observe_step, judge_step_hidden, _step("discriminator_step", 14, 23, 6), HIDDEN),
    _device_check("sample", 20),
    _device_check("interpolate", 21),
    _device_check("generator_step", 22),
    _device_check("discriminator_step", 23),
    Check("steps_fresh_noise", "generator_step",
          "generator_step and discriminator_step draw fresh z on every call", 1.0,
          observe_steps_noise, judge_steps_noise, {"seed": 20, "n": 6, "z_dim": 4}),
    Check("logging_dicts", "generator_step",
          "generator_step and discriminator_step return logging dicts of floats with 'loss'", 1.0,
          observe_logging, judge_logging, {"seed": 15, "n": 6, "z_dim": 4}),
    Check("optimizers", "optimizers",
          "two separate Adam optimizers (main / configure_optimizers), one per network, with the "
          "learning rate of the arguments", 1.0,
          observe_optimizers, judge_optimizers, dict(_training(16, 16, 8), lr=3e-3)),
    Check("training_isolation", "training",
          "one epoch (train_gan / training_step): each step changes only its own network", 2.0,
          observe_isolation, judge_isolation, _training(17, 16, 8), timeout=60.0),
    Check("training_isolation_hidden", "training", "one epoch with other batch sizes", 1.0,
          observe_isolation, judge_isolation, _training(18, 15, 5), HIDDEN, timeout=60.0),
    Check("training_logging", "training",
          "one epoch: each step's logging dict goes to its own logger (train_torch) or prefix "
          "(Lightning), once per batch", 1.0,
          observe_isolation, judge_logging_of_training, _training(17, 16, 8), timeout=60.0),
    Check("training_smoke", "training",
          "a short training run with your networks and optimizers: finite losses, both networks "
          "learn (on CUDA too when available)", 1.0,
          observe_smoke, judge_smoke, _training(19, 16, 8), timeout=60.0,
          uses=("GeneratorMLP", "DiscriminatorMLP", "sample", "generator_step",
                "discriminator_step", "optimizers")),
    # The submitted checkpoint (GAN_logs/checkpoint.pt), loaded weights-only in the sandbox and
    # judged by the course's classifier: partial credit for loading, digits and distance.
    trained_generator_check("gan_project", points=4.0),
]

# The checks that grade the training file: when both files are started, _better_of_both
# grades them on each file, and the observations of the kept file are reused.
TRAINER_OBSERVERS = {"observe_sample", "observe_interpolate", "observe_step", "observe_steps_noise",
                     "observe_logging", "observe_optimizers", "observe_isolation", "observe_smoke"}
CHECKS = [dataclasses.replace(c, observe=reusing_choice(c.observe))
          if c.observe.__name__ in TRAINER_OBSERVERS else c for c in CHECKS]

# The child drops the checks' parameters (it is sent each one when its check runs); choosing the
# training file grades the trainer checks first, so it keeps its own copy of theirs. (They are
# in this file's source anyway: see docs/grading.md, "what is not defended".)
_TRAINER_PARAMS = {c.name: dict(c.params) for c in CHECKS
                   if getattr(c.observe, "__name__", "") in TRAINER_OBSERVERS}
