"""``gan_tutorial``'s child side: one call of the student's ``train``, watched from the outside.

Runs in the child. For the duration of one call (:func:`run_train`) the notebook's global
``mnist_data`` is a tiny deterministic dataset of binary images, ``torch.nn.BCEWithLogitsLoss``
and ``torch.optim.Adam`` are recording subclasses, and forward pre-hooks on both networks record
their inputs (see the package's docstring); everything is restored in a ``finally`` block. The
report is plain data, judged in :mod:`autograder.assignments.gan_tutorial`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import TensorDataset

from autograder.child import observe as ob
from autograder.child.errors import describe_error
from autograder.probes import device as meta
from autograder.probes.networks import ConstantGenerator, LinearDiscriminator
from autograder.probes.noise import fingerprint

NOISE_DIM = 100          # the notebook's NOISE_DIM
IMAGE = (1, 28, 28)      # one MNIST image, as the data loader yields it
PIXELS = 28 * 28
BATCH = 100              # the batch size of train's DataLoader
BETAS = (0.5, 0.999)     # train's Adam betas
CUDA_IMAGES = 24         # images of the short second run on "cuda" (when CUDA is available)
MAX_RUNS = 16            # runs of equal values a target report keeps
MAX_CALLS = 40           # criterion calls a run reports
MAX_EVENTS = 120         # optimizer / backward events a run reports


# Bound now, before any student code runs: the recording classes derive from the originals.
_BCE = nn.BCEWithLogitsLoss
_ADAM = torch.optim.Adam
_ABSENT = object()


def dataset_images(n: int, seed: int, identical: bool = False) -> torch.Tensor:
    """The stand-in ``mnist_data`` images: float32 (n, 1, 28, 28), every pixel 0.0 or 1.0.

    With ``identical`` every image is the same one, so the first minibatch is fully known
    whatever order the data loader shuffles it into.
    """
    g = torch.Generator().manual_seed(seed + 3)
    if identical:
        return (torch.rand(1, *IMAGE, generator=g) < 0.3).float().expand(n, *IMAGE).clone()
    return (torch.rand(n, *IMAGE, generator=g) < 0.3).float()


def stub_networks(seed: int) -> tuple[nn.Module, nn.Module]:
    """Known stand-ins: a generator whose image ignores the noise, a linear discriminator.

    The generator gives ``sigmoid(image)`` of shape (n, 1, 28, 28) for any noise; the
    discriminator gives logits of shape (n,) a few units away from 0 (both like the notebook's).
    """
    return (ConstantGenerator(PIXELS, seed, image_shape=IMAGE),
            LinearDiscriminator(PIXELS, seed, squeeze=True))


def _value_runs(values: list) -> list[list]:
    """[[value, count], ...] for consecutive equal values (at most MAX_RUNS + 1 runs)."""
    runs: list[list] = []
    for v in values:
        if runs and runs[-1][0] == v:
            runs[-1][1] += 1
        elif len(runs) > MAX_RUNS:
            break
        else:
            runs.append([v, 1])
    return runs


def _target_report(target) -> dict:
    if not isinstance(target, torch.Tensor):
        return {"type": type(target).__name__[:40]}
    info = ob.tensor_info(target)
    with torch.no_grad(), torch._C.DisableTorchFunctionSubclass():
        flat = target.detach().reshape(-1)
        if flat.is_floating_point() or flat.dtype in (torch.int64, torch.int32, torch.bool):
            info["runs"] = _value_runs([ob._clean(v) for v in flat.double().cpu().tolist()])
    return info


class Recorder:
    """Collects what ``train`` does with the criterion, the optimizers and the two networks."""

    def __init__(self, gen: nn.Module, disc: nn.Module):
        self.gen, self.disc = gen, disc
        self.gen_ids = {id(p) for p in gen.parameters()}
        self.disc_ids = {id(p) for p in disc.parameters()}
        self.rows: list = []             # runs of "R"/"F": the latest discriminator input
        self.disc_shape: list = []       # its shape
        self.calls: list[dict] = []
        self.events: list[dict] = []
        self.phase: str | None = None    # phase of the latest backward(): "d" or "g"
        self.truncated = False

    # the discriminator's input, through a forward pre-hook
    def disc_input(self, module, args) -> None:
        x = args[0] if args else None
        if not isinstance(x, torch.Tensor) or x.dim() == 0:
            self.rows, self.disc_shape = [], []
            return
        with torch.no_grad(), torch._C.DisableTorchFunctionSubclass():
            flat = x.detach().reshape(x.shape[0], -1)
            real = ((flat == 0) | (flat == 1)).all(dim=1).cpu().tolist()
        self.rows = _value_runs(["R" if r else "F" for r in real])
        self.disc_shape = [int(n) for n in x.shape]

    # the criterion
    def criterion_call(self, logits, target) -> dict:
        phase = None
        if self.rows:
            phase = "d" if any(r[0] == "R" for r in self.rows) else "g"
        call = {"phase": phase, "rows": self.rows, "disc_shape": self.disc_shape,
                "logits": (ob.tensor_info(logits) if isinstance(logits, torch.Tensor)
                           else {"type": type(logits).__name__[:40]}),
                "target": _target_report(target)}
        if len(self.calls) < MAX_CALLS:
            self.calls.append(call)
        else:
            self.truncated = True
        return call

    def criterion_result(self, call: dict, loss) -> None:
        call["loss"] = ob.scalar(loss, "the criterion's result")
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            phase = call["phase"]

            def started(grad, phase=phase):
                self.phase = phase
                # d(backpropagated loss) / d(criterion's result): 1 when the loop backpropagates
                # the criterion's result itself, N when it is scaled by N on the way.
                self.event("backward", None, scale=ob.scalar(grad, "the loss's gradient"))
                return grad
            loss.register_hook(started)

    # the generator's input, through a forward pre-hook: which noise made which fakes
    def gen_input(self, module, args) -> None:
        z = args[0] if args else None
        if not isinstance(z, torch.Tensor):
            return
        self.event("generate", None, noise=fingerprint(z),
                   training=bool(module.training))

    # the optimizers
    def role(self, params: list) -> str:
        ids = {id(p) for p in params}
        if ids == self.disc_ids:
            return "discriminator"
        if ids == self.gen_ids:
            return "generator"
        if ids == self.disc_ids | self.gen_ids:
            return "both networks"
        return "other"

    def event(self, kind: str, optimizer: str | None, **extra) -> None:
        if len(self.events) >= MAX_EVENTS:
            self.truncated = True
            return
        self.events.append({"kind": kind, "optimizer": optimizer, "phase": self.phase,
                            "gen_grads": ob.grad_norms(self.gen),
                            "disc_grads": ob.grad_norms(self.disc), **extra})

    def weights(self) -> dict:
        return {"gen": ob.snapshot(self.gen), "disc": ob.snapshot(self.disc)}

    def classes(self) -> tuple[type, type]:
        recorder = self

        class RecordingBCEWithLogitsLoss(_BCE):
            def forward(self, input, target):
                call = recorder.criterion_call(input, target)
                loss = super().forward(input, target)
                recorder.criterion_result(call, loss)
                return loss

        class RecordingAdam(_ADAM):
            def __init__(self, params, *args, **kwargs):
                params = list(params)
                super().__init__(params, *args, **kwargs)
                flat = [p for group in self.param_groups for p in group["params"]]
                self._graded_role = recorder.role(flat)
                recorder.event("init", self._graded_role)

            def zero_grad(self, set_to_none: bool = True):
                super().zero_grad(set_to_none)
                recorder.event("zero_grad", self._graded_role)

            def step(self, closure=None):
                before = recorder.weights()
                out = super().step(closure)
                recorder.event("step", self._graded_role, before=before, after=recorder.weights())
                return out

        return RecordingBCEWithLogitsLoss, RecordingAdam


def _history_report(history) -> dict:
    if not isinstance(history, dict):
        return {"type": type(history).__name__[:40]}
    out: dict = {"type": "dict"}
    for key in ("d_loss", "g_loss"):
        values = history.get(key)
        if not isinstance(values, (list, tuple)):
            out[key] = None
            continue
        numbers = []
        for v in list(values)[:50]:
            try:
                numbers.append(ob.scalar(v, key))
            except TypeError:
                numbers.append("not a number")
        out[key] = numbers
    return out


def run_train(ns: dict, run: dict, device: str) -> tuple[dict, BaseException | None]:
    """Call the student's ``train`` once under recording; (report, NotImplementedError or None)."""
    train = ob.need(ns, "train")
    ob.seed_all(run["seed"])
    if run["stubs"]:
        gen, disc = stub_networks(run["seed"])
    else:
        gen, disc = ob.need(ns, "Generator")(), ob.need(ns, "Discriminator")()
    n = run["n_images"]
    data = TensorDataset(dataset_images(n, run["seed"], identical=run["stubs"]),
                         torch.arange(n) % 10)
    recorder = Recorder(gen, disc)
    start = recorder.weights()
    hook = disc.register_forward_pre_hook(recorder.disc_input)
    gen_hook = gen.register_forward_pre_hook(recorder.gen_input)
    saved_data = ns.get("mnist_data", _ABSENT)
    report: dict = {"device": device}
    pending = None
    try:
        nn.BCEWithLogitsLoss, torch.optim.Adam = recorder.classes()
        ns["mnist_data"] = data
        history = train(gen, disc, device, lr=run["lr"], num_epochs=run["epochs"])
        report["history"] = _history_report(history)
    except NotImplementedError as exc:
        pending = exc
        report["error"] = describe_error(exc)
    except Exception as exc:  # reported: the judges explain it with what was recorded
        report["error"] = describe_error(exc)
    finally:
        nn.BCEWithLogitsLoss, torch.optim.Adam = _BCE, _ADAM
        hook.remove()
        gen_hook.remove()
        if saved_data is _ABSENT:
            ns.pop("mnist_data", None)
        else:
            ns["mnist_data"] = saved_data
    report.update(calls=recorder.calls, events=recorder.events, truncated=recorder.truncated,
                  start=start, end=recorder.weights())
    return report, pending


@dataclass
class _Runs:
    """The runs of ``train`` made in this process (the child, or a self-check's kernel).

    One call of train serves every check that asks about the same run: the checks of one run
    share their observation (a few runs in all, each a second or two). An entry is used again
    only for the same train function, networks and namespace, so a student who edits train and
    runs the self-check again gets a fresh run. At most ``limit`` runs are kept.
    """

    entries: dict[str, tuple] = field(default_factory=dict)   # run as JSON -> (owners, report, pending)
    limit: int = 8


_RUNS = _Runs()


def observe_run(ns: dict, run: dict) -> tuple[dict, BaseException | None]:
    key = json.dumps(run, sort_keys=True)
    owners = (ns, ns.get("train"), ns.get("Generator"), ns.get("Discriminator"))
    cached = _RUNS.entries.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], owners, strict=True)):
        return cached[1], cached[2]
    report, pending = run_train(ns, run, "cpu")
    if run.get("cuda") and torch.cuda.is_available():
        cuda_run = dict(run, n_images=min(run["n_images"], CUDA_IMAGES), epochs=1)
        cuda_report, _ = run_train(ns, cuda_run, "cuda")
        report["cuda"] = {k: cuda_report.get(k) for k in ("calls", "error", "history")}
    if len(_RUNS.entries) >= _RUNS.limit:
        _RUNS.entries.clear()
    _RUNS.entries[key] = (owners, report, pending)
    return report, pending


def _has(report: dict, phase: str) -> bool:
    return any(c.get("phase") == phase for c in report.get("calls", []))


def observe_discriminator_step(ns: dict, p: dict) -> dict:
    report, pending = observe_run(ns, p["run"])
    if pending is not None and not _has(report, "d"):
        raise pending
    return report


def observe_generator_step(ns: dict, p: dict) -> dict:
    report, pending = observe_run(ns, p["run"])
    if pending is not None and not _has(report, "g"):
        raise pending
    return report


def observe_whole_run(ns: dict, p: dict) -> dict:
    report, pending = observe_run(ns, p["run"])
    if pending is not None:
        raise pending
    return report


def observe_device(ns: dict, p: dict) -> dict:
    """``train`` for one epoch on a small dataset, stand-in networks and device on ``meta``."""
    train = ob.need(ns, "train")
    ob.seed_all(p["seed"])
    gen, disc = stub_networks(p["seed"])
    meta.to_meta(gen, disc)
    n = p["n_images"]
    data = TensorDataset(dataset_images(n, p["seed"]), torch.arange(n) % 10)
    saved = ns.get("mnist_data", _ABSENT)
    try:
        ns["mnist_data"] = data
        report = meta.observe_on_meta(train, gen, disc, meta.META, lr=p["lr"], num_epochs=1)
    finally:
        if saved is _ABSENT:
            ns.pop("mnist_data", None)
        else:
            ns["mnist_data"] = saved
    report.pop("result", None)
    report.pop("returned", None)  # the history holds Python floats, not tensors
    report["ok"] = report.get("ok") if not report.get("returned_cpu") else True
    report["noise_devices"] = gen.noise_devices[:8]
    return report
