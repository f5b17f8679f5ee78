"""Checks for ``first_gan`` (seed 004, "Generating handwritten digits").

Every ``observe_*`` function runs in the child beside the student's notebook and reports plain
data; every ``judge_*`` function runs in the grader and decides. Hidden checks ask the same
questions with other sizes and seeds.
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.checks import (
    HIDDEN,
    Check,
    Verdict,
    changed,
    close,
    fmt,
    layer_names,
    layers,
    number,
    shape,
    with_gradient,
)
from autograder.probes import alternating, device
from autograder.probes.isolation import ScoreGradients, judge_detached_loss
from autograder.probes.loss import bce, explain, returned_kind
from autograder.probes.networks import ConstantGenerator, LinearDiscriminator, real_images
from autograder.probes.noise import fingerprint, fingerprints_per_call, freshness
from autograder.probes.standins import using

NOTEBOOK = "first_gan.ipynb"


# --- the grader's own versions of the course functions (what the notebook's text states) ---

def _get_noise(n_samples, z_dim, device="cpu"):
    return torch.randn(n_samples, z_dim, device=device)               # (n, z_dim) ~ N(0, 1)


def _get_generator_block(input_dim, output_dim):
    return nn.Sequential(nn.Linear(input_dim, output_dim), nn.BatchNorm1d(output_dim),
                         nn.ReLU(inplace=True))


def _get_discriminator_block(input_dim, output_dim):
    return nn.Sequential(nn.Linear(input_dim, output_dim), nn.LeakyReLU(0.2, inplace=True))


def _get_gen_loss(gen, disc, criterion, num_images, z_dim, device):
    pred_fake = disc(gen(torch.randn(num_images, z_dim, device=device)))   # (n, 1) logits
    return criterion(pred_fake, torch.ones_like(pred_fake))               # BCE(D(G(z)), 1)


STAND_INS = {"get_noise": _get_noise, "get_generator_block": _get_generator_block,
             "get_discriminator_block": _get_discriminator_block, "get_gen_loss": _get_gen_loss}


# --- blocks ------------------------------------------------------------------------------

def observe_block(ns: dict, p: dict) -> dict:
    make_block = ob.need(ns, p["function"])
    ob.seed_all(p["seed"])
    block = make_block(p["in"], p["out"])
    described = ob.describe_layers(block)
    block.train()
    y = block(torch.randn(8, p["in"]))                                # (8, out)
    return {"layers": described, "output": ob.tensor_info(y)}


def expected_block(p: dict) -> list[dict]:
    linear = {"type": "Linear", "in": p["in"], "out": p["out"]}
    if p["function"] == "get_generator_block":
        return [linear, {"type": "BatchNorm1d", "features": p["out"]}, {"type": "ReLU"}]
    return [linear, {"type": "LeakyReLU", "slope": 0.2}]


def judge_block(obs: dict, p: dict) -> Verdict:
    got, want = layers(obs), expected_block(p)
    fn = p["function"]
    if [d.get("type") for d in got] != [d["type"] for d in want]:
        hint = ""
        kinds = [d.get("type") for d in got]
        if fn == "get_generator_block" and "BatchNorm1d" not in kinds:
            hint = " Your block has no nn.BatchNorm1d: put it between the Linear layer and the ReLU."
        elif fn == "get_generator_block" and "ReLU" not in kinds:
            hint = " The generator's blocks use nn.ReLU as activation."
        elif fn == "get_discriminator_block" and "LeakyReLU" not in kinds:
            hint = " The discriminator's blocks use nn.LeakyReLU(0.2) as activation."
        return Verdict(False, f"{fn}({p['in']}, {p['out']}) should build "
                       f"{layer_names(want)}, but builds {layer_names(got)}.{hint}")
    for g, w in zip(got, want, strict=False):
        if g.get("type") == "LeakyReLU" and not close(number(g, "slope"), 0.2):
            return Verdict(False, f"The LeakyReLU's negative slope is {fmt(g.get('slope'))}, "
                           "expected 0.2: write nn.LeakyReLU(0.2) (the default is 0.01).")
        if g != w:
            return Verdict(False, f"{fn}({p['in']}, {p['out']}) should build {layer_names(want)}, "
                           f"but builds {layer_names(got)}: check the sizes.")
    out = obs.get("output", {})
    if shape(out) != (8, p["out"]):
        return Verdict(False, f"For input (8, {p['in']}) the block returned shape "
                       f"{shape(out)}, expected (8, {p['out']}).")
    return Verdict(True)


# --- networks ----------------------------------------------------------------------------

def observe_network(ns: dict, p: dict) -> dict:
    cls = ob.need(ns, p["class"])
    ob.seed_all(p["seed"])
    net = cls(**p["kwargs"])
    described = ob.describe_layers(net)
    x = torch.randn(p["n"], p["input_dim"]) * p["input_scale"]
    # train() mode first: BatchNorm must normalise with the batch's statistics and update its
    # running statistics (a forward that calls self.eval() does neither).
    net.train()
    stats_before = _buffers(net)
    y_train = net(x)
    report = {"layers": described, "train_mode_after": bool(net.training),
              "stats_updated": _buffers(net) != stats_before}
    net.eval()
    y = net(x)
    report["output"] = ob.tensor_info(y)
    with torch.no_grad():
        report["train_equals_eval"] = bool(torch.equal(
            ob.as_tensor(y_train, "the network's output").detach().cpu(),
            ob.as_tensor(y, "the network's output").detach().cpu()))
    return report


def _buffers(net: nn.Module) -> dict[str, str]:
    """A fingerprint of every buffer (BatchNorm's running mean and variance)."""
    return {name: fingerprint(b) for name, b in net.named_buffers() if b.is_floating_point()}


def expected_network(p: dict) -> list[dict]:
    k = p["kwargs"]
    h = k["hidden_dim"]
    if p["class"] == "Generator":
        dims = [k["z_dim"], h, 2 * h, 4 * h, 8 * h]
        out: list[dict] = []
        for a, b in zip(dims, dims[1:], strict=False):
            out += [{"type": "Linear", "in": a, "out": b},
                    {"type": "BatchNorm1d", "features": b}, {"type": "ReLU"}]
        return out + [{"type": "Linear", "in": 8 * h, "out": k["im_dim"]}, {"type": "Sigmoid"}]
    dims = [k["im_dim"], 4 * h, 2 * h, h]
    out = []
    for a, b in zip(dims, dims[1:], strict=False):
        out += [{"type": "Linear", "in": a, "out": b}, {"type": "LeakyReLU", "slope": 0.2}]
    return out + [{"type": "Linear", "in": h, "out": 1}]


def judge_network(obs: dict, p: dict) -> Verdict:
    got, want = layers(obs), expected_network(p)
    name, k = p["class"], p["kwargs"]
    args = ", ".join(f"{a}={v}" for a, v in k.items())
    last = got[-1].get("type") if got else None
    if name == "Generator" and last != "Sigmoid":
        return Verdict(False, f"Generator({args}) ends with {last}; its final layers should be "
                       f"Linear({8 * k['hidden_dim']}, {k['im_dim']}) then nn.Sigmoid(), so that "
                       "pixel values lie in (0, 1) like MNIST's.")
    if name == "Discriminator" and last == "Sigmoid":
        return Verdict(False, "Your discriminator ends with a Sigmoid. It must return logits: "
                       "nn.BCEWithLogitsLoss applies the sigmoid itself, so a second sigmoid "
                       "squashes the scores and weakens the gradients. Remove the nn.Sigmoid().")
    if got != want:
        return Verdict(False, f"{name}({args}) should be {layer_names(want)}, "
                       f"but is {layer_names(got)}.")
    out = obs.get("output", {})
    n = p["n"]
    expect_shape = (n, k["im_dim"]) if name == "Generator" else (n, 1)
    if shape(out) != expect_shape:
        return Verdict(False, f"{name} returned shape {shape(out)} for a batch of {n}, "
                       f"expected {expect_shape}.")
    if name == "Generator" and not (number(out, "min") > 0.0 and number(out, "max") < 1.0):
        return Verdict(False, f"Generated pixels range over [{fmt(number(out, 'min'))}, "
                       f"{fmt(number(out, 'max'))}]; they should lie in (0, 1).")
    if name == "Generator" and (obs.get("stats_updated") is not True
                                or obs.get("train_equals_eval") is not False
                                or obs.get("train_mode_after") is not True):
        return Verdict(False, f"In train() mode, Generator({args})'s BatchNorm layers never "
                       "trained: a forward pass did not normalise with the batch's statistics "
                       "or did not update their running statistics"
                       + (", and the network was in eval() mode afterwards"
                          if obs.get("train_mode_after") is False else "")
                       + ". Do not call self.eval() (or .train(False)) inside forward or "
                       "__init__: the training loop decides the mode with gen.train() / "
                       "gen.eval().")
    return Verdict(True)


# --- noise -------------------------------------------------------------------------------

def observe_noise(ns: dict, p: dict) -> dict:
    get_noise = ob.need(ns, "get_noise")
    ob.seed_all(p["seed"])
    z = get_noise(p["n"], p["z_dim"], device=p["device"])
    report = {"noise": ob.tensor_info(z)}
    a = get_noise(p["n"], p["z_dim"], device=p["device"])
    report["repeats"] = bool(torch.equal(ob.as_tensor(a, "get_noise's result").cpu(), z.cpu()))
    if torch.cuda.is_available():
        report["cuda"] = ob.tensor_info(get_noise(4, p["z_dim"], device="cuda"))
    return report


def judge_noise(obs: dict, p: dict) -> Verdict:
    z = obs.get("noise", {})
    want = (p["n"], p["z_dim"])
    if shape(z) != want:
        return Verdict(False, f"get_noise({p['n']}, {p['z_dim']}) returned shape {shape(z)}, "
                       f"expected {want}: one row of z_dim numbers per sample.")
    if z.get("dtype") != "float32":
        return Verdict(False, f"The noise has dtype {z.get('dtype')}, expected float32.")
    if z.get("device") != "cpu":
        return Verdict(False, f"get_noise(..., device='cpu') returned a tensor on {z.get('device')}.")
    if "cuda" in obs and obs["cuda"].get("device") != "cuda":
        return Verdict(False, "get_noise(..., device='cuda') returned a tensor on "
                       f"{obs['cuda'].get('device')}: create it with torch.randn(..., device=device).")
    lo, mean, std = number(z, "min"), number(z, "mean"), number(z, "std")
    if lo >= 0.0:
        return Verdict(False, "All noise values are >= 0: this looks like torch.rand (uniform in "
                       "[0, 1)). Noise should come from the standard normal: torch.randn.")
    if not (abs(mean) < 0.1 and 0.9 < std < 1.1):
        return Verdict(False, f"The noise has mean {fmt(mean)} and standard deviation {fmt(std)}; "
                       "standard normal noise has mean 0 and standard deviation 1 (torch.randn).")
    if obs.get("repeats") is True:
        return Verdict(False, "Two calls of get_noise returned the same numbers: draw fresh noise "
                       "on every call (do not seed or cache inside get_noise).")
    return Verdict(True)


# --- losses ------------------------------------------------------------------------------

def _stubs(p: dict):
    gen = ConstantGenerator(p["im_dim"], p["seed"])
    disc = LinearDiscriminator(p["im_dim"], p["seed"])
    real = real_images(p["n"], p["im_dim"], p["seed"])
    return gen, disc, real


class NoiseHashGenerator(ConstantGenerator):
    """:class:`ConstantGenerator` that also keeps a fingerprint of each noise batch it gets."""

    def __init__(self, im_dim: int, seed: int):
        super().__init__(im_dim, seed)
        self.noise_hashes: list[str] = []

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        if len(self.noise_hashes) < 8:
            noise = ob.as_tensor(noise, "the generator's input noise")
            self.noise_hashes.append(fingerprint(noise))
        return super().forward(noise)


def observe_disc_loss(ns: dict, p: dict) -> dict:
    get_disc_loss = ob.need(ns, "get_disc_loss")
    gen, disc, real = _stubs(p)
    scores = ScoreGradients(disc, real)  # the gradient each term sends to D's scores
    ob.seed_all(p["seed"])
    loss = get_disc_loss(gen, disc, nn.BCEWithLogitsLoss(), real, p["n"], p["z_dim"], "cpu")
    value = ob.scalar(loss, "get_disc_loss's result")
    report = {"loss": value, "noise_shapes": gen.noise_shapes, "returned": returned_kind(loss)}
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
        report["gen_grads"] = ob.grad_norms(gen)
        report["disc_grads"] = ob.grad_norms(disc)
        report["score_grads"] = scores.report()
    return report


def observe_gen_loss(ns: dict, p: dict) -> dict:
    get_gen_loss = ob.need(ns, "get_gen_loss")
    gen, disc, _ = _stubs(p)
    ob.seed_all(p["seed"])
    loss = get_gen_loss(gen, disc, nn.BCEWithLogitsLoss(), p["n"], p["z_dim"], "cpu")
    report = {"loss": ob.scalar(loss, "get_gen_loss's result"), "noise_shapes": gen.noise_shapes,
              "returned": returned_kind(loss)}
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
        report["gen_grads"] = ob.grad_norms(gen)
    return report


def observe_gen_loss_noise(ns: dict, p: dict) -> dict:
    """Two calls of get_gen_loss with a generator that fingerprints the noise it is given."""
    get_gen_loss = ob.need(ns, "get_gen_loss")
    gen = NoiseHashGenerator(p["im_dim"], p["seed"])
    disc = LinearDiscriminator(p["im_dim"], p["seed"])
    ob.seed_all(p["seed"])
    per_call = []
    for _ in range(2):
        seen = len(gen.noise_hashes)
        get_gen_loss(gen, disc, nn.BCEWithLogitsLoss(), p["n"], p["z_dim"], "cpu")
        per_call.append(gen.noise_hashes[seen:])
    return {"noise": per_call}


def judge_gen_loss_noise(obs: dict, p: dict) -> Verdict:
    problem = freshness(*fingerprints_per_call(obs.get("noise")))
    if problem == "missing":
        return Verdict(False, "get_gen_loss did not call the generator on every call: make fresh "
                       "fakes each time, fake = gen(get_noise(num_images, z_dim, device)).")
    if problem == "same":
        return Verdict(False, "Two calls of get_gen_loss gave the generator the SAME noise: draw "
                       "fresh noise inside get_gen_loss on every call, noise = "
                       "get_noise(num_images, z_dim, device). Do not reuse a noise tensor made "
                       "once outside the function, cache it, or seed the generator inside.")
    return Verdict(True)


def _returned_problem(obs: dict, function: str, use: str) -> str | None:
    kind = obs.get("returned")
    if kind == "tensor":
        return None
    hint = " (did you return loss.item()?)" if kind == "float" else ""
    return (f"{function} returned a Python {kind}{hint}, expected the loss as a scalar torch "
            f"tensor: {use}, which a {kind} does not have. Return the criterion's result itself.")


def loss_candidates(p: dict) -> dict[str, float]:
    """The right loss and the values typical mistakes give, computed here in the grader."""
    gen, disc, real = _stubs(p)
    with torch.no_grad():
        fake = gen(torch.zeros(p["n"], p["z_dim"]))
        lf, lr = disc(fake), disc(real)
        return {
            "right": (bce(lf, 0.0) + bce(lr, 1.0)) / 2,
            "swapped": (bce(lf, 1.0) + bce(lr, 0.0)) / 2,
            "summed": bce(lf, 0.0) + bce(lr, 1.0),
            "real_only": bce(lr, 1.0),
            "fake_only": bce(lf, 0.0),
            "sigmoid_twice": (bce(torch.sigmoid(lf), 0.0) + bce(torch.sigmoid(lr), 1.0)) / 2,
            "gen_right": bce(lf, 1.0),
            "gen_fake_label": bce(lf, 0.0),
            "gen_sigmoid_twice": bce(torch.sigmoid(lf), 1.0),
        }


def _noise_problem(obs: dict, p: dict) -> str | None:
    shapes = obs.get("noise_shapes")
    if not isinstance(shapes, list) or not shapes:
        return ("The generator was never called: create noise with get_noise(num_images, z_dim, "
                "device) and pass it to gen.")
    if any(s != [p["n"], p["z_dim"]] for s in shapes):
        return (f"The generator received noise of shape {shapes[0]}, expected "
                f"[{p['n']}, {p['z_dim']}] = (num_images, z_dim).")
    return None


# What each loss check says: the function, how its result is used, the start of the message,
# the mistakes its value can reveal (names of loss_candidates), and the advice otherwise.
DISC_LOSS = {
    "function": "get_disc_loss",
    "use": "update_discriminator calls disc_loss.backward() and the training loop disc_loss.item()",
    "known": "On a known generator, discriminator and batch",
    "hints": {
        "swapped": "it equals the loss with real and fake labels swapped: real images are "
                   "labelled 1 (torch.ones_like) and fakes 0 (torch.zeros_like).",
        "summed": "it equals the SUM of the fake and real losses: average them, (fake + real) / 2.",
        "real_only": "it equals the loss on the real images alone: add the fake images' loss.",
        "fake_only": "it equals the loss on the fake images alone: add the real images' loss.",
        "sigmoid_twice": "it looks like a sigmoid was applied before the criterion: "
                         "BCEWithLogitsLoss takes the raw logits.",
    },
    "advice": ". Use the criterion on the discriminator's logits for the fake images (target 0) "
              "and the real images (target 1), and average the two.",
}
GEN_LOSS = {
    "function": "get_gen_loss",
    "use": "update_generator calls gen_loss.backward() and the training loop gen_loss.item()",
    "known": "On a known generator and discriminator",
    "hints": {
        "gen_fake_label": "you compared the fakes with the FAKE label. The generator wants the "
                          "discriminator to call its images real: use torch.ones_like.",
        "gen_sigmoid_twice": "it looks like a sigmoid was applied before the criterion; "
                             "BCEWithLogitsLoss takes the raw logits.",
    },
    "advice": ". Compute criterion(disc(fake), ones) on fresh fakes.",
}


def _judge_loss_value(obs: dict, p: dict, right: str, words: dict) -> Verdict:
    """The loss on the stand-ins equals ``loss_candidates(p)[right]``, and is a tensor."""
    got = number(obs, "loss")
    values = loss_candidates(p)
    if close(got, values[right]):
        problem = _returned_problem(obs, words["function"], words["use"])
        return Verdict(False, problem) if problem else Verdict(True)
    problem = _noise_problem(obs, p)
    if problem:
        return Verdict(False, problem)
    msg = f"{words['known']} your loss is {fmt(got)}, expected {fmt(values[right])}"
    hint = explain(got, values, words["hints"])
    return Verdict(False, f"{msg}: {hint}" if hint else msg + words["advice"])


def judge_disc_loss_value(obs: dict, p: dict) -> Verdict:
    return _judge_loss_value(obs, p, "right", DISC_LOSS)


def judge_disc_loss_detach(obs: dict, p: dict) -> Verdict:
    return judge_detached_loss(obs, "discriminator loss", "outputs with the criterion")


def judge_gen_loss_value(obs: dict, p: dict) -> Verdict:
    return _judge_loss_value(obs, p, "gen_right", GEN_LOSS)


def judge_gen_loss_gradient(obs: dict, p: dict) -> Verdict:
    if "gen_grads" not in obs or not with_gradient(obs["gen_grads"]):
        return Verdict(False, "Your generator loss gives the generator no gradient: do not "
                       ".detach() the fake images (or use torch.no_grad()) in get_gen_loss; the "
                       "generator learns through the discriminator's judgement of its images.")
    return Verdict(True)


# --- the generator's update --------------------------------------------------------------

def observe_update_generator(ns: dict, p: dict) -> dict:
    update_generator = ob.need(ns, "update_generator")
    gen, disc, _ = _stubs(p)
    gen_opt = torch.optim.SGD(gen.parameters(), lr=0.1)
    with torch.no_grad():  # a stale gradient from "the previous batch"
        gen.image.grad = torch.full_like(gen.image, 1e6)
    before = {"gen": ob.snapshot(gen), "disc": ob.snapshot(disc)}
    image_before = gen.image.detach().clone()
    ob.seed_all(p["seed"])
    with GlobalsWithGradients(ns) as global_nets:
        loss = update_generator(gen, disc, gen_opt, nn.BCEWithLogitsLoss(), p["n"], p["z_dim"],
                                "cpu")
        globals_changed = global_nets.changed()
    step = (gen.image.detach() - image_before).norm().item()
    return {
        "loss": ob.scalar(loss, "update_generator's result"),
        "returned": returned_kind(loss),
        "before": before,
        "after": {"gen": ob.snapshot(gen), "disc": ob.snapshot(disc)},
        "step_norm": step,
        "globals_changed": globals_changed,
    }


class GlobalsWithGradients:
    """Give the notebook's global ``gen`` and ``disc`` gradients for a while, then restore them.

    While grading, the global networks have no gradients, so a stray ``disc_opt.step()`` would
    change nothing. Inside this block every global parameter holds a small gradient (as after a
    real backward pass), so stepping a global optimizer moves its network's weights.
    """

    NAMES = ("gen", "disc", "gen_opt", "disc_opt")

    def __init__(self, ns: dict):
        self.ns = ns
        self.nets = {k: ns[k] for k in ("gen", "disc") if isinstance(ns.get(k), nn.Module)}
        self.saved: dict = {}

    def __enter__(self) -> GlobalsWithGradients:
        import copy

        for name in self.NAMES:
            obj = self.ns.get(name)
            if isinstance(obj, (nn.Module, torch.optim.Optimizer)):
                self.saved[name] = (obj, copy.deepcopy(obj.state_dict()))
        self.grads = {k: [q.grad for q in net.parameters()] for k, net in self.nets.items()}
        g = torch.Generator().manual_seed(0)
        for net in self.nets.values():
            for q in net.parameters():
                q.grad = (torch.randn(q.shape, generator=g) * 0.01).to(q.device, q.dtype)
        self.before = {k: ob.snapshot(net) for k, net in self.nets.items()}
        return self

    def changed(self) -> dict[str, bool]:
        return {k: changed(self.before[k], ob.snapshot(net)) != [] for k, net in self.nets.items()}

    def __exit__(self, *exc) -> None:
        for obj, state in self.saved.values():
            obj.load_state_dict(state)
        for k, net in self.nets.items():
            for q, grad in zip(net.parameters(), self.grads[k], strict=False):
                q.grad = grad


def judge_update_generator(obs: dict, p: dict) -> Verdict:
    gen_changed = changed(obs["before"]["gen"], obs["after"]["gen"])
    disc_changed = changed(obs["before"]["disc"], obs["after"]["disc"])
    stepped_globals = [k for k, v in (obs.get("globals_changed") or {}).items() if v is True]
    if disc_changed:
        return Verdict(False, "Your generator update changed the discriminator's weights: step "
                       "only the optimizer you are given (gen_opt).")
    if gen_changed and stepped_globals:
        return Verdict(False, "Your generator update also changed the weights of the notebook's "
                       "global " + " and ".join(stepped_globals) + " (their optimizers hold "
                       "gradients during training): did you call disc_opt.step() (or "
                       "zero_grad/step a global optimizer) inside update_generator? Step only "
                       "the gen_opt you are given.")
    if not gen_changed:
        hint = ""
        if stepped_globals:
            hint = (" It changed the notebook's global " + " and ".join(stepped_globals) +
                    " instead: use the arguments gen, disc and gen_opt, not the global "
                    "variables (did you call disc_opt.step()?).")
        return Verdict(False, "Your generator update did not change the generator's weights: "
                       "call gen_opt.zero_grad(), compute the loss, call .backward() on it and "
                       "then gen_opt.step() (not disc_opt.step())." + hint)
    problem = _returned_problem(obs, "update_generator", "the training loop calls "
                                "gen_loss.item() on it")
    if problem:
        return Verdict(False, problem)
    expected = loss_candidates(p)["gen_right"]
    if not close(number(obs, "loss"), expected):
        return Verdict(False, f"update_generator returned {fmt(number(obs, 'loss'))}, expected "
                       f"the generator loss {fmt(expected)}: return get_gen_loss's value.")
    if number(obs, "step_norm") > 1e3:
        return Verdict(False, "The generator's step used a stale gradient from before the "
                       "update: call gen_opt.zero_grad() before gen_loss.backward().")
    return Verdict(True)


# --- devices: the same calls with everything on `meta` -------------------------------------

DEVICE_HINTS = {
    "get_noise": "Pass the device on: torch.randn(n_samples, z_dim, device=device).",
    "get_disc_loss": "Make every new tensor on the inputs' device: torch.zeros_like(pred) / "
                     "torch.ones_like(pred), or torch.ones(..., device=device), and noise with "
                     "get_noise(num_images, z_dim, device).",
    "get_gen_loss": "Make every new tensor on the inputs' device: torch.ones_like(pred), or "
                    "torch.ones(..., device=device), and noise with get_noise(num_images, z_dim, "
                    "device).",
    "update_generator": "Pass `device` on to get_gen_loss, and make no new tensor without it.",
}


def observe_device(ns: dict, p: dict) -> dict:
    fn = ob.need(ns, p["function"])
    gen, disc, real = _stubs(p)
    device.to_meta(gen, disc)
    real = real.to(device.META)
    n, z = p["n"], p["z_dim"]
    if p["function"] == "get_noise":
        report = device.observe_on_meta(fn, n, z, device=device.META)
    elif p["function"] == "get_disc_loss":
        report = device.observe_on_meta(fn, gen, disc, nn.BCEWithLogitsLoss(), real, n, z,
                                        device.META)
    elif p["function"] == "get_gen_loss":
        report = device.observe_on_meta(fn, gen, disc, nn.BCEWithLogitsLoss(), n, z, device.META)
    else:
        opt = torch.optim.SGD(gen.parameters(), lr=0.1)
        report = device.observe_on_meta(fn, gen, disc, opt, nn.BCEWithLogitsLoss(), n, z,
                                        device.META)
    report.pop("result", None)
    report["noise_devices"] = gen.noise_devices
    return report


def judge_device(obs: dict, p: dict) -> Verdict:
    fn = p["function"]
    return device.judge_meta_run(obs, fn, DEVICE_HINTS[fn], "device='meta' (the grader's "
                                 "stand-in for a GPU) was passed: ", DEVICE_HINTS["get_noise"],
                                 returns="tensor")


# --- a few real training steps -----------------------------------------------------------

def observe_training(ns: dict, p: dict) -> dict:
    Generator, Discriminator = ob.need(ns, "Generator"), ob.need(ns, "Discriminator")
    update_discriminator = ob.need(ns, "update_discriminator")
    update_generator = ob.need(ns, "update_generator")
    ob.seed_all(p["seed"])
    z_dim, n = p["z_dim"], p["n"]
    gen, disc = Generator(z_dim, 784, p["hidden"]), Discriminator(784, p["hidden"])
    gen_opt = torch.optim.Adam(gen.parameters(), lr=1e-3)
    disc_opt = torch.optim.Adam(disc.parameters(), lr=1e-3)
    criterion = nn.BCEWithLogitsLoss()

    def record(d_loss, g_loss, disc_step: dict, gen_step: dict) -> dict:
        return {"d_loss": ob.scalar(d_loss, "the discriminator loss"),
                "g_loss": ob.scalar(g_loss, "update_generator's result"),
                "disc_step": disc_step, "gen_step": gen_step}

    return {"steps": alternating.alternate(
        gen, disc, p["steps"],
        lambda i: update_discriminator(gen, disc, disc_opt, criterion,
                                       real_images(n, 784, p["seed"] + i), n, z_dim, "cpu"),
        lambda i: update_generator(gen, disc, gen_opt, criterion, n, z_dim, "cpu"), record)}


TRAINING_RULES = [
    alternating.finite("d_loss", "Training step {i}: the d loss is {value}."),
    alternating.finite("g_loss", "Training step {i}: the g loss is {value}."),
    alternating.weights("disc_step", "gen", False, "Training step {i}: the discriminator's update "
                        "changed the generator's weights."),
    alternating.weights("gen_step", "gen", True, "Training step {i}: the generator's weights did "
                        "not change during its update (the notebook's runtime test would fail too)."),
    alternating.weights("gen_step", "disc", False, "Training step {i}: the generator's update "
                        "changed the discriminator's weights."),
]


def judge_training(obs: dict, p: dict) -> Verdict:
    return alternating.judge_steps(obs.get("steps"), p["steps"], TRAINING_RULES,
                                   lambda problem: Verdict(False, problem)) or Verdict(True)


# --- the list --------------------------------------------------------------------------

def _block_checks(function: str, visible: dict, hidden: dict) -> list[Check]:
    title = f"{function} builds the right layers"
    return [
        Check(f"{function}_layers", function, title, 1.0, observe_block, judge_block,
              {"function": function, "seed": 1, **visible}),
        Check(f"{function}_layers_hidden", function, title + " (other sizes)", 1.0,
              observe_block, judge_block, {"function": function, "seed": 2, **hidden}, HIDDEN),
    ]


def _loss_params(seed: int, n: int, z_dim: int) -> dict:
    return {"seed": seed, "n": n, "z_dim": z_dim, "im_dim": 784}


def _device_check(function: str, seed: int) -> Check:
    return Check(f"{function}_device", function,
                 f"{function}: works on the device it is given (checked on `meta`)", 1.0,
                 using(observe_device, STAND_INS, *_DEVICE_STAND_INS[function]), judge_device,
                 {"function": function, **_loss_params(seed, 6, 5)})


_DEVICE_STAND_INS = {"get_noise": (), "get_disc_loss": ("get_noise",),
                     "get_gen_loss": ("get_noise",), "update_generator": ("get_gen_loss", "get_noise")}


_disc_loss = using(observe_disc_loss, STAND_INS, "get_noise")
_gen_loss = using(observe_gen_loss, STAND_INS, "get_noise")
_update_generator = using(observe_update_generator, STAND_INS, "get_gen_loss", "get_noise")

CHECKS: list[Check] = [
    *_block_checks("get_generator_block", {"in": 25, "out": 12}, {"in": 9, "out": 31}),
    Check("Generator_structure", "Generator", "Generator: layers, output shape and range", 1.0,
          using(observe_network, STAND_INS, "get_generator_block"), judge_network,
          {"class": "Generator", "seed": 3, "n": 6, "input_dim": 10, "input_scale": 1.0,
           "kwargs": {"z_dim": 10, "im_dim": 784, "hidden_dim": 16}}),
    Check("Generator_structure_hidden", "Generator", "Generator with other sizes", 1.0,
          using(observe_network, STAND_INS, "get_generator_block"), judge_network,
          {"class": "Generator", "seed": 4, "n": 5, "input_dim": 64, "input_scale": 3.0,
           "kwargs": {"z_dim": 64, "im_dim": 100, "hidden_dim": 8}}, HIDDEN),
    Check("get_noise", "get_noise", "get_noise: shape, dtype, device, standard normal", 1.0,
          observe_noise, judge_noise, {"seed": 5, "n": 1000, "z_dim": 4, "device": "cpu"}),
    Check("get_noise_hidden", "get_noise", "get_noise with other sizes", 1.0,
          observe_noise, judge_noise, {"seed": 6, "n": 301, "z_dim": 13, "device": "cpu"}, HIDDEN),
    _device_check("get_noise", 18),
    *_block_checks("get_discriminator_block", {"in": 20, "out": 7}, {"in": 33, "out": 5}),
    Check("Discriminator_structure", "Discriminator", "Discriminator: layers, logits (n, 1)",
          1.0, using(observe_network, STAND_INS, "get_discriminator_block"), judge_network,
          {"class": "Discriminator", "seed": 7, "n": 6, "input_dim": 784, "input_scale": 1.0,
           "kwargs": {"im_dim": 784, "hidden_dim": 16}}),
    Check("Discriminator_structure_hidden", "Discriminator", "Discriminator with other sizes",
          1.0, using(observe_network, STAND_INS, "get_discriminator_block"), judge_network,
          {"class": "Discriminator", "seed": 8, "n": 3, "input_dim": 50, "input_scale": 5.0,
           "kwargs": {"im_dim": 50, "hidden_dim": 4}}, HIDDEN),
    Check("get_disc_loss_value", "get_disc_loss", "get_disc_loss: value on known inputs", 1.0,
          _disc_loss, judge_disc_loss_value, _loss_params(9, 10, 5)),
    Check("get_disc_loss_detach", "get_disc_loss",
          "get_disc_loss: gradients reach the discriminator only (detach)", 2.0,
          _disc_loss, judge_disc_loss_detach, _loss_params(10, 10, 5)),
    Check("get_disc_loss_value_hidden", "get_disc_loss", "get_disc_loss on other inputs", 1.0,
          _disc_loss, judge_disc_loss_value, _loss_params(11, 17, 3), HIDDEN),
    _device_check("get_disc_loss", 19),
    Check("get_gen_loss_value", "get_gen_loss", "get_gen_loss: value on known inputs", 1.0,
          _gen_loss, judge_gen_loss_value, _loss_params(12, 10, 5)),
    Check("get_gen_loss_gradient", "get_gen_loss",
          "get_gen_loss: gradients reach the generator", 2.0,
          _gen_loss, judge_gen_loss_gradient, _loss_params(13, 10, 5)),
    Check("get_gen_loss_fresh_noise", "get_gen_loss",
          "get_gen_loss: fresh noise on every call", 1.0,
          using(observe_gen_loss_noise, STAND_INS, "get_noise"), judge_gen_loss_noise,
          _loss_params(18, 6, 5)),
    Check("get_gen_loss_value_hidden", "get_gen_loss", "get_gen_loss on other inputs", 1.0,
          _gen_loss, judge_gen_loss_value, _loss_params(14, 23, 7), HIDDEN),
    _device_check("get_gen_loss", 20),
    Check("update_generator_isolation", "update_generator",
          "update_generator: changes the generator's weights and no discriminator weight", 2.0,
          _update_generator, judge_update_generator, _loss_params(15, 10, 5)),
    Check("training_steps", "update_generator",
          "three training steps: each network changes only in its own update", 1.0,
          observe_training, judge_training,
          {"seed": 16, "n": 16, "z_dim": 8, "hidden": 8, "steps": 3},
          uses=("get_generator_block", "Generator", "get_noise", "get_discriminator_block",
                "Discriminator", "get_disc_loss", "get_gen_loss")),
    Check("update_generator_isolation_hidden", "update_generator",
          "update_generator on other inputs", 1.0,
          _update_generator, judge_update_generator, _loss_params(17, 7, 9), HIDDEN),
    _device_check("update_generator", 21),
]

# Credit only for code that works (checks.gate): secondary check -> the main check of its function.
GATED = {
    "get_generator_block_layers_hidden": "get_generator_block_layers",
    "Generator_structure_hidden": "Generator_structure",
    "get_noise_hidden": "get_noise", "get_noise_device": "get_noise",
    "get_discriminator_block_layers_hidden": "get_discriminator_block_layers",
    "Discriminator_structure_hidden": "Discriminator_structure",
    "get_disc_loss_value_hidden": "get_disc_loss_value", "get_disc_loss_device": "get_disc_loss_value",
    "get_gen_loss_fresh_noise": "get_gen_loss_value", "get_gen_loss_value_hidden": "get_gen_loss_value",
    "get_gen_loss_device": "get_gen_loss_value",
    "update_generator_isolation_hidden": "update_generator_isolation",
    "update_generator_device": "update_generator_isolation",
}
