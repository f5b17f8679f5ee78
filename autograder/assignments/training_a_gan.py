"""Checks for ``training_a_gan`` (seed 000, "Training a GAN").

Students write ``make_generator``, ``make_discriminator``, ``make_real_and_fake``,
``train_discriminator`` and ``train_generator``. Every ``observe_*`` function runs in the child
beside the student's notebook and reports plain data; every ``judge_*`` function runs in the
grader and decides, recomputing the expected values from the known stubs below.

The stubs: real images come from a deterministic stand-in for the notebook's ``sample_mnist``
(installed in the student's namespace for the duration of one observation, then restored), fake
images from :class:`NoiseRecordingGenerator` (a fixed image, whatever the noise), scores from
:class:`RecordingDiscriminator` (a known linear layer and a sigmoid, logits a few units from 0
with both signs, so swapped labels change the loss). The two training steps are checked on a
mixed batch whose real and fake rows are shuffled (a stand-in ``make_real_and_fake``): a loss
that picks the fakes by position instead of by label shows. Hidden checks ask the same
questions with other sizes and seeds.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from autograder import observe as ob
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
from autograder.probes import device as meta
from autograder.probes.standins import StandInExpired

NOTEBOOK = "training_a_gan.ipynb"

NOISE_DIM = 100          # the notebook's noise_dim
IMAGE = (28, 28)
PIXELS = 28 * 28
EPS = 1e-7               # the notebook's EPS: scores are clamped here before the log
STALE = 1e6              # a stale gradient planted before a step: a step without zero_grad shows
MAX_RECORDS = 8          # calls a stub remembers (a hostile loop cannot flood the report)


# --- stubs (imported by the child and the grader) ------------------------------------------

class NoiseRecordingGenerator(ConstantGenerator):
    """:class:`ConstantGenerator` with images (n, 28, 28) that also reports the noise it got."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed, image_shape=IMAGE)
        self.noise: list[dict] = []

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        if len(self.noise) < MAX_RECORDS:
            self.noise.append(ob.tensor_info(ob.as_tensor(noise, "the generator's input noise")))
        return super().forward(noise)


class RecordingDiscriminator(LinearDiscriminator):
    """:class:`LinearDiscriminator` ending in a sigmoid that reports the shapes it was given."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed, sigmoid=True)
        self.inputs: list[list[int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.inputs) < MAX_RECORDS:
            self.inputs.append([int(n) for n in ob.as_tensor(x, "the discriminator's input").shape])
        return super().forward(x)


class SaturatedDiscriminator(RecordingDiscriminator):
    """:class:`RecordingDiscriminator` with every logit shifted by ``offset``.

    An offset of -200 gives scores of exactly 0 in float32 (a sigmoid that rounded to 0), -40
    gives scores far below EPS (about 1e-17), +200 gives exactly 1: the clamp before the log
    is what makes the generator's loss finite and equal to -log(EPS) there.
    """

    def __init__(self, seed: int, offset: float):
        super().__init__(seed)
        self.offset = offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.inputs) < MAX_RECORDS:
            self.inputs.append([int(n) for n in ob.as_tensor(x, "the discriminator's input").shape])
        return torch.sigmoid(self.linear(x.reshape(x.shape[0], -1)) + self.offset)   # (n, 1)


SATURATING_OFFSETS = (-200.0, -40.0, 200.0)   # D(G(z)) = 0, about 1e-17, and 1


def real_batch(n: int, seed: int) -> torch.Tensor:
    """What the stand-in ``sample_mnist(n)`` returns: float32 (n, 28, 28) in [-1, 1), on the CPU."""
    return real_images(n, PIXELS, seed, low=-1.0, high=1.0, shape=IMAGE)


def shuffled_order(n: int, seed: int) -> torch.Tensor:
    """The row order of the stand-in mixed batch: rows < n of cat([real, fake]) are real."""
    return torch.randperm(2 * n, generator=torch.Generator().manual_seed(seed + 3))


class StandIns:
    """Replace ``sample_mnist`` (and optionally ``make_real_and_fake``) in a namespace for a while.

    ``with StandIns(ns, seed, shuffle=True) as s: ...`` installs a deterministic
    ``sample_mnist`` (and, with ``shuffle``, a ``make_real_and_fake`` whose real and fake rows
    are shuffled), records how they are called, and restores the student's own afterwards.
    """

    def __init__(self, ns: dict, seed: int, shuffle: bool = False):
        self.ns, self.seed, self.shuffle = ns, seed, shuffle
        self.sample_calls: list = []
        self.batch_calls: list = []
        self.saved: dict = {}
        self.expired = False

    def _check_lease(self, name: str) -> None:
        if self.expired:
            raise StandInExpired(f"the grader's own `{name}` was kept and called after its check "
                                 "had ended: your code must compute its own results")

    def sample_mnist(self, N):
        self._check_lease("sample_mnist")
        if len(self.sample_calls) < MAX_RECORDS:
            self.sample_calls.append(N if isinstance(N, int) and not isinstance(N, bool) else repr(N)[:40])
        return real_batch(int(N), self.seed)

    def make_real_and_fake(self, N, generator_model):
        self._check_lease("make_real_and_fake")
        if len(self.batch_calls) < MAX_RECORDS:
            self.batch_calls.append(N if isinstance(N, int) and not isinstance(N, bool) else repr(N)[:40])
        N = int(N)
        device = next(generator_model.parameters()).device
        real = real_batch(N, self.seed).to(device)                               # (N, 28, 28)
        fake = generator_model(torch.randn(N, NOISE_DIM, device=device))         # (N, 28, 28)
        labels = torch.cat([torch.ones(N, 1), torch.zeros(N, 1)]).to(device)     # (2N, 1)
        order = shuffled_order(N, self.seed).to(device)
        return torch.cat([real, fake])[order], labels[order]

    def __enter__(self) -> StandIns:
        names = ["sample_mnist"] + (["make_real_and_fake"] if self.shuffle else [])
        for name in names:
            self.saved[name] = self.ns.get(name, _ABSENT)
            self.ns[name] = getattr(self, name)
        return self

    def __exit__(self, *exc) -> None:
        self.expired = True
        for name, value in self.saved.items():
            if value is _ABSENT:
                self.ns.pop(name, None)
            else:
                self.ns[name] = value


_ABSENT = object()


def cuda_usable() -> bool:
    """CUDA is there and works for the grader's own tensors (else device checks are skipped)."""
    if not torch.cuda.is_available():
        return False
    try:
        return bool(torch.ones(2, device="cuda").sum().item() == 2.0)
    except Exception:  # a broken driver is not the student's mistake
        return False


def returned_kind(value) -> str:
    """'float' for a Python number, 'tensor' for a torch.Tensor, else the type's name."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "float"
    return type(value).__name__[:40]


# --- make_generator / make_discriminator -------------------------------------------------

def observe_network(ns: dict, p: dict) -> dict:
    make = ob.need(ns, p["function"])
    ob.seed_all(p["seed"])
    net = make(**p["kwargs"])
    if not isinstance(net, nn.Module):
        raise TypeError(f"{p['function']} should return an nn.Module such as nn.Sequential(...), "
                        f"got {type(net).__name__}: did you forget the return?")
    report: dict = {"layers": ob.describe_layers(net)}
    x = torch.randn(p["n"], *p["input"]) * p["input_scale"]
    try:
        y = net(x)
    except Exception as exc:  # reported, judged with a hint about the input size
        report["forward_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return report
    report["output"] = ob.tensor_info(y)
    return report


def _call(p: dict) -> str:
    args = ", ".join(f"{k}={v}" for k, v in p["kwargs"].items())
    return f"{p['function']}({args})"


def _final_activation(kinds: list[str]) -> str | None:
    """The last layer that is not a reshape (Unflatten / Flatten), or None."""
    core = [k for k in kinds if k not in ("Unflatten", "Flatten")]
    return core[-1] if core else None


def judge_generator(obs: dict, p: dict) -> Verdict:
    got = layers(obs)
    kinds = [d["type"] for d in got]
    call, n, z = _call(p), p["n"], p["input"][0]
    if "forward_error" in obs:
        return Verdict(False, f"{call} could not turn noise of shape ({n}, {z}) into images: "
                       f"{obs['forward_error']}. Its first nn.Linear must take noise_dim = {z} "
                       "inputs (use the argument noise_dim, not a fixed 100).")
    last = _final_activation(kinds)
    if last != "Tanh":
        hint = {"Sigmoid": "nn.Sigmoid gives values in (0, 1), but the data (sample_mnist) lies "
                           "in [-1, 1): replace it with nn.Tanh().",
                "Linear": "its output is not squashed into [-1, 1]: add nn.Tanh() after the last "
                          "nn.Linear."}.get(last, "replace it with nn.Tanh().")
        return Verdict(False, f"{call} builds {layer_names(got)}: its last activation is {last}, "
                       f"expected nn.Tanh(), so that images lie in [-1, 1] like the data; {hint}")
    out = obs.get("output", {})
    want = (n, *IMAGE)
    if shape(out) != want:
        hint = (" End the network with nn.Unflatten(-1, (28, 28)) to turn each 784-vector into "
                "a (28, 28) image." if "Unflatten" not in kinds else
                " The last nn.Linear must output 28 * 28 = 784 numbers, and "
                "nn.Unflatten(-1, (28, 28)) reshapes them.")
        return Verdict(False, f"{call} turned noise ({n}, {z}) into shape {list(shape(out))}, "
                       f"expected {list(want)}: one (28, 28) image per noise vector.{hint}")
    lo, hi = number(out, "min"), number(out, "max")
    if not (-1.0 <= lo and hi <= 1.0 and lo < 0.0 < hi):
        return Verdict(False, f"The generated pixels range over [{fmt(lo)}, {fmt(hi)}]; they "
                       "should lie in [-1, 1] with both signs (nn.Tanh as the last activation).")
    if out.get("dtype") != "float32":
        return Verdict(False, f"The generated images have dtype {out.get('dtype')}, expected float32.")
    return Verdict(True)


def judge_discriminator(obs: dict, p: dict) -> Verdict:
    got = layers(obs)
    kinds = [d["type"] for d in got]
    call, n = _call(p), p["n"]
    if "forward_error" in obs:
        hint = (" Start with nn.Flatten() so that each (28, 28) image becomes a 784-vector "
                "before the first nn.Linear(784, hidden)." if "Flatten" not in kinds else
                " After nn.Flatten() each image is a 784-vector: the first layer must be "
                "nn.Linear(784, hidden).")
        return Verdict(False, f"{call} could not score a batch of images of shape ({n}, 28, 28): "
                       f"{obs['forward_error']}.{hint}")
    last = _final_activation(kinds)
    if last != "Sigmoid":
        hint = ("it returns logits, but train_discriminator's binary cross entropy and "
                "train_generator's -log D(G(z)) need probabilities: add nn.Sigmoid() after the "
                "last nn.Linear." if last == "Linear" else "end it with nn.Sigmoid().")
        return Verdict(False, f"{call} builds {layer_names(got)}: it should end with nn.Sigmoid() "
                       f"and return the probability that an image is real; {hint}")
    out = obs.get("output", {})
    got_shape = shape(out)
    if got_shape != (n, 1):
        hint = (" Do not squeeze the scores: the labels y have shape (2N, 1)."
                if got_shape == (n,) else " The last nn.Linear must output ONE number per image.")
        return Verdict(False, f"{call} scored a batch of {n} images with shape {list(got_shape)}, "
                       f"expected [{n}, 1].{hint}")
    lo, hi = number(out, "min"), number(out, "max")
    if not (0.0 <= lo and hi <= 1.0):
        return Verdict(False, f"The discriminator's scores range over [{fmt(lo)}, {fmt(hi)}]; "
                       "probabilities lie in [0, 1] (nn.Sigmoid as the last layer).")
    return Verdict(True)


# --- make_real_and_fake ------------------------------------------------------------------

def _row_means(x) -> list | None:
    """The mean of each row of a batch (a short list), or None when it is not a batch."""
    x = ob.as_tensor(x, "make_real_and_fake's X")
    if x.dim() < 1 or x.shape[0] > 64:
        return None
    return [ob.tensor_info(x[i]).get("mean") for i in range(int(x.shape[0]))]


def observe_real_and_fake(ns: dict, p: dict) -> dict:
    make_real_and_fake = ob.need(ns, "make_real_and_fake")
    ob.seed_all(p["seed"])
    gen = NoiseRecordingGenerator(p["seed"])
    with StandIns(ns, p["seed"]) as s:
        result = make_real_and_fake(p["n"], gen)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("make_real_and_fake should return a pair X, y, got "
                        f"{type(result).__name__}")
    X, y = result
    report = {
        "X": ob.tensor_info(X),
        "y": ob.tensor_info(y, values=64),
        "rows": _row_means(X),
        "noise": gen.noise,
        "sample_calls": s.sample_calls,
    }
    if cuda_usable():
        report["cuda"] = _observe_on_cuda(ns, make_real_and_fake, p)
    return report


def _observe_on_cuda(ns: dict, make_real_and_fake, p: dict) -> dict:
    gen = NoiseRecordingGenerator(p["seed"]).to("cuda")
    try:
        with StandIns(ns, p["seed"]):
            X, y = make_real_and_fake(3, gen)
        return {"X": ob.tensor_info(X)["device"], "y": ob.tensor_info(y)["device"],
                "noise": [info["device"] for info in gen.noise]}
    except Exception as exc:  # reported and judged: a device mismatch is the usual cause
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}


def expected_rows(p: dict) -> tuple[list[float], float]:
    """The row means of the real stand-in images, and of the stub generator's fake image."""
    real = real_batch(p["n"], p["seed"]).double()
    fake = NoiseRecordingGenerator(p["seed"])(torch.zeros(1, NOISE_DIM)).detach().double()
    return real.flatten(1).mean(1).tolist(), float(fake.mean())


def _rows_match(got: list, want: list[float]) -> bool:
    return len(got) == len(want) and all(
        isinstance(g, (int, float)) and not isinstance(g, bool) and close(float(g), w, 1e-4, 1e-5)
        for g, w in zip(got, want, strict=False))


def judge_real_and_fake(obs: dict, p: dict) -> Verdict:
    n = p["n"]
    calls = obs.get("sample_calls")
    if not isinstance(calls, list) or not calls:
        return Verdict(False, f"make_real_and_fake({n}, generator) never called sample_mnist: the "
                       f"real images must come from sample_mnist({n}).")
    if calls[0] != n:
        return Verdict(False, f"make_real_and_fake({n}, generator) called sample_mnist({calls[0]}), "
                       f"expected sample_mnist({n}): N real images.")
    noise = obs.get("noise")
    if not isinstance(noise, list) or not noise:
        return Verdict(False, f"make_real_and_fake({n}, generator) never called the generator: the "
                       f"fake images are generator_model(torch.randn({n}, noise_dim)).")
    z = noise[0]
    if shape(z) != (n, NOISE_DIM):
        return Verdict(False, f"The generator received noise of shape {list(shape(z))}, expected "
                       f"[{n}, {NOISE_DIM}] = (N, noise_dim): torch.randn(N, noise_dim).")
    if number(z, "min") >= 0.0:
        return Verdict(False, "All noise values are >= 0: this looks like torch.rand (uniform in "
                       "[0, 1)). Draw the noise from the standard normal: torch.randn.")
    if not (abs(number(z, "mean")) < 0.15 and 0.85 < number(z, "std") < 1.15):
        return Verdict(False, f"The noise has mean {fmt(number(z, 'mean'))} and standard deviation "
                       f"{fmt(number(z, 'std'))}; draw it from the standard normal: torch.randn.")
    X, y = obs.get("X", {}), obs.get("y", {})
    if shape(X) != (2 * n, *IMAGE):
        hint = {(2 * n, PIXELS): " Keep the images (28, 28): do not flatten them.",
                (n, *IMAGE): " Concatenate the real AND the fake images: torch.cat([real, fake])."}
        return Verdict(False, f"make_real_and_fake({n}, ...) returned X of shape "
                       f"{list(shape(X))}, expected [{2 * n}, 28, 28]: {n} real images then "
                       f"{n} fake ones.{hint.get(shape(X), '')}")
    if shape(y) != (2 * n, 1):
        hint = (" Make the labels a column: torch.ones(N, 1) and torch.zeros(N, 1)."
                if shape(y) == (2 * n,) else "")
        return Verdict(False, f"make_real_and_fake({n}, ...) returned y of shape "
                       f"{list(shape(y))}, expected [{2 * n}, 1]: one label per image.{hint}")
    if y.get("dtype") != "float32" or X.get("dtype") != "float32":
        return Verdict(False, f"X has dtype {X.get('dtype')} and y {y.get('dtype')}, expected "
                       "float32 for both (binary cross entropy needs float labels: 1.0 and 0.0).")
    labels = y.get("values")
    if not isinstance(labels, list) or len(labels) != 2 * n:
        raise ObservationError("labels missing")
    want = [1.0] * n + [0.0] * n
    if labels != want:
        if labels == want[::-1]:
            return Verdict(False, "The real images are labelled 0 and the fake ones 1: the labels "
                           "are swapped. Real images get REAL_LABEL = 1, fakes FAKE_LABEL = 0.")
        return Verdict(False, f"The labels y are {fmt(labels[:4])}...; expected {n} ones (the real "
                       f"images) then {n} zeros (the fakes), in the order of X.")
    rows = obs.get("rows")
    if not isinstance(rows, list):
        raise ObservationError("rows missing")
    real, fake = expected_rows(p)
    if not (_rows_match(rows[:n], real) and _rows_match(rows[n:], [fake] * n)):
        if _rows_match(rows[n:], real) and _rows_match(rows[:n], [fake] * n):
            return Verdict(False, "X holds the fake images first and the real ones second, but "
                           "the labels say real first: put the real images first, "
                           "torch.cat([real, fake]).")
        return Verdict(False, "The rows of X are not the images of sample_mnist(N) followed by "
                       "the generator's images: X = torch.cat([real, fake]), with real = "
                       "sample_mnist(N) unchanged and fake = generator_model(noise).")
    if X.get("has_graph") is not True:
        return Verdict(False, "X carries no gradient back to the generator: do not .detach() "
                       "the fakes or use torch.no_grad() in make_real_and_fake. train_generator "
                       "needs that gradient; train_discriminator detaches the batch itself.")
    if X.get("device") != "cpu" or y.get("device") != "cpu":
        return Verdict(False, f"With a generator on the CPU, X is on {X.get('device')} and y on "
                       f"{y.get('device')}: make both on the generator's device.")
    return _judge_cuda(obs.get("cuda"))


def _judge_cuda(cuda) -> Verdict:
    if cuda is None:
        return Verdict(True)
    if not isinstance(cuda, dict):
        raise ObservationError("cuda report malformed")
    device_hint = ("device = next(generator_model.parameters()).device, then "
                   "torch.randn(..., device=device), torch.ones(..., device=device) and "
                   "sample_mnist(N).to(device)")
    if "error" in cuda:
        return Verdict(False, f"With the generator on a GPU, make_real_and_fake failed: "
                       f"{cuda['error']}. Create every tensor on the generator's device: "
                       f"{device_hint}.")
    noise = cuda.get("noise")
    if noise and any(d != "cuda" for d in noise):
        return Verdict(False, "With the generator on a GPU, the noise was made on the CPU: "
                       f"{device_hint}.")
    if cuda.get("X") != "cuda" or cuda.get("y") != "cuda":
        return Verdict(False, f"With the generator on a GPU, X is on {cuda.get('X')} and y on "
                       f"{cuda.get('y')}, expected both on cuda: {device_hint}.")
    return Verdict(True)


# --- devices: the same calls with the networks on `meta` ---------------------------------

DEVICE_HINTS = {
    "make_real_and_fake": "Create the labels and the noise on the generator's device, "
                          "device = next(generator_model.parameters()).device, and move the real "
                          "images there with .to(device).",
    "train_discriminator": "Make every new tensor on the networks' device (for example "
                           "torch.ones_like(scores)).",
    "train_generator": "Make every new tensor on the networks' device (for example "
                       "torch.ones_like(scores)).",
}


def observe_device(ns: dict, p: dict) -> dict:
    fn = ob.need(ns, p["function"])
    gen, disc = NoiseRecordingGenerator(p["seed"]), RecordingDiscriminator(p["seed"])
    meta.to_meta(gen, disc)
    ob.seed_all(p["seed"])
    if p["function"] == "make_real_and_fake":
        with StandIns(ns, p["seed"]):
            report = meta.observe_on_meta(fn, p["n"], gen)
    else:
        own = disc if p["function"] == "train_discriminator" else gen
        opt = torch.optim.SGD(own.parameters(), lr=0.1)
        with StandIns(ns, p["seed"], shuffle=True):
            report = meta.observe_on_meta(fn, p["n"], opt, gen, disc)
    report.pop("result", None)
    report["noise_devices"] = [info.get("device") for info in gen.noise]
    return report


def judge_device(obs: dict, p: dict) -> Verdict:
    fn = p["function"]
    verdict = meta.judge_on_meta(obs, fn, DEVICE_HINTS[fn])
    if verdict.passed and any(d != meta.META for d in obs.get("noise_devices") or []):
        return Verdict(False, f"{fn} gave the generator noise on the CPU"
                       f"{meta.noise_on_cpu_text(obs)} although the generator "
                       "is on the device 'meta' (the grader's stand-in for a GPU): "
                       + DEVICE_HINTS["make_real_and_fake"])
    return verdict


# --- train_discriminator / train_generator ----------------------------------------------

def observe_train_step(ns: dict, p: dict) -> dict:
    """One call of the student's step on stub networks, with a stale gradient planted."""
    step = ob.need(ns, p["function"])
    gen, disc = NoiseRecordingGenerator(p["seed"]), RecordingDiscriminator(p["seed"])
    own = disc if p["function"] == "train_discriminator" else gen
    opt = torch.optim.SGD(own.parameters(), lr=0.1)
    with torch.no_grad():  # the gradient of "the previous batch": opt.zero_grad() must clear it
        for param in own.parameters():
            param.grad = torch.full_like(param, STALE)
    before = {"gen": ob.snapshot(gen), "disc": ob.snapshot(disc)}
    own_before = [param.detach().clone() for param in own.parameters()]
    ob.seed_all(p["seed"])
    with StandIns(ns, p["seed"], shuffle=True) as s:
        loss = step(p["n"], opt, gen, disc)
    moved = sum(float((param.detach() - b).double().pow(2).sum())
                for param, b in zip(own.parameters(), own_before, strict=True)) ** 0.5
    return {
        "loss": ob.scalar(loss, f"{p['function']}'s result"),
        "returned": returned_kind(loss),
        "before": before,
        "after": {"gen": ob.snapshot(gen), "disc": ob.snapshot(disc)},
        "step_norm": moved if math.isfinite(moved) else "nan",
        "gen_grads": ob.grad_norms(gen),
        "disc_inputs": disc.inputs,
        "batch_calls": s.batch_calls,
    }


def observe_clamp(ns: dict, p: dict) -> dict:
    """train_generator with discriminators whose scores saturate at 0, below EPS, and at 1."""
    step = ob.need(ns, "train_generator")
    losses, scores = [], []
    for offset in SATURATING_OFFSETS:
        gen, disc = NoiseRecordingGenerator(p["seed"]), SaturatedDiscriminator(p["seed"], offset)
        opt = torch.optim.SGD(gen.parameters(), lr=0.1)
        ob.seed_all(p["seed"])
        with StandIns(ns, p["seed"], shuffle=True):
            loss = step(p["n"], opt, gen, disc)
        losses.append(ob.scalar(loss, "train_generator's result"))
    for offset in SATURATING_OFFSETS:   # the score of the (constant) fake image, for feedback
        gen, disc = NoiseRecordingGenerator(p["seed"]), SaturatedDiscriminator(p["seed"], offset)
        with torch.no_grad():
            scores.append(ob.scalar(disc(gen(torch.zeros(1, NOISE_DIM))), "score"))
    return {"losses": losses, "scores": scores}


def _losses(obs: dict) -> list[float]:
    """The reported losses; 'inf'/'nan' (JSON has no infinities) read as floats."""
    values = obs.get("losses") if isinstance(obs, dict) else None
    if not isinstance(values, list) or len(values) != len(SATURATING_OFFSETS):
        raise ObservationError("losses missing")
    return [number({"v": v}, "v") for v in values]


def clamp_candidates(p: dict) -> list[dict[str, float]]:
    """For each saturating offset: the prescribed loss, and what typical variants give."""
    out = []
    for offset in SATURATING_OFFSETS:
        gen, disc = NoiseRecordingGenerator(p["seed"]), SaturatedDiscriminator(p["seed"], offset)
        with torch.no_grad():
            scores = disc(gen(torch.zeros(p["n"], NOISE_DIM)))                 # (n, 1) float32
        out.append({
            "right": float(-torch.log(scores.clamp_min(EPS)).mean()),
            "bce": float(nn.functional.binary_cross_entropy(scores, torch.ones_like(scores))),
        })
    return out


def judge_clamp(obs: dict, p: dict) -> Verdict:
    losses, scores = _losses(obs), numbers(obs, "scores")
    for got, score, want in zip(losses, scores, clamp_candidates(p), strict=True):
        if close(got, want["right"], rel=1e-4, abs_=1e-4):
            continue
        msg = (f"With a discriminator that is sure the fakes are fake, D(G(z)) = {fmt(score)} "
               f"(float32), train_generator returned {fmt(got)}, expected "
               f"-log(max(D(G(z)), EPS)) = {fmt(want['right'])}")
        if not math.isfinite(got):
            return Verdict(False, msg + ": -log(0) is infinite and turns every gradient into nan. "
                           "Clamp the scores before the log with the notebook's EPS: "
                           "loss = -torch.log(scores.clamp_min(EPS)).mean().")
        if close(got, want["bce"], rel=1e-4, abs_=1e-4) and not close(want["bce"], want["right"]):
            return Verdict(False, msg + ": that is binary_cross_entropy(scores, ones), which caps "
                           "-log at 100, not at -log(EPS) = 16.1, so it is NOT the same below "
                           "EPS = 1e-7. Clamp the scores with EPS as the text says: "
                           "-torch.log(scores.clamp_min(EPS)).mean().")
        return Verdict(False, msg + ": clamp the scores from below at the notebook's EPS = 1e-7 "
                       "(not another epsilon) before the log: "
                       "-torch.log(scores.clamp_min(EPS)).mean().")
    return Verdict(True)


def _probabilities(p: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """D's scores on the real rows (n,), on one fake (n,), and the shuffled order (2n,)."""
    n, seed = p["n"], p["seed"]
    gen, disc = NoiseRecordingGenerator(seed), RecordingDiscriminator(seed)
    with torch.no_grad():
        real = disc(real_batch(n, seed)).double().squeeze(1)
        fake = disc(gen(torch.zeros(n, NOISE_DIM))).double().squeeze(1)
    return real, fake, shuffled_order(n, seed)


def _bce(scores: torch.Tensor, target: float) -> torch.Tensor:
    """Per-row binary cross entropy of probabilities (log clamped at -100, like PyTorch)."""
    log_p = torch.log(scores).clamp_min(-100.0)
    log_q = torch.log(1 - scores).clamp_min(-100.0)
    return -(target * log_p + (1 - target) * log_q)


def discriminator_candidates(p: dict) -> dict[str, float]:
    """The right discriminator loss and what typical mistakes give, computed here."""
    real, fake, _ = _probabilities(p)
    right_rows = torch.cat([_bce(real, 1.0), _bce(fake, 0.0)])
    again = torch.sigmoid
    return {
        "right": float(right_rows.mean()),
        "swapped": float(torch.cat([_bce(real, 0.0), _bce(fake, 1.0)]).mean()),
        "sigmoid_twice": float(torch.cat([_bce(again(real), 1.0), _bce(again(fake), 0.0)]).mean()),
        "summed": float(right_rows.sum()),
        "halves_summed": float(_bce(real, 1.0).mean() + _bce(fake, 0.0).mean()),
        "real_only": float(_bce(real, 1.0).mean()),
        "fake_only": float(_bce(fake, 0.0).mean()),
    }


DISCRIMINATOR_HINTS = {
    "swapped": "it equals the loss with real and fake labels swapped: compare the scores with the "
               "labels y of make_real_and_fake (1 = real, 0 = fake), not with 1 - y.",
    "sigmoid_twice": "it looks like a second sigmoid was applied: the discriminator already ends "
                     "in nn.Sigmoid, so use nn.functional.binary_cross_entropy (or nn.BCELoss), "
                     "not BCEWithLogitsLoss or torch.sigmoid on the scores.",
    "summed": "it equals the SUM over the batch: use the mean (binary_cross_entropy's default "
              "reduction).",
    "halves_summed": "it equals the real images' loss PLUS the fakes' loss: compute one binary "
                     "cross entropy over the whole mixed batch (or average the two halves).",
    "real_only": "it equals the loss on the real images alone: use the whole mixed batch.",
    "fake_only": "it equals the loss on the fake images alone: use the whole mixed batch.",
}


def generator_candidates(p: dict) -> dict[str, float]:
    """The right generator loss -mean log D(G(z)) and what typical mistakes give."""
    n = p["n"]
    real, fake, order = _probabilities(p)
    mixed = torch.cat([real, fake])[order]                     # the scores in the batch's order

    def nll(scores: torch.Tensor) -> float:
        return float(-torch.log(scores.clamp_min(EPS)).mean())

    return {
        "right": nll(fake),
        "all_rows": nll(mixed),
        "real_rows": nll(real),
        "first_half": nll(mixed[:n]),
        "second_half": nll(mixed[n:]),
        "saturating": float(torch.log((1 - fake).clamp_min(EPS)).mean()),
        "fake_target": float(-torch.log((1 - fake).clamp_min(EPS)).mean()),
        "no_minus": -nll(fake),
        "summed": n * nll(fake),
        "sigmoid_twice": nll(torch.sigmoid(fake)),
    }


GENERATOR_HINTS = {
    "all_rows": "it equals -mean log D over the WHOLE mixed batch, real images included: keep "
                "only the fake images, X[(y == FAKE_LABEL).squeeze(1)], before the discriminator.",
    "real_rows": "it equals -mean log D of the REAL images: select the fakes with "
                 "y == FAKE_LABEL (0), not y == REAL_LABEL.",
    "first_half": "it equals -mean log D of the first Nbatch rows of the batch: select the fakes "
                  "by their label, X[(y == FAKE_LABEL).squeeze(1)], not by their position (the "
                  "grader's batch has real and fake rows shuffled).",
    "second_half": "it equals -mean log D of the last Nbatch rows of the batch: select the fakes "
                   "by their label, X[(y == FAKE_LABEL).squeeze(1)], not by their position (the "
                   "grader's batch has real and fake rows shuffled).",
    "saturating": "it equals mean log(1 - D(G(z))), the saturating loss: use the non-saturating "
                  "-mean log D(G(z)).",
    "fake_target": "it equals the binary cross entropy of the fakes against the FAKE label: the "
                   "generator wants D(G(z)) large, loss = -mean log D(G(z)).",
    "no_minus": "it equals +mean log D(G(z)): the loss is the NEGATIVE mean log score.",
    "summed": "it equals the SUM over the fakes: take the mean.",
    "sigmoid_twice": "it looks like a second sigmoid was applied: the discriminator already "
                     "returns probabilities, take -log of them directly.",
}


def _judge_returned(obs: dict, function: str) -> Verdict | None:
    kind = obs.get("returned")
    if kind != "float":
        return Verdict(False, f"{function} returned a {kind}, expected a Python float: return "
                       "loss.item() (a tensor would keep its whole graph alive in the training "
                       "loop's list of losses).")
    return None


def _judge_loss(obs: dict, p: dict, candidates: dict[str, float], hints: dict[str, str],
                expected: str) -> Verdict:
    fn = p["function"]
    got, values = number(obs, "loss"), candidates
    calls = obs.get("disc_inputs")
    if close(got, values["right"]):
        return _judge_returned(obs, fn) or Verdict(True)
    msg = (f"{fn}({p['n']}, ...) on a known generator, discriminator and batch returned "
           f"{fmt(got)}, expected {fmt(values['right'])}")
    if not isinstance(calls, list):
        raise ObservationError("discriminator inputs missing")
    batches = obs.get("batch_calls")
    if isinstance(batches, list) and batches and batches[0] != p["n"]:
        return Verdict(False, f"{msg}: it called make_real_and_fake({batches[0]}, ...), expected "
                       f"make_real_and_fake(Nbatch, generator) = make_real_and_fake({p['n']}, ...): "
                       "Nbatch counts the real images, and the fakes again.")
    if not calls:
        return Verdict(False, msg + ": the discriminator was never called. " + expected)
    for mistake, hint in hints.items():
        if close(got, values[mistake]):
            return Verdict(False, f"{msg}: {hint}")
    return Verdict(False, f"{msg}. {expected}")


def judge_discriminator_loss(obs: dict, p: dict) -> Verdict:
    return _judge_loss(obs, p, discriminator_candidates(p), DISCRIMINATOR_HINTS,
                       "Use loss = nn.functional.binary_cross_entropy(discriminator(X), y) on the "
                       f"mixed batch X, y = make_real_and_fake({p['n']}, generator).")


def judge_generator_loss(obs: dict, p: dict) -> Verdict:
    return _judge_loss(obs, p, generator_candidates(p), GENERATOR_HINTS,
                       "Keep the fakes of the mixed batch by label, X[(y == FAKE_LABEL).squeeze(1)], "
                       "and use loss = -torch.log(discriminator(fakes).clamp_min(EPS)).mean().")


def judge_updates(obs: dict, p: dict) -> Verdict:
    """The step changes its own network's weights (fresh gradient) and never the other's."""
    fn = p["function"]
    mine, other = ("disc", "gen") if fn == "train_discriminator" else ("gen", "disc")
    name = {"disc": "discriminator", "gen": "generator"}
    mine_changed = changed(obs["before"][mine], obs["after"][mine])
    other_changed = changed(obs["before"][other], obs["after"][other])
    if other_changed:
        return Verdict(False, f"{fn} changed the {name[other]}'s weights: step only the optimizer "
                       f"you are given, opt, which holds the {name[mine]}'s parameters.")
    if not mine_changed:
        hint = (" The generator learns only through the discriminator's scores of its OWN "
                "images: keep the fakes (y == FAKE_LABEL) and do not .detach() them."
                if fn == "train_generator" else "")
        return Verdict(False, f"{fn} did not change the {name[mine]}'s weights: call "
                       "opt.zero_grad(), compute the loss, call loss.backward() and then "
                       "opt.step(), with the opt passed to the function (not a global "
                       f"optimizer).{hint}")
    if number(obs, "step_norm") > 1e3 or not math.isfinite(number(obs, "step_norm")):
        return Verdict(False, f"The {name[mine]}'s step used a stale gradient left from before "
                       f"{fn} was called: call opt.zero_grad() before loss.backward().")
    return Verdict(True)


def judge_detach(obs: dict, p: dict) -> Verdict:
    grads = with_gradient(obs.get("gen_grads"))
    if grads:
        return Verdict(False, "train_discriminator's backward() wrote gradients into the "
                       "generator: did you forget .detach() on the mixed batch X? Only the "
                       "discriminator learns in this step; X = X.detach() before "
                       "discriminator(X).")
    return Verdict(True)


def judge_discriminator_hidden(obs: dict, p: dict) -> Verdict:
    for judge in (judge_discriminator_loss, judge_updates, judge_detach):
        verdict = judge(obs, p)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def judge_generator_hidden(obs: dict, p: dict) -> Verdict:
    for judge in (judge_generator_loss, judge_updates):
        verdict = judge(obs, p)
        if not verdict.passed:
            return verdict
    return Verdict(True)


# --- a short training run with the student's own networks and functions ------------------

def _training_steps(ns: dict, p: dict, device: str) -> list[dict]:
    make_generator, make_discriminator = ob.need(ns, "make_generator"), ob.need(ns, "make_discriminator")
    train_generator, train_discriminator = ob.need(ns, "train_generator"), ob.need(ns, "train_discriminator")
    ob.need(ns, "make_real_and_fake")
    ob.seed_all(p["seed"])
    G, D = make_generator().to(device), make_discriminator().to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)
    steps = []
    with StandIns(ns, p["seed"]):
        for _ in range(p["steps"]):
            g0, d0 = ob.snapshot(G), ob.snapshot(D)
            g_loss = train_generator(p["n"], opt_g, G, D)
            g1, d1 = ob.snapshot(G), ob.snapshot(D)
            d_loss = train_discriminator(p["n"], opt_d, G, D)
            g2, d2 = ob.snapshot(G), ob.snapshot(D)
            steps.append({
                "g_loss": ob.scalar(g_loss, "train_generator's result"),
                "d_loss": ob.scalar(d_loss, "train_discriminator's result"),
                "returned": [returned_kind(g_loss), returned_kind(d_loss)],
                "gen_step": {"gen": [g0, g1], "disc": [d0, d1]},
                "disc_step": {"gen": [g1, g2], "disc": [d1, d2]},
            })
    return steps


def observe_training(ns: dict, p: dict) -> dict:
    try:
        report: dict = {"steps": _training_steps(ns, p, "cpu")}
    except (NotImplementedError, ob.Missing):
        raise  # "Not implemented yet" / "defines no ...": the grader's usual words
    except Exception as exc:  # reported with the context of this check
        return {"error": describe_error(exc)}
    if cuda_usable():
        try:
            cuda = _training_steps(ns, dict(p, steps=1), "cuda")
            report["cuda"] = {"g_loss": cuda[0]["g_loss"], "d_loss": cuda[0]["d_loss"]}
        except Exception as exc:  # reported and judged: a device mismatch is the usual cause
            report["cuda"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return report


def judge_training(obs: dict, p: dict) -> Verdict:
    where = (f"Training your make_generator() and make_discriminator() with two Adam "
             f"optimizers, batch size {p['n']}")

    def fail(problem: str) -> Verdict:
        return Verdict(False, f"{where}: {problem} This check runs all your functions together: "
                       "if another check fails, fix that one first.")

    error = obs.get("error")
    if isinstance(error, dict):
        message = str(error.get("message"))
        hint = (" The discriminator must return probabilities: does make_discriminator end in "
                "nn.Sigmoid()?" if "between 0 and 1" in message else "")
        return fail(f"your code raised {error.get('type')}: {message}"
                    f"{where_text(error.get('where'))}.{hint}")
    steps = obs.get("steps")
    if not isinstance(steps, list) or len(steps) != p["steps"]:
        raise ObservationError("training steps missing")

    for i, s in enumerate(steps, 1):
        for key, fn in (("g_loss", "train_generator"), ("d_loss", "train_discriminator")):
            value = number(s, key)
            if not math.isfinite(value):
                return fail(f"at step {i} {fn} returned {value}. Clamp the scores before the "
                            "log (EPS) and check the networks' last layers.")
        if s.get("returned") != ["float", "float"]:
            return fail(f"the steps returned {s.get('returned')}, expected two Python floats: "
                        "return loss.item().")
        if not changed(*s["gen_step"]["gen"]):
            return fail(f"at step {i} train_generator did not change the generator's weights. "
                        "Does it call loss.backward() and opt.step()? Does make_real_and_fake "
                        "label the fakes 0 and keep their gradient, and does train_generator keep "
                        "them by label without .detach()?")
        if changed(*s["gen_step"]["disc"]):
            return fail(f"at step {i} train_generator changed the discriminator's weights.")
        if not changed(*s["disc_step"]["disc"]):
            return fail(f"at step {i} train_discriminator did not change the discriminator's "
                        "weights: does it call opt.zero_grad() before loss.backward(), then "
                        "opt.step()?")
        if changed(*s["disc_step"]["gen"]):
            return fail(f"at step {i} train_discriminator changed the generator's weights.")
    cuda = obs.get("cuda")
    if cuda is not None:
        if not isinstance(cuda, dict):
            raise ObservationError("cuda report malformed")
        if "error" in cuda:
            return Verdict(False, f"{where} on a GPU failed: {cuda['error']}. Create every tensor "
                           "on the networks' device: device = next(generator_model.parameters())"
                           ".device, then torch.randn(..., device=device), torch.ones(..., "
                           "device=device) and sample_mnist(N).to(device).")
        if not (math.isfinite(number(cuda, "g_loss")) and math.isfinite(number(cuda, "d_loss"))):
            return fail("on a GPU the losses were not finite.")
    return Verdict(True)


# --- the list --------------------------------------------------------------------------

def _network(name: str, function: str, title: str, seed: int, n: int, kwargs: dict,
             scale: float, judge, visibility: str = "visible") -> Check:
    shape_in = [kwargs.get("noise_dim", NOISE_DIM)] if function == "make_generator" else list(IMAGE)
    return Check(name, function, title, 1.0, observe_network, judge,
                 {"function": function, "seed": seed, "n": n, "kwargs": kwargs,
                  "input": shape_in, "input_scale": scale}, visibility)


def _step(function: str, seed: int, n: int) -> dict:
    return {"function": function, "seed": seed, "n": n}


def _device_check(function: str, seed: int, n: int) -> Check:
    return Check(f"{function}_device", function,
                 f"{function}: works on the networks' device (checked on `meta`)", 1.0,
                 observe_device, judge_device, {"function": function, "seed": seed, "n": n})


CHECKS: list[Check] = [
    _network("make_generator_structure", "make_generator",
             "make_generator: Tanh + Unflatten ending, images (N, 28, 28) in [-1, 1]",
             1, 6, {"noise_dim": 100, "hidden": 32, "n_hidden": 3}, 3.0, judge_generator),
    _network("make_generator_structure_hidden", "make_generator", "make_generator with other sizes",
             2, 5, {"noise_dim": 7, "hidden": 12, "n_hidden": 1}, 5.0, judge_generator, HIDDEN),
    _network("make_discriminator_structure", "make_discriminator",
             "make_discriminator: Sigmoid ending, probabilities (N, 1)",
             3, 6, {"hidden": 32, "n_hidden": 3}, 1.0, judge_discriminator),
    _network("make_discriminator_structure_hidden", "make_discriminator",
             "make_discriminator with other sizes",
             4, 9, {"hidden": 5, "n_hidden": 2}, 2.0, judge_discriminator, HIDDEN),
    Check("make_real_and_fake_batch", "make_real_and_fake",
          "make_real_and_fake: N real (label 1) then N fake (label 0), randn noise, device", 2.0,
          observe_real_and_fake, judge_real_and_fake, {"seed": 5, "n": 4}),
    Check("make_real_and_fake_hidden", "make_real_and_fake", "make_real_and_fake with another N",
          1.0, observe_real_and_fake, judge_real_and_fake, {"seed": 6, "n": 9}, HIDDEN),
    _device_check("make_real_and_fake", 15, 4),
    Check("train_discriminator_loss", "train_discriminator",
          "train_discriminator: BCE of the mixed batch, returned as a float", 1.0,
          observe_train_step, judge_discriminator_loss, _step("train_discriminator", 7, 5)),
    Check("train_discriminator_updates", "train_discriminator",
          "train_discriminator: zero_grad, then a step of the discriminator only", 2.0,
          observe_train_step, judge_updates, _step("train_discriminator", 8, 5)),
    Check("train_discriminator_detach", "train_discriminator",
          "train_discriminator: no gradient reaches the generator (detach)", 1.0,
          observe_train_step, judge_detach, _step("train_discriminator", 9, 5)),
    Check("train_discriminator_hidden", "train_discriminator",
          "train_discriminator with another batch size", 1.0,
          observe_train_step, judge_discriminator_hidden, _step("train_discriminator", 10, 11),
          HIDDEN),
    _device_check("train_discriminator", 16, 5),
    Check("train_generator_loss", "train_generator",
          "train_generator: -mean log D(G(z)) of the fakes (by label), as a float", 1.0,
          observe_train_step, judge_generator_loss, _step("train_generator", 11, 5)),
    Check("train_generator_updates", "train_generator",
          "train_generator: zero_grad, then a step of the generator only", 2.0,
          observe_train_step, judge_updates, _step("train_generator", 12, 5)),
    Check("train_generator_clamp", "train_generator",
          "train_generator: scores clamped at EPS before the log (D(G(z)) = 0, below EPS, 1)",
          1.0, observe_clamp, judge_clamp, {"seed": 15, "n": 6}),
    Check("training_steps", "train_generator",
          "three training steps with your networks: finite losses, right network updated", 1.0,
          observe_training, judge_training, {"seed": 13, "n": 16, "steps": 3},
          uses=("make_generator", "make_discriminator", "make_real_and_fake",
                "train_discriminator")),
    Check("train_generator_hidden", "train_generator", "train_generator with another batch size",
          1.0, observe_train_step, judge_generator_hidden, _step("train_generator", 14, 7), HIDDEN),
    _device_check("train_generator", 17, 5),
]
