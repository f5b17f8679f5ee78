"""Checks for ``dropout_gan`` (seed 003, "GAN" with dropout).

Students write ``MNISTDiscriminator``, ``MNISTGenerator``, ``discriminator_step`` and
``generator_step``. Every ``observe_*`` function (:mod:`autograder.assignments.dropout_gan.observe`)
runs in the child beside the student's notebook and reports plain data; every ``judge_*``
function (here) runs in the grader and decides, recomputing the expected values itself.

The networks are checked on their own: the layers the seed fixes (sizes, ``LeakyReLU()`` with
its default slope, ``Dropout(p=0.2)``, ``Tanh`` at the generator's end, no sigmoid at the
discriminator's end), output shapes and ranges, the input shapes the discriminator must take,
and dropout on in ``train()`` mode, off in ``eval()`` mode. The two steps are checked on known
stand-ins (:class:`RecordingGenerator`, a fixed image in (-1, 1) whatever the noise, and
:class:`~autograder.probes.networks.LinearDiscriminator`, logits a few units from 0 with both
signs), so the expected loss is exact and swapped labels show; then a few alternating steps
run with the student's own networks. Hidden checks ask the same questions with other sizes and
seeds. Where CUDA works, the steps also run on the GPU (tensors on the right device); elsewhere
that part is skipped, so the maximum score does not depend on the machine.
"""

from __future__ import annotations

import math

import torch

from autograder.assignments.dropout_gan.observe import (
    BATCH_SIZE,
    IMAGE,
    LATENT_DIM,
    PIXELS,
    RecordingGenerator,
    observe_device,
    observe_network,
    observe_repeated_step,
    observe_step,
    observe_training,
    real_batch,
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
    layer_label,
    layer_names,
    layers,
    number,
    shape,
    with_gradient,
)
from autograder.checks import raised
from autograder.probes import alternating
from autograder.probes import device as meta
from autograder.probes.isolation import judge_score_gradients, judge_own_step
from autograder.probes.loss import bce, explain, number_problem
from autograder.probes.networks import LinearDiscriminator
from autograder.probes.noise import freshness

NOTEBOOK = "dropout_gan.ipynb"

SLOPE = 0.01             # nn.LeakyReLU()'s default negative slope, as in the seed
DROPOUT = 0.2
RESHAPES = ("Flatten", "Unflatten")   # layers that only reshape: allowed anywhere


# --- reading the observations ------------------------------------------------------------

def _get(obs, key: str, kind: type = dict):
    value = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(value, kind):
        raise ObservationError(f"{key!r} missing")
    return value


def _error_text(error) -> str:
    if not isinstance(error, dict):
        raise ObservationError("error report malformed")
    return raised(error)


# --- the networks ------------------------------------------------------------------------

def hidden_block(a: int, b: int) -> list[dict]:
    return [{"type": "Linear", "in": a, "out": b}, {"type": "LeakyReLU", "slope": SLOPE},
            {"type": "Dropout", "p": DROPOUT}]


def expected_layers(p: dict) -> list[dict]:
    if p["class"] == "MNISTDiscriminator":
        dims = [PIXELS, 1024, 512, 256]
        tail = [{"type": "Linear", "in": 256, "out": 1}]
    else:
        dims = [p["latent_dim"], 256, 512, 1024]
        tail = [{"type": "Linear", "in": 1024, "out": PIXELS}, {"type": "Tanh"}]
    out: list[dict] = []
    for a, b in zip(dims, dims[1:], strict=False):
        out += hidden_block(a, b)
    return out + tail


def _call(p: dict) -> str:
    return "MNISTDiscriminator()" if p["class"] == "MNISTDiscriminator" else \
        f"MNISTGenerator(latent_dim={p['latent_dim']})"


def judge_layers(obs: dict, p: dict) -> Verdict:
    got = [d for d in layers(obs) if d.get("type") not in RESHAPES]
    want = expected_layers(p)
    kinds = [d.get("type") for d in got]
    call, disc = _call(p), p["class"] == "MNISTDiscriminator"
    intro = f"{call} builds {layer_names(got)}"
    if disc and "Sigmoid" in kinds:
        return Verdict(False, f"{intro}. Remove the nn.Sigmoid(): the discriminator returns "
                       "logits (any real number), and the loss nn.BCEWithLogitsLoss applies the "
                       "sigmoid itself; a second sigmoid squashes the scores and weakens the "
                       "gradients.")
    if not disc and (not kinds or kinds[-1] != "Tanh"):
        last = kinds[-1] if kinds else None
        hint = {"Sigmoid": "nn.Sigmoid gives values in (0, 1), but the real images lie in "
                           "[-1, 1]: replace it with nn.Tanh().",
                "Linear": "add nn.Tanh() after the last nn.Linear(1024, 784), so that every "
                          "pixel lies in [-1, 1] like the real images."}.get(
            last, "end with nn.Linear(1024, 784) then nn.Tanh().")
        return Verdict(False, f"{intro}: it ends with {last}, expected nn.Tanh(); {hint}")
    if "ReLU" in kinds:
        return Verdict(False, f"{intro}. Use nn.LeakyReLU() (default slope) after each hidden "
                       "nn.Linear, not nn.ReLU: a ReLU passes no gradient for negative inputs, "
                       "and the generator learns only through the gradient that comes back "
                       "through both networks.")
    dropouts = kinds.count("Dropout")
    if dropouts != 3:
        return Verdict(False, f"{intro}: it has {dropouts} nn.Dropout layer(s), expected 3: each "
                       "hidden layer is nn.Linear, nn.LeakyReLU(), nn.Dropout(p=0.2).")
    if kinds != [d["type"] for d in want]:
        return Verdict(False, f"{intro}, expected {layer_names(want)}: each hidden layer is "
                       "nn.Linear, nn.LeakyReLU(), nn.Dropout(p=0.2), in that order.")
    for i, (g, w) in enumerate(zip(got, want, strict=True), 1):
        if g["type"] == "LeakyReLU" and not close(number(g, "slope"), SLOPE):
            return Verdict(False, f"{call}: a LeakyReLU has negative slope {fmt(g.get('slope'))}; "
                           "this assignment uses nn.LeakyReLU() with its default slope 0.01, as "
                           "the seed does. Write nn.LeakyReLU() without an argument.")
        if g["type"] == "Dropout" and not close(number(g, "p"), DROPOUT):
            return Verdict(False, f"{call}: a Dropout layer has p = {fmt(g.get('p'))}, expected "
                           "nn.Dropout(p=0.2): each hidden unit is dropped with probability 0.2.")
        if g["type"] == "Linear" and g != w:
            hint = ""
            if not disc and i == 1 and g.get("in") == LATENT_DIM != p["latent_dim"]:
                hint = " Use the argument latent_dim, not the number 100."
            return Verdict(False, f"{call}: layer {i} is {layer_label(g)}, expected "
                           f"{layer_label(w)}; the sizes are {_sizes(p)}.{hint}")
    return Verdict(True)


def _sizes(p: dict) -> str:
    if p["class"] == "MNISTDiscriminator":
        return "784 -> 1024 -> 512 -> 256 -> 1"
    return f"latent_dim ({p['latent_dim']}) -> 256 -> 512 -> 1024 -> 784"


FLATTEN_HINT = ("forward must first flatten each image: x = x.reshape(x.shape[0], -1) turns "
                "(B, 1, 28, 28), (B, 28, 28) and (B, 784) alike into (B, 784).")


def judge_discriminator_forward(obs: dict, p: dict) -> Verdict:
    n = p["n"]
    shapes = {"4d": f"({n}, 1, 28, 28)", "3d": f"({n}, 28, 28)", "2d": f"({n}, 784)"}
    for form in ("4d", "3d", "2d"):
        result = _get(obs, form)
        if "error" in result:
            return Verdict(False, f"MNISTDiscriminator could not score a batch of shape "
                           f"{shapes[form]}: {result['error']}. The discriminator is given "
                           f"real images (B, 1, 28, 28) and the generator's output; {FLATTEN_HINT}")
        out = _get(result, "output")
        if shape(out) != (n, 1):
            hint = (" Do not squeeze the logits: keep one column, (B, 1)." if shape(out) == (n,)
                    else f" {FLATTEN_HINT}")
            return Verdict(False, f"For a batch of shape {shapes[form]} MNISTDiscriminator "
                           f"returned shape {list(shape(out))}, expected [{n}, 1]: one logit "
                           f"per image.{hint}")
        if out.get("dtype") != "float32" or out.get("finite") is not True:
            return Verdict(False, f"For a batch of shape {shapes[form]} the logits have dtype "
                           f"{out.get('dtype')} and finite={out.get('finite')}; expected finite "
                           "float32 numbers.")
    same = _get(obs, "same_logits")
    if not all(same.get(f) is True for f in ("3d", "2d")):
        return Verdict(False, "In eval() mode the same images gave different logits as "
                       f"({n}, 1, 28, 28), ({n}, 28, 28) and ({n}, 784) batches: flatten each "
                       "image the same way, x.reshape(x.shape[0], -1).")
    large = _get(obs, "large")
    if "output" in large:
        out = _get(large, "output")
        if 0.0 <= number(out, "min") and number(out, "max") <= 1.0:
            return Verdict(False, "Even for very large inputs your discriminator's outputs stay "
                           "in [0, 1]: it returns probabilities. Return the logits of the last "
                           "nn.Linear(256, 1), with no sigmoid (torch.sigmoid or nn.Sigmoid): "
                           "nn.BCEWithLogitsLoss applies it inside the loss.")
    return Verdict(True)


def judge_generator_output(obs: dict, p: dict) -> Verdict:
    n, z = p["n"], p["latent_dim"]
    result = _get(obs, "2d")
    if "error" in result:
        return Verdict(False, f"MNISTGenerator(latent_dim={z}) could not turn noise of shape "
                       f"({n}, {z}) into images: {result['error']}. Its first layer must be "
                       "nn.Linear(latent_dim, 256), with the argument latent_dim.")
    out = _get(result, "output")
    got = shape(out)
    if got != (n, *IMAGE):
        hint = {(n, PIXELS): " Reshape the (B, 784) output of the last layer: "
                             "generated.reshape(batch_size, 1, 28, 28).",
                (n, 28, 28): " Keep the channel dimension: reshape to (B, 1, 28, 28), the shape "
                             "of the real images from the data loader."}.get(
            got, " Reshape the output to (B, 1, 28, 28).")
        return Verdict(False, f"MNISTGenerator(latent_dim={z}) turned noise ({n}, {z}) into shape "
                       f"{list(got)}, expected [{n}, 1, 28, 28]: one (1, 28, 28) image per noise "
                       f"vector, like the real images.{hint}")
    if out.get("dtype") != "float32":
        return Verdict(False, f"The generated images have dtype {out.get('dtype')}, expected "
                       "float32.")
    for key in ("2d", "large"):
        res = _get(obs, key)
        if "error" in res:
            return Verdict(False, f"MNISTGenerator failed on noise scaled by {p['scale']}: "
                           f"{res['error']}.")
        o = _get(res, "output")
        lo, hi = number(o, "min"), number(o, "max")
        if not (-1.0 <= lo and hi <= 1.0):
            return Verdict(False, f"The generated pixels range over [{fmt(lo)}, {fmt(hi)}]; "
                           "they must lie in [-1, 1], the range of the real images: end the "
                           "network with nn.Tanh().")
        if key == "large" and not (lo < 0.0 < hi):
            return Verdict(False, f"For large noise the generated pixels range over "
                           f"[{fmt(lo)}, {fmt(hi)}]; with nn.Tanh() at the end they reach "
                           "both signs, down to -1 and up to 1. A sigmoid only gives (0, 1).")
    return Verdict(True)


def judge_dropout(obs: dict, p: dict) -> Verdict:
    d = _get(obs, "dropout")
    name = p["class"]
    if d.get("train_differ") is None or d.get("eval_equal") is None:
        return Verdict(False, f"{name} could not run on a batch, so its dropout could not be "
                       "checked: fix the shape checks of this network first.")
    if d["train_differ"] is not True:
        return Verdict(False, f"In train() mode two passes of the same input through {name} "
                       "gave the same output: no dropout is active. Put an nn.Dropout(p=0.2) "
                       "after each hidden LeakyReLU.")
    if d["eval_equal"] is not True:
        return Verdict(False, f"In eval() mode two passes of the same input through {name} gave "
                       "different outputs: dropout must switch off in eval(). Use nn.Dropout "
                       "modules in the nn.Sequential, not F.dropout(x, 0.2) (without "
                       "training=self.training) or a random mask in forward: they ignore the "
                       "network's mode.")
    return Verdict(True)

judge_discriminator_hidden = all_of("judge_discriminator_hidden",
                                    judge_layers, judge_discriminator_forward, judge_dropout)

judge_generator_hidden = all_of("judge_generator_hidden", judge_layers, judge_generator_output, judge_dropout)


# --- the two steps on known stand-ins -----------------------------------------------------


def _logits(p: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """The stand-in discriminator's logits on the real batch and on the fakes, (n, 1) each."""
    n, seed = p["n"], p["seed"]
    gen, disc = RecordingGenerator(seed), LinearDiscriminator(PIXELS, seed)
    with torch.no_grad():
        real = disc(real_batch(n, seed)).double()
        fake = disc(gen(torch.zeros(n, p["latent_dim"]))).double()
    return real, fake


def discriminator_candidates(p: dict) -> dict[str, float]:
    """The right discriminator loss and the values typical mistakes give, computed here."""
    real, fake = _logits(p)
    s = torch.sigmoid
    return {
        "right": (bce(real, 1.0) + bce(fake, 0.0)) / 2,
        "swapped": (bce(real, 0.0) + bce(fake, 1.0)) / 2,
        "summed": bce(real, 1.0) + bce(fake, 0.0),
        "batch_summed": (bce(real, 1.0, "sum") + bce(fake, 0.0, "sum")) / 2,
        "sigmoid_twice": (bce(s(real), 1.0) + bce(s(fake), 0.0)) / 2,
        "all_real": (bce(real, 1.0) + bce(fake, 1.0)) / 2,
        "all_fake": (bce(real, 0.0) + bce(fake, 0.0)) / 2,
        "real_only": bce(real, 1.0),
        "fake_only": bce(fake, 0.0),
    }


DISCRIMINATOR_HINTS = {
    "swapped": "it equals the loss with real and fake labels swapped: the real images' "
               "predictions are compared with REAL_LABEL (ones), the fakes' with FAKE_LABEL "
               "(zeros).",
    "summed": "it equals real_loss + fake_loss: average them, disc_loss = (real_loss + "
              "fake_loss) / 2.",
    "batch_summed": "it equals the loss SUMMED over the batch: use the mean, as loss_func "
                    "(nn.BCEWithLogitsLoss()) does by default.",
    "sigmoid_twice": "it looks like a sigmoid was applied before the loss: loss_func "
                     "(nn.BCEWithLogitsLoss) takes the raw logits and applies the sigmoid "
                     "itself. Pass the discriminator's output directly.",
    "all_real": "it equals the loss with every image, fake ones included, labelled real: the "
                "fakes' targets are FAKE_LABEL (zeros).",
    "all_fake": "it equals the loss with every image labelled fake: the real images' targets "
                "are REAL_LABEL (ones).",
    "real_only": "it equals real_loss alone: add fake_loss and average, (real_loss + "
                 "fake_loss) / 2.",
    "fake_only": "it equals fake_loss alone: add real_loss and average, (real_loss + "
                 "fake_loss) / 2.",
}


def generator_candidates(p: dict) -> dict[str, float]:
    """The right generator loss BCE(D(G(z)), 1) and the values typical mistakes give."""
    _, fake = _logits(p)
    return {
        "right": bce(fake, 1.0),
        "fake_target": bce(fake, 0.0),
        "saturating": -bce(fake, 0.0),
        "sigmoid_twice": bce(torch.sigmoid(fake), 1.0),
        "batch_summed": bce(fake, 1.0, "sum"),
    }


GENERATOR_HINTS = {
    "fake_target": "it equals the loss against the FAKE label (zeros): the generator wants the "
                   "discriminator to call its images real, so its targets are REAL_LABEL "
                   "(ones), torch.full_like(gen_discriminator_pred, REAL_LABEL).",
    "saturating": "it equals -BCE(D(G(z)), 0) = log(1 - D(G(z))), the saturating loss: use "
                  "BCE(D(G(z)), 1) = -log D(G(z)), loss_func(prediction, ones).",
    "sigmoid_twice": "it looks like a sigmoid was applied before the loss: loss_func "
                     "(nn.BCEWithLogitsLoss) takes the raw logits. Pass the discriminator's "
                     "output directly.",
    "batch_summed": "it equals the loss SUMMED over the batch: use the mean, as loss_func does "
                    "by default.",
}

GLOBALS = ("generator", "discriminator", "gen_optimizer", "disc_optimizer", "images",
           "batch_size", "device")


def _error_verdict(obs: dict, p: dict) -> Verdict | None:
    error = obs.get("error")
    if error is None:
        return None
    fn = p["function"]
    text, message = _error_text(error), str(error.get("message"))
    hint = ""
    if error.get("type") == "NameError":
        missing = message.split("'")[1] if message.count("'") >= 2 else ""
        args = ("generator, discriminator, images, disc_optimizer, loss_func, latent_dim"
                if fn == "discriminator_step" else
                "generator, discriminator, batch_size, gen_optimizer, loss_func, latent_dim, "
                "device")
        if missing in GLOBALS or missing.endswith(("optimizer", "_opt")):
            hint = (f" `{missing}` is not one of {fn}'s arguments ({args}): use those, not "
                    "variables of the training cell (it does not run while grading).")
            if "disc" in missing and fn == "generator_step":
                hint += (" The generator's step must not touch the discriminator's optimizer: "
                         "step gen_optimizer only.")
    elif "between 0 and 1" in message:
        hint = (" nn.BCELoss needs probabilities, but the discriminator returns logits: use the "
                "loss_func you are given (nn.BCEWithLogitsLoss()).")
    elif "device" in message:
        hint = " Create every tensor on the networks' device."
    return Verdict(False, f"{fn} on a known generator, discriminator and batch raised {text}."
                   f"{hint}")


def _noise_verdict(obs: dict, p: dict) -> Verdict | None:
    fn, n, z = p["function"], p["n"], p["latent_dim"]
    noise = _get(obs, "noise", list)
    if not noise:
        return Verdict(False, f"{fn} never called the generator: make the fake images with "
                       f"generator(noise), noise = torch.randn({n}, latent_dim, ...).")
    info = noise[0]
    got = shape(info)
    if got != (n, z):
        hint = ""
        if len(got) == 2 and got[1] == LATENT_DIM != z:
            hint += " Use the argument latent_dim, not the notebook's latent_dim = 100."
        if len(got) >= 1 and got[0] == BATCH_SIZE != n:
            hint += (" Use the batch's own size (images.shape[0], or the argument batch_size), "
                     "not the notebook's batch_size = 128: the last batch is smaller.")
        source = "images.shape[0]" if fn == "discriminator_step" else "batch_size"
        return Verdict(False, f"{fn} gave the generator noise of shape {list(got)}, expected "
                       f"[{n}, {z}] = ({source}, latent_dim).{hint}")
    if number(info, "min") >= 0.0:
        return Verdict(False, f"All the noise {fn} drew is >= 0: this looks like torch.rand "
                       "(uniform in [0, 1)). Draw it from the standard normal: torch.randn.")
    if info.get("device") != "cpu":
        return Verdict(False, f"With everything on the CPU, {fn} made its noise on "
                       f"{info.get('device')}: create it on the networks' device.")
    return None


def _judge_loss(obs: dict, p: dict, candidates: dict[str, float],
                hints: dict[str, str]) -> Verdict:
    fn = p["function"]
    verdict = _error_verdict(obs, p) or _noise_verdict(obs, p)
    if verdict:
        return verdict
    got = number(obs, "loss")
    if not close(got, candidates["right"]):
        what = ("(real_loss + fake_loss) / 2" if fn == "discriminator_step" else
                "loss_func(discriminator(generated_images), ones)")
        msg = (f"{fn} on a known generator, discriminator and batch returned the loss "
               f"{fmt(got)}, expected {what} = {fmt(candidates['right'])}")
        hint = explain(got, candidates, hints)
        if hint:
            return Verdict(False, f"{msg}: {hint}")
        advice = ("Return the loss computed before the update (disc_loss.detach()), with "
                  "loss_func on the discriminator's logits: REAL_LABEL for the real images, "
                  "FAKE_LABEL for the fakes." if fn == "discriminator_step" else
                  "Return the loss computed before the update: loss_func on the "
                  "discriminator's logits for the fakes against REAL_LABEL.")
        return Verdict(False, f"{msg}. {advice}")
    problem = number_problem(obs.get("returned"), fn)   # a Python float or a 0-d tensor
    if problem:
        return Verdict(False, problem)
    return _cuda_verdict(obs.get("cuda"), p)


def _cuda_verdict(cuda, p: dict) -> Verdict:
    if cuda is None:
        return Verdict(True)
    if not isinstance(cuda, dict):
        raise ObservationError("cuda report malformed")
    fn = p["function"]
    where = ("on images.device: torch.randn(..., device=images.device)"
             if fn == "discriminator_step" else
             "on the device you are given: torch.randn(..., device=device)")
    if "error" in cuda:
        return Verdict(False, f"With the networks and data on a GPU, {fn} failed: "
                       f"{cuda['error']}. Create every tensor {where}, and the targets with "
                       "torch.full_like / torch.ones_like / torch.zeros_like.")
    noise = cuda.get("noise")
    if not isinstance(noise, list) or any(d != "cuda" for d in noise):
        return Verdict(False, f"With the networks and data on a GPU, {fn} made its noise on the "
                       f"CPU: create it {where}.")
    if not math.isfinite(number(cuda, "loss")):
        return Verdict(False, f"With the networks and data on a GPU, {fn}'s loss was "
                       f"{cuda.get('loss')}.")
    return Verdict(True)


def judge_discriminator_loss(obs: dict, p: dict) -> Verdict:
    return _judge_loss(obs, p, discriminator_candidates(p), DISCRIMINATOR_HINTS)


def judge_generator_loss(obs: dict, p: dict) -> Verdict:
    return _judge_loss(obs, p, generator_candidates(p), GENERATOR_HINTS)


def judge_detach(obs: dict, p: dict) -> Verdict:
    verdict = _error_verdict(obs, p)
    if verdict:
        return verdict
    if changed(obs["before"]["gen"], obs["after"]["gen"]):
        return Verdict(False, "discriminator_step changed the generator's weights: only the "
                       "discriminator learns in its step (step disc_optimizer only).")
    if with_gradient(obs.get("gen_grads")):
        return Verdict(False, "discriminator_step's backward() wrote gradients into the "
                       "generator: did you forget .detach()? Make the fakes with "
                       "generated_images = generator(noise).detach(), so that disc_loss."
                       "backward() stops at the images and only the discriminator gets "
                       "gradients.")
    return judge_score_gradients(obs, "discriminator loss")


UPDATE_WORDS = {
    "other_changed": "{fn} changed the {other}'s weights: step only {opt}, the optimizer you are "
                     "given, which holds the {mine}'s parameters.",
    "unchanged": "{fn} did not change the {mine}'s weights: call {opt}.zero_grad(), compute the "
                 "loss, call .backward() on it and then {opt}.step(), with the {opt} passed to "
                 "the function.{hint}",
    "stale": "The {mine}'s update used a stale gradient left from before {fn} was called: call "
             "{opt}.zero_grad() before .backward().",
}


def judge_updates(obs: dict, p: dict) -> Verdict:
    """The step changes its own network's weights (with a fresh gradient) and never the other's."""
    verdict = _error_verdict(obs, p)
    if verdict:
        return verdict
    fn = p["function"]
    mine = "disc" if fn == "discriminator_step" else "gen"
    opt = "disc_optimizer" if fn == "discriminator_step" else "gen_optimizer"

    def hint() -> str:
        stepped = [k for k, v in (obs.get("globals_changed") or {}).items() if v is True]
        if stepped:
            return (" It changed the notebook's global " + " and ".join(stepped) + " instead: "
                    "use the arguments, not the variables of the training cell.")
        if fn == "generator_step" and not with_gradient(obs.get("gen_grads")):
            return (" No gradient reached the generator: do not .detach() the generated images "
                    "(or use torch.no_grad()) in generator_step; the generator learns through "
                    "the discriminator's prediction on its images.")
        return ""

    return judge_own_step(obs, mine, UPDATE_WORDS, hint, fn=fn, opt=opt)


def judge_repeated_step(obs: dict, p: dict) -> Verdict:
    verdict = _error_verdict(obs, p)
    if verdict:
        return verdict
    fn = p["function"]
    calls = _get(obs, "calls", list)
    if len(calls) != 2 or not all(isinstance(c, dict) for c in calls):
        raise ObservationError("calls missing")
    learner = "discriminator" if fn == "discriminator_step" else "generator"
    modes = _get(calls[0], "disc_modes" if learner == "discriminator" else "gen_modes", list)
    if any(m is False for m in modes):
        return Verdict(False, f"{fn} ran the {learner} in eval() mode while it learns, so its "
                       "dropout was off: leave the networks in the mode the training loop set "
                       f"(train()); do not call {learner}.eval() in {fn}.")
    for i, call in enumerate(calls, 1):
        after = _get(call, "after")
        left = [name for name in ("generator", "discriminator") if after.get(name) is not True]
        if left:
            names = " and the ".join(left)
            return Verdict(False, f"After {fn} (call {i}) the {names} stayed in eval() mode, "
                           "although the training loop had put both networks in train() mode: "
                           f"the next steps would then train with dropout off. If {fn} switches "
                           "a network to eval() for a moment, put it back with .train() before "
                           "returning (or leave the modes alone).")
    fresh = freshness(*(_get(c, "noise", list) for c in calls))
    if fresh == "missing":
        return Verdict(False, f"{fn} did not call the generator on every call: make fresh fakes "
                       "from new noise each time.")
    if fresh == "same":
        return Verdict(False, f"Two calls of {fn} gave the generator the SAME noise: draw fresh "
                       "noise with torch.randn inside the step on every call; do not make it "
                       "once and reuse (cache) it, and do not seed inside the step.")
    return Verdict(True)

judge_discriminator_step_hidden = all_of("judge_discriminator_step_hidden",
                                         judge_discriminator_loss, judge_detach, judge_updates)

judge_generator_step_hidden = all_of("judge_generator_step_hidden", judge_generator_loss, judge_updates)


# --- devices: the same calls with the networks on `meta` ---------------------------------

DEVICE_HINTS = {
    "discriminator_step": "Make the noise and the labels on the images' device: "
                          "torch.randn(..., device=images.device) and torch.ones_like(pred) / "
                          "torch.full_like(pred, REAL_LABEL).",
    "generator_step": "Make the noise on the device you are given, torch.randn(batch_size, "
                      "latent_dim, device=device), and the labels with torch.ones_like(pred).",
}


def judge_device(obs: dict, p: dict) -> Verdict:
    fn = p["function"]
    return meta.judge_meta_run(obs, fn, DEVICE_HINTS[fn], "the networks are on the device 'meta' "
                               "(the grader's stand-in for a GPU). ", DEVICE_HINTS[fn],
                               returns="number")


# --- a short training run with the student's own networks --------------------------------


TRAINING_RULES = [
    alternating.finite("d_loss", "at step {i} discriminator_step returned {value}."),
    alternating.finite("g_loss", "at step {i} generator_step returned {value}."),
    alternating.weights("disc_step", "disc", True, "at step {i} discriminator_step did not change "
                        "the discriminator's weights: does it call disc_optimizer.step() after "
                        "backward()?"),
    alternating.weights("disc_step", "gen", False, "at step {i} discriminator_step changed the "
                        "generator's weights: step disc_optimizer only."),
    alternating.weights("gen_step", "gen", True, "at step {i} generator_step did not change the "
                        "generator's weights: does it call gen_optimizer.step() after backward(), "
                        "on generated images that are not .detach()ed?"),
    alternating.weights("gen_step", "disc", False, "at step {i} generator_step changed the "
                        "discriminator's weights: step gen_optimizer only."),
]


def judge_training(obs: dict, p: dict) -> Verdict:
    where = (f"Training your MNISTGenerator({p['latent_dim']}) and MNISTDiscriminator() with "
             f"two Adam optimizers, batch size {p['n']}")

    fail = alternating.failing(where, "This check runs all your code together: if another check "
                               "fails, fix that one first.")

    if "error" in obs:
        message = str(obs["error"].get("message")) if isinstance(obs["error"], dict) else ""
        hint = (" A layer got an input of the wrong size: does MNISTDiscriminator.forward "
                "flatten its (B, 1, 28, 28) input with x.reshape(x.shape[0], -1)?"
                if "shapes cannot be multiplied" in message else "")
        return fail(f"your code raised {_error_text(obs['error'])}.{hint}")
    pair = _get(obs, "pair")
    if shape(pair) != (p["n"], 1):
        return fail(f"the discriminator scored the generator's {p['n']} images with shape "
                    f"{list(shape(pair))}, expected [{p['n']}, 1].")
    return (alternating.judge_steps(_get(obs, "steps", list), p["steps"], TRAINING_RULES, fail)
            or alternating.judge_cuda_run(obs.get("cuda"), ("d_loss", "g_loss"), fail, lambda error: fail(
                f"on a GPU your code failed: {error}. Create every tensor on the networks' device "
                "(torch.randn(..., device=images.device) in discriminator_step, device=device in "
                "generator_step)."))
            or Verdict(True))


# --- the list --------------------------------------------------------------------------

def _net(cls: str, seed: int, n: int, scale: float, latent_dim: int = LATENT_DIM) -> dict:
    return {"class": cls, "seed": seed, "n": n, "scale": scale, "latent_dim": latent_dim}


def _step(function: str, seed: int, n: int, latent_dim: int) -> dict:
    return {"function": function, "seed": seed, "n": n, "latent_dim": latent_dim}


DISC, GEN = "MNISTDiscriminator", "MNISTGenerator"
DS, GS = "discriminator_step", "generator_step"

CHECKS: list[Check] = [
    Check("MNISTDiscriminator_layers", DISC,
          "MNISTDiscriminator: 784-1024-512-256-1, LeakyReLU(), Dropout(0.2), no sigmoid", 1.0,
          observe_network, judge_layers, _net(DISC, 1, 6, 1000.0)),
    Check("MNISTDiscriminator_forward", DISC,
          "MNISTDiscriminator: logits (B, 1) for (B, 1, 28, 28), (B, 28, 28) and (B, 784)", 1.0,
          observe_network, judge_discriminator_forward, _net(DISC, 2, 6, 1000.0)),
    Check("MNISTDiscriminator_dropout", DISC,
          "MNISTDiscriminator: dropout on in train(), off in eval()", 1.0,
          observe_network, judge_dropout, _net(DISC, 3, 6, 1000.0)),
    Check("MNISTDiscriminator_hidden", DISC, "MNISTDiscriminator with another batch", 1.0,
          observe_network, judge_discriminator_hidden, _net(DISC, 4, 11, 300.0), HIDDEN),
    Check("MNISTGenerator_layers", GEN,
          "MNISTGenerator: latent_dim-256-512-1024-784, LeakyReLU(), Dropout(0.2), Tanh", 1.0,
          observe_network, judge_layers, _net(GEN, 5, 6, 1000.0)),
    Check("MNISTGenerator_output", GEN,
          "MNISTGenerator: images (B, 1, 28, 28) in [-1, 1]", 1.0,
          observe_network, judge_generator_output, _net(GEN, 6, 6, 1000.0)),
    Check("MNISTGenerator_dropout", GEN, "MNISTGenerator: dropout on in train(), off in eval()",
          1.0, observe_network, judge_dropout, _net(GEN, 7, 6, 1000.0)),
    Check("MNISTGenerator_hidden", GEN, "MNISTGenerator with another latent_dim and batch", 1.0,
          observe_network, judge_generator_hidden, _net(GEN, 8, 9, 300.0, latent_dim=7), HIDDEN),
    Check("discriminator_step_loss", DS,
          "discriminator_step: (real_loss + fake_loss) / 2 on known inputs, a float or 0-d tensor", 1.0,
          observe_step, judge_discriminator_loss, _step(DS, 9, 8, 12)),
    Check("discriminator_step_detach", DS,
          "discriminator_step: the generator's weights and gradients stay untouched (detach)",
          1.0, observe_step, judge_detach, _step(DS, 10, 8, 12)),
    Check("discriminator_step_updates", DS,
          "discriminator_step: zero_grad, then a step of the discriminator", 1.0,
          observe_step, judge_updates, _step(DS, 11, 8, 12)),
    Check("discriminator_step_repeated", DS,
          "discriminator_step called twice: fresh noise, dropout on while it learns, the "
          "networks left in train() mode", 1.0,
          observe_repeated_step, judge_repeated_step, _step(DS, 17, 8, 12)),
    Check("discriminator_step_hidden", DS, "discriminator_step with another batch and latent_dim",
          1.0, observe_step, judge_discriminator_step_hidden, _step(DS, 12, 13, 5), HIDDEN),
    Check("discriminator_step_device", DS,
          "discriminator_step: works on the networks' device (checked on `meta`)", 1.0,
          observe_device, judge_device, _step(DS, 17, 4, 6)),
    Check("generator_step_loss", GS,
          "generator_step: BCE(D(G(z)), 1) on known inputs, as a float or a 0-d tensor", 1.0,
          observe_step, judge_generator_loss, _step(GS, 13, 8, 12)),
    Check("generator_step_updates", GS,
          "generator_step: zero_grad, then a step of the generator only", 1.0,
          observe_step, judge_updates, _step(GS, 14, 8, 12)),
    Check("generator_step_repeated", GS,
          "generator_step called twice: fresh noise, dropout on while it learns, the networks "
          "left in train() mode", 1.0,
          observe_repeated_step, judge_repeated_step, _step(GS, 18, 8, 12)),
    Check("training_steps", GS,
          "three training steps with your networks: finite losses, each network changes only "
          "in its own step", 1.0, observe_training, judge_training,
          {"seed": 15, "n": 16, "latent_dim": LATENT_DIM, "steps": 3},
          uses=(DISC, GEN, DS)),
    Check("generator_step_hidden", GS, "generator_step with another batch and latent_dim", 1.0,
          observe_step, judge_generator_step_hidden, _step(GS, 16, 6, 17), HIDDEN),
    Check("generator_step_device", GS,
          "generator_step: works on the device it is given (checked on `meta`)", 1.0,
          observe_device, judge_device, _step(GS, 18, 4, 6)),
]

# Credit only for code that works (checks.gate): secondary check -> the main check of its function.
GATED = {
    "MNISTDiscriminator_dropout": "MNISTDiscriminator_forward",
    "MNISTDiscriminator_hidden": "MNISTDiscriminator_layers",
    "MNISTGenerator_dropout": "MNISTGenerator_output",
    "MNISTGenerator_hidden": "MNISTGenerator_layers",
    "discriminator_step_repeated": "discriminator_step_loss",
    "discriminator_step_hidden": "discriminator_step_loss",
    "discriminator_step_device": "discriminator_step_loss",
    "generator_step_repeated": "generator_step_loss",
    "generator_step_hidden": "generator_step_loss",
    "generator_step_device": "generator_step_loss",
}
