"""Checks for ``training_a_gan`` (seed 000, "Training a GAN").

Students write ``make_generator``, ``make_discriminator``, ``make_real_and_fake``,
``train_discriminator`` and ``train_generator``. Every ``observe_*`` function
(:mod:`autograder.assignments.training_a_gan.observe`, with the stubs) runs in the child beside
the student's notebook and reports plain data; every ``judge_*`` function (here) runs in the
grader and decides, recomputing the expected values from the same known stubs.

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

from autograder.assignments.training_a_gan.observe import (
    EPS,
    IMAGE,
    NOISE_DIM,
    PIXELS,
    SATURATING_OFFSETS,
    SMALL_SCORE,
    NoiseRecordingGenerator,
    RecordingDiscriminator,
    clamp_discriminators,
    observe_clamp,
    observe_device,
    observe_network,
    observe_real_and_fake,
    observe_train_step,
    observe_training,
    real_batch,
    shuffled_order,
)
from autograder.checks import (
    HIDDEN,
    Check,
    ObservationError,
    Verdict,
    all_of,
    close,
    fmt,
    layer_names,
    layers,
    number,
    shape,
    with_gradient,
)
from autograder.checks import raised
from autograder.probes import alternating, structure
from autograder.probes import device as meta
from autograder.probes.isolation import judge_own_step, judge_score_gradients
from autograder.probes.loss import explain, number_problem

NOTEBOOK = "training_a_gan.ipynb"


# --- make_generator / make_discriminator -------------------------------------------------


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
    failed = structure.cannot_score(obs, call, f"({n}, 28, 28)", kinds, "(28, 28)", "a 784-vector",
                                    "nn.Linear(784, hidden)", "nn.Linear(784, hidden)")
    if failed:
        return failed
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


def judge_device(obs: dict, p: dict) -> Verdict:
    fn = p["function"]
    return meta.judge_meta_run(obs, fn, DEVICE_HINTS[fn], "the generator is on the device 'meta' "
                               "(the grader's stand-in for a GPU): ", DEVICE_HINTS["make_real_and_fake"],
                               returns="tensor" if fn == "make_real_and_fake" else "number")


# --- train_discriminator / train_generator ----------------------------------------------


def _per_discriminator(obs: dict, key: str) -> list[float]:
    """One reported number per clamp discriminator; 'inf'/'nan' (JSON has no infinities) read
    as floats."""
    values = obs.get(key) if isinstance(obs, dict) else None
    if not isinstance(values, list) or len(values) != len(SATURATING_OFFSETS) + 1:
        raise ObservationError(f"{key} missing")
    return [number({"v": v}, "v") for v in values]


def clamp_expectations(p: dict) -> list[dict[str, float]]:
    """For each discriminator of the clamp check: its score D, and -log D with its gradient
    norm (the generator's), where D >= EPS; below EPS any finite cap is right."""
    out = []
    for disc in clamp_discriminators(p["seed"]):
        gen = NoiseRecordingGenerator(p["seed"])
        scores = disc(gen(torch.zeros(p["n"], NOISE_DIM)))                   # (n, 1) float32
        score = float(scores[0, 0].detach())
        if score < EPS:
            out.append({"score": score})
            continue
        loss = -torch.log(scores).mean()
        loss.backward()
        out.append({"score": score, "loss": float(loss.detach()), "gradient": float(gen.image.grad.norm())})
    return out


def judge_clamp(obs: dict, p: dict) -> Verdict:
    """Any cap that equals -log D wherever D >= EPS and stays finite below it: a clamp at EPS or
    another small epsilon, log(D + EPS), binary_cross_entropy's cap at 100."""
    losses, gradients = _per_discriminator(obs, "losses"), _per_discriminator(obs, "gradients")
    finite_steps = obs.get("finite_steps")
    if not isinstance(finite_steps, list) or len(finite_steps) != len(losses):
        raise ObservationError("finite_steps missing")
    stepped = any(g > 0 for g in gradients if math.isfinite(g))
    for got, gradient, finite, want in zip(losses, gradients, finite_steps,
                                           clamp_expectations(p), strict=True):
        seen = f"With a discriminator whose score of the fakes is D(G(z)) = {fmt(want['score'])} " \
               f"(float32), train_generator returned {fmt(got)}"
        if not math.isfinite(got) or finite is not True:
            what = "" if math.isfinite(got) else ": -log(0) is infinite"
            return Verdict(False, f"{seen}{what}, and the generator's step was "
                           f"{'finite' if finite is True else 'not finite (nan or inf)'}: a "
                           "sigmoid that rounds to 0 makes -log D infinite and every gradient "
                           "nan. Keep the loss finite there: clamp the scores before the log "
                           "with the notebook's EPS, loss = -torch.log(scores.clamp_min(EPS))"
                           ".mean() (binary_cross_entropy's cap at 100 works too).")
        if "loss" not in want:
            continue   # below EPS: any finite cap is right
        if not close(got, want["loss"], rel=1e-3, abs_=1e-4):
            return Verdict(False, f"{seen}, expected -log D = {fmt(want['loss'])}: a cap must "
                           f"not change the loss where D >= EPS = 1e-7. Clamp at a SMALL "
                           "epsilon, the notebook's EPS: -torch.log(scores.clamp_min(EPS))"
                           ".mean().")
        if stepped and not close(gradient, want["gradient"], rel=2e-2, abs_=1e-6):
            return Verdict(False, f"{seen}, and moved the generator as a gradient of norm "
                           f"{fmt(gradient)}, expected that of -log D, {fmt(want['gradient'])}: "
                           "the loss must be -log D itself (not detached, not rescaled) wherever "
                           f"D >= EPS; here D = {SMALL_SCORE:g}.")
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
    """The loss value, as the text allows: a Python float or a 0-d tensor."""
    problem = number_problem(obs.get("returned"), function)
    return Verdict(False, problem) if problem else None


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
    hint = explain(got, values, hints)
    if hint:
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


UPDATE_WORDS = {
    "other_changed": "{fn} changed the {other}'s weights: step only the optimizer you are given, "
                     "opt, which holds the {mine}'s parameters.",
    "unchanged": "{fn} did not change the {mine}'s weights: call opt.zero_grad(), compute the "
                 "loss, call loss.backward() and then opt.step(), with the opt passed to the "
                 "function (not a global optimizer).{hint}",
    "stale": "The {mine}'s step used a stale gradient left from before {fn} was called: call "
             "opt.zero_grad() before loss.backward().",
}
GENERATOR_UPDATE_HINT = (" The generator learns only through the discriminator's scores of its "
                         "OWN images: keep the fakes (y == FAKE_LABEL) and do not .detach() them.")


def judge_updates(obs: dict, p: dict) -> Verdict:
    """The step changes its own network's weights (fresh gradient) and never the other's."""
    fn = p["function"]
    mine = "disc" if fn == "train_discriminator" else "gen"
    return judge_own_step(obs, mine, UPDATE_WORDS, fn=fn,
                          hint=lambda: GENERATOR_UPDATE_HINT if mine == "gen" else "")


def judge_detach(obs: dict, p: dict) -> Verdict:
    grads = with_gradient(obs.get("gen_grads"))
    if grads:
        return Verdict(False, "train_discriminator's backward() wrote gradients into the "
                       "generator: did you forget .detach() on the mixed batch X? Only the "
                       "discriminator learns in this step; X = X.detach() before "
                       "discriminator(X).")
    return judge_score_gradients(obs, "train_discriminator's loss")

judge_discriminator_hidden = all_of("judge_discriminator_hidden", judge_discriminator_loss, judge_updates, judge_detach)
judge_generator_hidden = all_of("judge_generator_hidden", judge_generator_loss, judge_updates)


# --- a short training run with the student's own networks and functions ------------------


def _returned_numbers(i: int, step: dict) -> str | None:
    """Each step's loss value, as the text allows: a Python float or a 0-d tensor."""
    returned = step.get("returned")
    if not isinstance(returned, list) or len(returned) != 2:
        raise ObservationError("returned kinds missing")
    for kind, fn in zip(returned, ("train_generator", "train_discriminator"), strict=True):
        problem = number_problem(kind, fn)
        if problem:
            return f"at step {i} {problem}"
    return None


_NOT_FINITE = "at step {i} {fn} returned {value}. Clamp the scores before the log (EPS) and check " \
    "the networks' last layers."
TRAINING_RULES = [
    alternating.finite("g_loss", _NOT_FINITE.replace("{fn}", "train_generator")),
    alternating.finite("d_loss", _NOT_FINITE.replace("{fn}", "train_discriminator")),
    _returned_numbers,
    alternating.weights("gen_step", "gen", True, "at step {i} train_generator did not change the "
                        "generator's weights. Does it call loss.backward() and opt.step()? Does "
                        "make_real_and_fake label the fakes 0 and keep their gradient, and does "
                        "train_generator keep them by label without .detach()?"),
    alternating.weights("gen_step", "disc", False, "at step {i} train_generator changed the "
                        "discriminator's weights."),
    alternating.weights("disc_step", "disc", True, "at step {i} train_discriminator did not change "
                        "the discriminator's weights: does it call opt.zero_grad() before "
                        "loss.backward(), then opt.step()?"),
    alternating.weights("disc_step", "gen", False, "at step {i} train_discriminator changed the "
                        "generator's weights."),
]


def judge_training(obs: dict, p: dict) -> Verdict:
    where = (f"Training your make_generator() and make_discriminator() with two Adam "
             f"optimizers, batch size {p['n']}")

    fail = alternating.failing(where, "This check runs all your functions together: if another "
                               "check fails, fix that one first.")

    error = obs.get("error")
    if isinstance(error, dict):
        message = str(error.get("message"))
        hint = (" The discriminator must return probabilities: does make_discriminator end in "
                "nn.Sigmoid()?" if "between 0 and 1" in message else "")
        return fail(f"your code raised {raised(error)}.{hint}")
    return (alternating.judge_steps(obs.get("steps"), p["steps"], TRAINING_RULES, fail)
            or alternating.judge_cuda_run(obs.get("cuda"), ("g_loss", "d_loss"), fail, lambda error: Verdict(
                False, f"{where} on a GPU failed: {error}. Create every tensor on the networks' "
                "device: device = next(generator_model.parameters()).device, then "
                "torch.randn(..., device=device), torch.ones(..., device=device) and "
                "sample_mnist(N).to(device)."))
            or Verdict(True))


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
          "train_discriminator: BCE of the mixed batch, returned as a float or a 0-d tensor", 1.0,
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
          "train_generator: -mean log D(G(z)) of the fakes (by label), as a float or 0-d tensor", 1.0,
          observe_train_step, judge_generator_loss, _step("train_generator", 11, 5)),
    Check("train_generator_updates", "train_generator",
          "train_generator: zero_grad, then a step of the generator only", 2.0,
          observe_train_step, judge_updates, _step("train_generator", 12, 5)),
    Check("train_generator_clamp", "train_generator",
          "train_generator: a loss that stays finite where D(G(z)) rounds to 0, and is -log D "
          "where D >= EPS (D(G(z)) = 0, below EPS, 1e-5, 1)",
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

# Credit only for code that works (checks.gate): secondary check -> the main check of its function.
GATED = {
    "make_generator_structure_hidden": "make_generator_structure",
    "make_discriminator_structure_hidden": "make_discriminator_structure",
    "make_real_and_fake_hidden": "make_real_and_fake_batch",
    "make_real_and_fake_device": "make_real_and_fake_batch",
    "train_discriminator_hidden": "train_discriminator_loss",
    "train_discriminator_device": "train_discriminator_loss",
    "train_generator_hidden": "train_generator_loss",
    "train_generator_device": "train_generator_loss",
}
