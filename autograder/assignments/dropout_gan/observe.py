"""``dropout_gan``'s child side: its stand-ins and the observers that call the student's code.

Runs in the child beside the student's notebook and reports plain data (the stand-ins are also
imported by the grader, which recomputes the expected losses from them):
:class:`RecordingGenerator` (a fixed image in (-1, 1) whatever the noise, which fingerprints the
noise it is given) and :class:`ModeRecordingDiscriminator` (logits a few units from 0 with both
signs, which remembers its mode at each call).
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.checks import changed
from autograder.child.errors import describe_error
from autograder.probes import alternating
from autograder.probes import device as meta
from autograder.probes.isolation import ScoreGradients, StepWatch
from autograder.probes.loss import number_kind
from autograder.probes.networks import LinearDiscriminator, NoiseRecordingGenerator, real_images

LATENT_DIM = 100         # the notebook's latent_dim
BATCH_SIZE = 128         # the notebook's batch_size
PIXELS = 28 * 28
IMAGE = (1, 28, 28)      # one image as the data loader and the generator give it
MAX_RECORDS = 8          # calls a stub remembers (a hostile loop cannot flood the report)
_equal = torch.equal     # bound before student code runs (see autograder.child.observe)
_plain = torch._C.DisableTorchFunctionSubclass


def _same(a, b) -> bool:
    """Two outputs are equal tensors (read as plain tensors, on the CPU)."""
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
        return False
    with _plain():
        a, b = a.detach().cpu(), b.detach().cpu()
        return a.shape == b.shape and bool(_equal(a, b))


class RecordingGenerator(NoiseRecordingGenerator):
    """A fixed image (n, 1, 28, 28) in (-1, 1) whatever the noise; reports the noise it got."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed, image_shape=IMAGE, details=True, signed=True)

    @classmethod
    def example(cls):
        return cls(0), torch.randn(3, LATENT_DIM)


class ModeRecordingDiscriminator(LinearDiscriminator):
    """:class:`LinearDiscriminator` that remembers its mode (train / eval) at each call."""

    def __init__(self, seed: int):
        super().__init__(PIXELS, seed)
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if len(self.modes) < MAX_RECORDS:
            self.modes.append(bool(self.training))
        return super().forward(x)

    @classmethod
    def example(cls):
        return cls(0), torch.rand(3, *IMAGE)


def real_batch(n: int, seed: int) -> torch.Tensor:
    """A stand-in batch of real images: float32 (n, 1, 28, 28) in [-1, 1), like the data loader's."""
    return real_images(n, PIXELS, seed, low=-1.0, high=1.0, shape=IMAGE)


def _run(fn):
    """``fn()``, or the error it raised as a short string (a student's forward that fails)."""
    try:
        return fn(), None
    except (NotImplementedError, ob.Missing):
        raise  # "Not implemented yet" / "defines no ...": the grader's usual words
    except Exception as exc:  # reported, judged with a hint about shapes
        return None, meta.short_error(exc)


def _info(fn) -> dict:
    """``{"output": tensor_info(fn())}``, or ``{"error": ...}`` when the student's code fails."""
    y, error = _run(fn)
    if error is None:
        y, error = _run(lambda: ob.tensor_info(y))
    return {"error": error} if error is not None else {"output": y}


def _two_passes_equal(net: nn.Module, x: torch.Tensor) -> bool | None:
    """Whether two forward passes of ``x`` give the same output (None: the forward failed)."""
    both, error = _run(lambda: (net(x), net(x)))
    return None if error is not None else _same(*both)


def observe_network(ns: dict, p: dict) -> dict:
    """Build the student's network and run it on known inputs, in eval() and train() mode."""
    cls = ob.need(ns, p["class"])
    ob.seed_all(p["seed"])
    net = cls() if p["class"] == "MNISTDiscriminator" else cls(p["latent_dim"])
    if not isinstance(net, nn.Module):
        raise TypeError(f"{p['class']}(...) should be an nn.Module, got {type(net).__name__}")
    n = p["n"]
    if p["class"] == "MNISTDiscriminator":
        x = real_batch(n, p["seed"])                                   # (n, 1, 28, 28)
        forms = {"4d": x, "3d": x.reshape(n, 28, 28), "2d": x.reshape(n, PIXELS)}
    else:
        x = torch.randn(n, p["latent_dim"])                            # (n, latent_dim)
        forms = {"2d": x}
    report: dict = {"layers": ob.describe_layers(net)}
    with torch.no_grad():
        net.eval()
        outputs = {}
        for form, batch in forms.items():
            outputs[form], _ = _run(lambda batch=batch: net(batch))
            report[form] = _info(lambda form=form: outputs[form])
        if "4d" in forms:
            report["same_logits"] = {form: _same(y, outputs["4d"]) for form, y in outputs.items()}
        # Large inputs: a LeakyReLU network is almost linear in its input's scale, so logits
        # grow far outside [0, 1] and a tanh reaches both ends of [-1, 1].
        report["large"] = _info(lambda: net(x * p["scale"]))
        net.train()
        train_equal = _two_passes_equal(net, x)
        net.eval()
        eval_equal = _two_passes_equal(net, x)
    report["dropout"] = {"train_differ": None if train_equal is None else not train_equal,
                         "eval_equal": eval_equal}
    return report


def _global_networks(ns: dict) -> dict:
    """Snapshots of the notebook's own networks, where they exist (a student's kernel)."""
    return {k: ob.snapshot(ns[k]) for k in ("generator", "discriminator")
            if isinstance(ns.get(k), nn.Module)}


def _call_step(ns: dict, p: dict, device: str) -> dict:
    """One call of the student's step on stand-ins on ``device``, with a stale gradient planted."""
    fn = p["function"]
    step = ob.need(ns, fn)
    gen = RecordingGenerator(p["seed"]).to(device)
    disc = LinearDiscriminator(PIXELS, p["seed"]).to(device)
    own = disc if fn == "discriminator_step" else gen
    opt = torch.optim.SGD(own.parameters(), lr=0.1)
    watch = StepWatch(gen, disc, own)
    globals_before = _global_networks(ns) if device == "cpu" else {}
    ob.seed_all(p["seed"])
    scores = None
    if fn == "discriminator_step":
        images = real_batch(p["n"], p["seed"]).to(device)
        scores = ScoreGradients(disc, images)  # the gradient each term sends to D's scores
        loss = step(gen, disc, images, opt, nn.BCEWithLogitsLoss(), p["latent_dim"])
    else:
        loss = step(gen, disc, p["n"], opt, nn.BCEWithLogitsLoss(), p["latent_dim"], device)
    report = watch.report()
    if scores is not None:
        report["score_grads"] = scores.report()
    return {"loss": ob.scalar(loss, f"{fn}'s result"), "returned": number_kind(loss), **report,
            "noise": gen.noise,
            "globals_changed": {k: changed(v, ob.snapshot(ns[k])) != []
                                for k, v in globals_before.items()}}


def _cuda_step(ns: dict, p: dict) -> dict:
    cuda = _call_step(ns, p, "cuda")
    return {"loss": cuda["loss"], "noise": [info.get("device") for info in cuda["noise"]]}


def observe_step(ns: dict, p: dict) -> dict:
    return meta.on_cpu_then_cuda(lambda: _call_step(ns, p, "cpu"), lambda: _cuda_step(ns, p),
                                 describe_error)


def observe_repeated_step(ns: dict, p: dict) -> dict:
    """Two calls of the student's step with both stand-ins in train() mode, as in training."""
    fn = p["function"]
    step = ob.need(ns, fn)
    gen, disc = RecordingGenerator(p["seed"]), ModeRecordingDiscriminator(p["seed"])
    own = disc if fn == "discriminator_step" else gen
    opt = torch.optim.SGD(own.parameters(), lr=0.01)
    gen.train()
    disc.train()
    ob.seed_all(p["seed"])
    calls = []
    for i in range(2):
        gen.noise.clear()
        disc.modes.clear()
        try:
            if fn == "discriminator_step":
                step(gen, disc, real_batch(p["n"], p["seed"] + i), opt, nn.BCEWithLogitsLoss(),
                     p["latent_dim"])
            else:
                step(gen, disc, p["n"], opt, nn.BCEWithLogitsLoss(), p["latent_dim"], "cpu")
        except (NotImplementedError, ob.Missing):
            raise
        except Exception as exc:  # reported: the loss checks explain the error
            return {"error": describe_error(exc)}
        calls.append({"noise": [z.get("hash") for z in gen.noise],
                      "gen_modes": [z.get("training") for z in gen.noise],
                      "disc_modes": list(disc.modes),
                      "after": {"generator": bool(gen.training),
                                "discriminator": bool(disc.training)}})
    return {"calls": calls}


def observe_device(ns: dict, p: dict) -> dict:
    fn = p["function"]
    step = ob.need(ns, fn)
    gen, disc = RecordingGenerator(p["seed"]), LinearDiscriminator(PIXELS, p["seed"])
    meta.to_meta(gen, disc)
    own = disc if fn == "discriminator_step" else gen
    opt = torch.optim.SGD(own.parameters(), lr=0.1)
    ob.seed_all(p["seed"])
    if fn == "discriminator_step":
        images = real_batch(p["n"], p["seed"]).to(meta.META)
        report = meta.observe_on_meta(step, gen, disc, images, opt, nn.BCEWithLogitsLoss(),
                                      p["latent_dim"])
    else:
        report = meta.observe_on_meta(step, gen, disc, p["n"], opt, nn.BCEWithLogitsLoss(),
                                      p["latent_dim"], meta.META)
    report.pop("result", None)
    report["noise_devices"] = [info.get("device") for info in gen.noise]
    return report


def _training_steps(ns: dict, p: dict, device: str) -> dict:
    MNISTGenerator, MNISTDiscriminator = ob.need(ns, "MNISTGenerator"), ob.need(ns, "MNISTDiscriminator")
    discriminator_step = ob.need(ns, "discriminator_step")
    generator_step = ob.need(ns, "generator_step")
    ob.seed_all(p["seed"])
    z, n = p["latent_dim"], p["n"]
    G, D = MNISTGenerator(z).to(device), MNISTDiscriminator().to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss_func = nn.BCEWithLogitsLoss()
    G.train()
    D.train()
    with torch.no_grad():
        pair = ob.tensor_info(D(G(torch.randn(n, z, device=device))))   # (n, 1)

    def record(d_loss, g_loss, disc_step: dict, gen_step: dict) -> dict:
        return {"d_loss": ob.scalar(d_loss, "discriminator_step's result"),
                "g_loss": ob.scalar(g_loss, "generator_step's result"),
                "disc_step": disc_step, "gen_step": gen_step}

    steps = alternating.alternate(
        G, D, p["steps"],
        lambda i: discriminator_step(G, D, real_batch(n, p["seed"] + i).to(device), opt_d, loss_func, z),
        lambda i: generator_step(G, D, n, opt_g, loss_func, z, device), record)
    return {"pair": pair, "steps": steps}


def _cuda_losses(ns: dict, p: dict) -> dict:
    cuda = _training_steps(ns, dict(p, steps=1), "cuda")["steps"][0]
    return {"g_loss": cuda["g_loss"], "d_loss": cuda["d_loss"]}


def observe_training(ns: dict, p: dict) -> dict:
    return meta.on_cpu_then_cuda(lambda: _training_steps(ns, p, "cpu"), lambda: _cuda_losses(ns, p),
                                 describe_error)
