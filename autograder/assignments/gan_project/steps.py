"""gan_project: the checks of ``generator_step`` and ``discriminator_step`` on known networks.

"""

from __future__ import annotations

import torch

from autograder.child import observe as ob
from autograder.assignments.gan_project.files import (
    IMAGE,
    MAX_RECORDS,
    PIXELS,
    LinearGenerator,
    _student_files,
    graded_note,
    stub_gan,
)
from autograder.checks import Check, ObservationError, Verdict, close, first_failure, fmt, number, with_gradient
from autograder.probes import device as meta
from autograder.probes.isolation import ScoreGradients, judge_detached_loss
from autograder.probes.loss import bce, explain, number_kind
from autograder.probes.networks import ConstantGenerator, LinearDiscriminator, real_images
from autograder.probes.noise import fingerprint, freshness


def _loss_stubs(p: dict):
    gen = ConstantGenerator(PIXELS, p["seed"], image_shape=IMAGE)
    disc = LinearDiscriminator(PIXELS, p["seed"])
    real = real_images(p["n"], PIXELS, p["seed"], low=-1.0, high=1.0, shape=IMAGE)
    return gen, disc, real


def _value_kind(v) -> str:
    """What a logging dict's value is: "number", "tensor" (0-d floating) or a description.

    The classifying is :func:`autograder.probes.loss.number_kind`'s (one rule for "a float or a
    0-d tensor", the tensor read with the grader's own torch calls); only the words are this
    check's."""
    if v is None or isinstance(v, bool):
        return type(v).__name__
    kind = number_kind(v)
    if kind in ("float", "0-d tensor"):
        return "number" if kind == "float" else "tensor"
    if kind.endswith(" tensor of shape ()"):                   # e.g. "int64 tensor of shape ()"
        return f"a 0-d {kind.split()[0]} tensor"
    return f"a {kind}" if kind.startswith("tensor of shape") else kind


def _logging_summary(value) -> dict:
    if not isinstance(value, dict):
        return {"type": type(value).__name__[:40]}
    kinds = {str(key)[:60]: _value_kind(v) for key, v in list(value.items())[:30]}
    loss = value.get("loss")
    return {"type": "dict", "kinds": kinds,
            "loss": ob.scalar(loss, "logging_dict['loss']")
            if _value_kind(loss) in ("number", "tensor") else None}


def observe_step(ns: dict, p: dict) -> dict:
    gen, disc, real = _loss_stubs(p)
    scores = ScoreGradients(disc, real)  # the gradient each term sends to D's scores
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
        if p["method"] == "discriminator_step":
            report["score_grads"] = scores.report()
    return report


def _bce(logits: torch.Tensor, target: float) -> float:
    return bce(logits, target, dtype=torch.float64)


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
    hint = explain(got, values, hints)
    if hint:
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
    return judge_detached_loss(obs, "discriminator_step loss", "logits", graded_note(obs))


def judge_step_hidden(obs: dict, p: dict) -> Verdict:
    return first_failure(obs, p, (judge_step_loss, judge_generator_gradient
                                  if p["method"] == "generator_step" else judge_discriminator_detach))


def observe_steps_noise(ns: dict, p: dict) -> dict:
    """Each step called twice: the fingerprints of the z its generator calls were given."""
    report: dict = {}
    for method in ("generator_step", "discriminator_step"):
        gen, disc, real = _loss_stubs(p)
        hashes: list = []

        def remember_z(module, args, hashes=hashes) -> None:
            if args and isinstance(args[0], torch.Tensor) and len(hashes) < MAX_RECORDS:
                hashes.append(fingerprint(args[0]))

        gen.register_forward_pre_hook(remember_z)
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
        fresh = freshness(*calls)
        if fresh == "missing":
            return Verdict(False, f"model.{method} did not call self.generator on every call: "
                           "generate fresh fakes, self.generator(torch.randn(B, self.z_dim, "
                           "device=...)), each time." + note)
        if fresh == "same":
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
                           "dict such as {'loss': loss.detach(), ...}." + note)
        kinds = log.get("kinds")
        if not isinstance(kinds, dict):
            raise ObservationError("logging kinds missing")
        if "loss" not in kinds:
            return Verdict(False, f"{method}'s logging_dict has the keys {sorted(kinds)[:8]}; it "
                           "needs at least 'loss' (loss.detach() or loss.item())." + note)
        bad = sorted(k for k, v in kinds.items() if v not in ("number", "tensor"))
        if bad:
            what = kinds[bad[0]]
            what = what if what.startswith("a ") else f"a {what}"
            return Verdict(False, f"{method}'s logging_dict holds {what} value (at {bad[:4]}): "
                           "each value must be one number, a Python float (loss.item()) or a 0-d "
                           "floating tensor (loss.detach(); the mean of a batch, .mean(), for "
                           "the others)." + note)
        logged = log.get("loss")
        if not isinstance(logged, (int, float)) or not close(float(logged), number(step, "loss")):
            return Verdict(False, f"{method}'s logging_dict['loss'] is {fmt(logged)}, but the loss "
                           f"it returned is {fmt(number(step, 'loss'))}: log the same loss." + note)
    return Verdict(True)


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
    return meta.judge_meta_run(obs, method, DEVICE_HINTS[method], "the model is on the device 'meta' "
                               "(the grader's stand-in for a GPU). ", DEVICE_HINTS[method], what="z",
                               key="z_devices", note=graded_note(obs), returns="tensor")


def _device_check(method: str, seed: int) -> Check:
    return Check(f"{method}_device", method,
                 f"{method}: works on the model's device (checked on `meta`)", 1.0,
                 observe_device, judge_device, {"method": method, "seed": seed, "n": 4, "z_dim": 6})
