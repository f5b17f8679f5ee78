"""gan_project: which training file is graded, and the GAN of that file with the grader's stubs.

"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import tempfile

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.checks import Check, ObservationError, Verdict, fmt
from autograder.probes.networks import LinearDiscriminator, LinearGenerator, StandIn, real_images
from autograder.probes.networks import PlaceholderNetwork as _Placeholder

TRAIN_FILES = ("train_torch", "train_pl")
IMAGE = (1, 28, 28)
PIXELS = 28 * 28
LEAKY_SLOPE = 0.2        # models.py's suggestion (not graded: the seed only suggests it)
BETAS = (0.5, 0.999)     # both Adams, as the templates' docstrings say
STALE = 1e6              # a stale gradient planted before training: a step without zero_grad shows
STALE_STEP = 10.0        # a parameter moving more than this in one SGD(lr=0.01) phase used it
ENDS_ROWS = 400          # rows interpolated to measure the spread of the ends' latent vectors
MAX_RECORDS = 8          # calls a stub remembers (a hostile loop cannot flood the report)


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
        model.generator, model.discriminator = course_networks(
            4, LinearGenerator(4, 0, tanh=True), LinearDiscriminator(PIXELS, 0))
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


@dataclasses.dataclass
class _Choices:
    """Which training file is graded, per submission, remembered for as long as the observing
    process lives (the sandboxed child), keyed by the ids of the submission's two training modules."""

    graded: dict = dataclasses.field(default_factory=dict)     # key -> "train_torch", "train_pl" or None
    notes: dict = dataclasses.field(default_factory=dict)      # key -> why that file is graded
    observed: dict = dataclasses.field(default_factory=dict)   # key -> observations made while choosing


_CHOICES = _Choices()


def graded_file(ns: dict):
    """(file name, module) of the training file to grade.

    The complete one when only one is complete; else the only one started; when both are
    started (and not exactly one complete), both are graded and the better one is kept
    (:func:`_better_of_both`); when none is started, train_torch.py.
    """
    key = tuple(id(ns.get(name)) for name in TRAIN_FILES)
    if key not in _CHOICES.graded:
        present = [name for name in TRAIN_FILES if name in ns]
        progress = {name: _progress(ns[name]) for name in present}
        started = [name for name in present if progress[name][0] > 0]
        complete = [name for name in started if progress[name][0] == progress[name][1]]
        if len(complete) == 1:
            choice = complete[0]
            if len(started) == 2:
                _CHOICES.notes[key] = (f"{choice}.py is complete and the other training file is only "
                               f"started: {choice}.py is graded.")
        elif len(started) == 1:
            choice = started[0]
        elif len(started) == 2:
            choice = _better_of_both(ns, key)
        else:
            choice = present[0] if present else None
        _CHOICES.graded[key] = choice
    choice = _CHOICES.graded[key]
    if choice is None:
        raise ob.Missing("train_torch (train_torch.py and train_pl.py both failed to import: see "
                         "the notes above)")
    return f"{choice}.py", ns[choice]


def _better_of_both(ns: dict, key: tuple) -> str:
    """Grade the training checks on each file; keep the file with more points (a note says so)."""
    totals, observed = {}, {}
    checks = [c for c in _TRAINER_CHECKS if c.observe.__name__ in TRAINER_OBSERVERS]
    for name in TRAIN_FILES:
        _CHOICES.graded[key] = name
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
    _CHOICES.notes[key] = (f"Both training files are started, so both were graded: train_torch.py "
                   f"scored {fmt(totals['train_torch'])} and train_pl.py "
                   f"{fmt(totals['train_pl'])} of {fmt(best)} points on the training checks. "
                   f"The grade keeps the better one, {choice}.py.")
    _CHOICES.observed[key] = observed[choice]
    return choice


def _observation_key(observe, params: dict) -> str:
    import json

    return observe.__name__ + json.dumps(params, sort_keys=True, default=str)


def reusing_choice(observe):
    """``observe``, reusing an observation made while choosing the graded file."""
    def run(ns: dict, p: dict) -> dict:
        graded_file(ns)
        cached = _CHOICES.observed.get(tuple(id(ns.get(name)) for name in TRAIN_FILES), {})
        obs = cached.pop(_observation_key(observe, p), None)
        return obs if obs is not None else observe(ns, p)
    run.__name__ = observe.__name__
    return run


def observe_training_file(ns: dict, p: dict) -> dict:
    file, module = graded_file(ns)
    key = tuple(id(ns.get(name)) for name in TRAIN_FILES)
    if _progress(module)[0] == 0:
        raise NotImplementedError(f"{file}: no method implemented")
    return {"file": file, "note": _CHOICES.notes.get(key, "")}


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
    model.generator, model.discriminator = course_networks(z_dim, generator, discriminator)
    return file, model


def course_networks(z_dim: int, generator: nn.Module, discriminator: nn.Module):
    """The stand-ins with what models.py's GeneratorMLP and DiscriminatorMLP offer (``.device``,
    ``z_dim``, ...), as :func:`gan_kwargs` builds them."""
    kwargs = gan_kwargs(z_dim)
    if isinstance(generator, StandIn):
        generator.like_template("GeneratorMLP", device=True, z_dim=z_dim, output_shape=IMAGE,
                                hidden_dims=kwargs["hidden_dims_gen"], dp_rate=kwargs["dp_rate_gen"])
    if isinstance(discriminator, StandIn):
        discriminator.like_template("DiscriminatorMLP", device=True, input_dims=PIXELS,
                                    hidden_dims=kwargs["hidden_dims_disc"],
                                    dp_rate=kwargs["dp_rate_disc"])
    return generator, discriminator


def graded_note(obs: dict) -> str:
    file = obs.get("file") if isinstance(obs, dict) else None
    return f" (Graded file: {file}.)" if file in ("train_torch.py", "train_pl.py") else ""


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


def _student_files(ns: dict) -> tuple[str, ...]:
    """The submission's folder (where its modules were imported from), for error locations."""
    folders = {os.path.dirname(str(getattr(m, "__file__", "") or "")) for m in ns.values()}
    return ("<", *sorted(f for f in folders if f))



# The checks that grade the training file: when both files are started, _better_of_both
# grades them on each file, and the observations of the kept file are reused.
TRAINER_OBSERVERS = {"observe_sample", "observe_interpolate", "observe_interpolate_mode",
                     "observe_step", "observe_steps_noise", "observe_logging", "observe_optimizers",
                     "observe_isolation", "observe_smoke"}
_TRAINER_CHECKS: list[Check] = []
# The child drops the checks' parameters (it is sent each one when its check runs); choosing the
# training file grades the trainer checks first, so it keeps its own copy of theirs. (They are
# in this file's source anyway: see docs/grading.md, "what is not defended".)
_TRAINER_PARAMS: dict[str, dict] = {}


def trainer_checks(checks: list[Check]) -> list[Check]:
    """``checks`` with each training-file check's observer reusing the choice's observations;
    the list is also kept here, for :func:`_better_of_both` (the package calls this once)."""
    checks = [dataclasses.replace(c, observe=reusing_choice(c.observe))
              if c.observe.__name__ in TRAINER_OBSERVERS else c for c in checks]
    _TRAINER_CHECKS[:] = checks
    _TRAINER_PARAMS.update({c.name: dict(c.params) for c in checks
                            if getattr(c.observe, "__name__", "") in TRAINER_OBSERVERS})
    return checks
