"""``training_a_gan``'s child side: its stand-ins and the observers that call the student's code.

Runs in the child beside the student's notebook and reports plain data (the stand-ins are also
imported by the grader, which recomputes the expected values from them). The stand-ins: real
images from a deterministic ``sample_mnist`` (:class:`StandIns`, installed in the student's
namespace for one observation), fakes from :class:`NoiseRecordingGenerator` (a fixed image,
whatever the noise), scores from :class:`RecordingDiscriminator` (a known linear layer and a
sigmoid).
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.child.errors import describe_error
from autograder.probes import alternating, networks, structure
from autograder.probes import device as meta
from autograder.probes.isolation import ScoreGradients, StepWatch
from autograder.probes.loss import number_kind
from autograder.probes.networks import LinearDiscriminator, real_images
from autograder.probes.standins import StandInExpired, as_the_student_calls

NOISE_DIM = 100          # the notebook's noise_dim
IMAGE = (28, 28)
PIXELS = 28 * 28
EPS = 1e-7               # the notebook's EPS: scores are clamped here before the log
MAX_RECORDS = 8          # calls a stub remembers (a hostile loop cannot flood the report)


class NoiseRecordingGenerator(networks.NoiseRecordingGenerator):
    """:class:`ConstantGenerator` with images (n, 28, 28) that also reports the noise it got."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed, image_shape=IMAGE)

    @classmethod
    def example(cls):
        return cls(0), torch.randn(3, NOISE_DIM)


class RecordingDiscriminator(LinearDiscriminator):
    """:class:`LinearDiscriminator` ending in a sigmoid that reports the shapes it was given."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed, sigmoid=True)
        self.inputs: list[list[int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.inputs) < MAX_RECORDS:
            self.inputs.append([int(n) for n in ob.as_tensor(x, "the discriminator's input").shape])
        return super().forward(x)

    @classmethod
    def example(cls):
        return cls(0), torch.rand(3, *IMAGE)


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

    @classmethod
    def example(cls):
        return cls(0, -40.0), torch.rand(3, *IMAGE)


SATURATING_OFFSETS = (-200.0, -40.0, 200.0)   # D(G(z)) = 0, about 1e-17, and 1


class PinnedDiscriminator(RecordingDiscriminator):
    """:class:`RecordingDiscriminator` whose every score is ``sigmoid(logit)``, with the gradient
    of its linear layer: small scores above EPS, where any cap must still be exactly ``-log D``."""

    def __init__(self, seed: int, logit: float):
        super().__init__(seed)
        self.logit = logit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.inputs) < MAX_RECORDS:
            self.inputs.append([int(n) for n in ob.as_tensor(x, "the discriminator's input").shape])
        z = self.linear(x.reshape(x.shape[0], -1))                               # (n, 1)
        return torch.sigmoid(z - z.detach() + self.logit)                        # (n, 1)

    @classmethod
    def example(cls):
        return cls(0, SMALL_LOGIT), torch.rand(3, *IMAGE)


SMALL_SCORE = 1e-5                              # 100 * EPS: a cap must not change -log D here
SMALL_LOGIT = float(torch.logit(torch.tensor(SMALL_SCORE, dtype=torch.float64)))
GENERATOR_LR = 0.1                              # the SGD of observe_clamp: step = lr * gradient


def clamp_discriminators(seed: int) -> list[nn.Module]:
    """The discriminators of ``train_generator_clamp``: D(G(z)) = 0, about 1e-17, 1 and 1e-5."""
    return [*(SaturatedDiscriminator(seed, o) for o in SATURATING_OFFSETS),
            PinnedDiscriminator(seed, SMALL_LOGIT)]


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
            self.ns[name] = as_the_student_calls(name, getattr(self, name), self.ns.get(name))
        return self

    def __exit__(self, *exc) -> None:
        self.expired = True
        for name, value in self.saved.items():
            if value is _ABSENT:
                self.ns.pop(name, None)
            else:
                self.ns[name] = value


_ABSENT = object()


def observe_network(ns: dict, p: dict) -> dict:
    make = ob.need(ns, p["function"])
    ob.seed_all(p["seed"])
    net = make(**p["kwargs"])
    if not isinstance(net, nn.Module):
        raise TypeError(f"{p['function']} should return an nn.Module such as nn.Sequential(...), "
                        f"got {type(net).__name__}: did you forget the return?")
    report: dict = {"layers": ob.describe_layers(net)}
    x = torch.randn(p["n"], *p["input"]) * p["input_scale"]
    structure.forward(net, x, report, reraise=())
    return report


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
    if meta.cuda_usable():
        gen = NoiseRecordingGenerator(p["seed"]).to("cuda")
        report["cuda"] = meta.reported(lambda: _observe_on_cuda(ns, make_real_and_fake, gen, p))
    return report


def _observe_on_cuda(ns: dict, make_real_and_fake, gen, p: dict) -> dict:
    with StandIns(ns, p["seed"]):
        X, y = make_real_and_fake(3, gen)
    return {"X": ob.tensor_info(X)["device"], "y": ob.tensor_info(y)["device"],
            "noise": [info["device"] for info in gen.noise]}


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


def observe_train_step(ns: dict, p: dict) -> dict:
    """One call of the student's step on stub networks, with a stale gradient planted."""
    step = ob.need(ns, p["function"])
    gen, disc = NoiseRecordingGenerator(p["seed"]), RecordingDiscriminator(p["seed"])
    own = disc if p["function"] == "train_discriminator" else gen
    opt = torch.optim.SGD(own.parameters(), lr=0.1)
    watch = StepWatch(gen, disc, own)
    scores = ScoreGradients(disc, real_batch(p["n"], p["seed"]))  # the gradient each term sends
    ob.seed_all(p["seed"])
    with StandIns(ns, p["seed"], shuffle=True) as s:
        loss = step(p["n"], opt, gen, disc)
    return {"loss": ob.scalar(loss, f"{p['function']}'s result"), "returned": number_kind(loss),
            **watch.report(), "disc_inputs": disc.inputs, "batch_calls": s.batch_calls,
            "score_grads": scores.report()}


def observe_clamp(ns: dict, p: dict) -> dict:
    """train_generator with discriminators whose scores saturate at 0, below EPS, and at 1, and
    one whose scores are 1e-5: the loss, and the generator's gradient (its SGD step / lr)."""
    step = ob.need(ns, "train_generator")
    losses, scores, gradients, finite = [], [], [], []
    for disc in clamp_discriminators(p["seed"]):
        gen = NoiseRecordingGenerator(p["seed"])
        before = gen.image.detach().clone()
        opt = torch.optim.SGD(gen.parameters(), lr=GENERATOR_LR)
        ob.seed_all(p["seed"])
        with StandIns(ns, p["seed"], shuffle=True):
            loss = step(p["n"], opt, gen, disc)
        losses.append(ob.scalar(loss, "train_generator's result"))
        moved = (before - gen.image.detach()) / GENERATOR_LR                     # (784,) gradient
        gradients.append(ob.norm(moved))
        finite.append(bool(torch.isfinite(moved).all()))
    for disc in clamp_discriminators(p["seed"]):   # the score of the (constant) fake, for feedback
        with torch.no_grad():
            fake = NoiseRecordingGenerator(p["seed"])(torch.zeros(1, NOISE_DIM))
            scores.append(ob.scalar(disc(fake), "score"))
    return {"losses": losses, "scores": scores, "gradients": gradients, "finite_steps": finite}


def _training_steps(ns: dict, p: dict, device: str) -> list[dict]:
    make_generator, make_discriminator = ob.need(ns, "make_generator"), ob.need(ns, "make_discriminator")
    train_generator, train_discriminator = ob.need(ns, "train_generator"), ob.need(ns, "train_discriminator")
    ob.need(ns, "make_real_and_fake")
    ob.seed_all(p["seed"])
    G, D = make_generator().to(device), make_discriminator().to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3)

    def record(g_loss, d_loss, gen_step: dict, disc_step: dict) -> dict:
        return {"g_loss": ob.scalar(g_loss, "train_generator's result"),
                "d_loss": ob.scalar(d_loss, "train_discriminator's result"),
                "returned": [number_kind(g_loss), number_kind(d_loss)],
                "gen_step": gen_step, "disc_step": disc_step}

    with StandIns(ns, p["seed"]):
        return alternating.alternate(G, D, p["steps"], lambda i: train_generator(p["n"], opt_g, G, D),
                                     lambda i: train_discriminator(p["n"], opt_d, G, D), record)


def _cuda_losses(ns: dict, p: dict) -> dict:
    cuda = _training_steps(ns, dict(p, steps=1), "cuda")
    return {"g_loss": cuda[0]["g_loss"], "d_loss": cuda[0]["d_loss"]}


def observe_training(ns: dict, p: dict) -> dict:
    return meta.on_cpu_then_cuda(lambda: {"steps": _training_steps(ns, p, "cpu")},
                                 lambda: _cuda_losses(ns, p), describe_error)
