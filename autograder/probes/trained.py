"""A trained generator, judged: the checkpoint a student submits, loaded safely and evaluated.

Used by the graded "trained generator" check (an assignment switches it on by putting
:func:`trained_generator_check` in its ``CHECKS``; ``gan_project`` does) and by
``python -m autograder evaluate ID PATH``.

The checkpoint is untrusted: the grader's process only reads its bytes (with a size limit) and
copies them into the sandbox. There the child loads it with ``torch.load(weights_only=True)``
(tensors, numbers, strings, lists and dicts; no arbitrary Python objects, so a malicious pickle
fails to load instead of running), builds the student's own generator class, loads the weights,
and reports only the generated images, as bytes. The grader then runs the course's classifier
(:mod:`gan_course.evaluate`) on those bytes in its own process: the student's code never sees
the classifier, and the figures cannot be faked by patching anything in the child.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from autograder.checks import Check, ObservationError, Verdict, number, text
from autograder.child import observe as ob
from gan_course.evaluate import DIGITS, MIN_SHARE, sample_images

GRADING_SAMPLES = 2000          # samples the grader draws (the distance threshold is calibrated for it)
SAMPLES_SEED = 2024             # seed of the grader's noise
MAX_CHECKPOINT_MB = 50          # a gan_project checkpoint with both optimizers is about 13 MB
MIN_DIGITS = 9                  # digits that must each get at least MIN_SHARE of the samples
# Fréchet distance at GRADING_SAMPLES samples that a trained generator must stay under. From the
# calibration (docs/benchmarks.md), reference train_torch.py on one CPU core: after 20 minutes
# (64 epochs, the shipped checkpoint.pt) it scores 44 with all 10 digits; after 5 minutes 293 with
# 9; after 1 minute 708 with 7. Untrained generators score about 1200, uniform noise 2450, real
# MNIST 3-5. A busier machine's 20 minutes (16 epochs) scored 305 with 9 digits, still passing.
MAX_DISTANCE = 400.0        # reference checkpoint.pt (20 min on one CPU core): 44
# Points of the check, as fractions: a checkpoint that loads and makes images, the digits, the distance.
PART_LOADS, PART_DIGITS, PART_DISTANCE = 0.25, 0.375, 0.375

STATUS_FILE = "trained_generator.json"   # in the child's folder: what the grader found
CHECKPOINT_FILE = "trained_generator.pt"


@dataclass(frozen=True)
class Recipe:
    """Where an assignment's checkpoint lies in a submission, and how to rebuild its generator."""

    checkpoints: tuple[str, ...]    # paths inside the submission folder, in order of preference
    build: str                      # notebooks: expression evaluated in the notebook's namespace
    save_line: str                  # what the student runs to save it (for feedback)


RECIPES: dict[str, Recipe] = {
    "first_gan": Recipe(("generator.pt",), "Generator(z_dim)", 'torch.save(gen.state_dict(), "generator.pt")'),
    "gan_tutorial": Recipe(("generator.pt",), "Generator()", 'torch.save(generator.state_dict(), "generator.pt")'),
    "training_a_gan": Recipe(("generator.pt",), "make_generator(noise_dim)",
                             'torch.save(generator.state_dict(), "generator.pt")'),
    "dropout_gan": Recipe(("generator.pt",), "MNISTGenerator(latent_dim)",
                          'torch.save(generator.state_dict(), "generator.pt")'),
    "dcgan": Recipe(("generator.pt",), "Generator(z_dim)", 'torch.save(gen.state_dict(), "generator.pt")'),
    "gan_project": Recipe(("checkpoint.pt", "GAN_logs/checkpoint.pt"), "models.GeneratorMLP",
                          "python train_torch.py (it writes GAN_logs/checkpoint.pt)"),
}
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


# --- the grader's side: find the file, read bytes only ----------------------------------------

def find_checkpoint(folder: Path, recipe: Recipe) -> Path | None:
    """The submitted checkpoint: one of the recipe's paths, else the only checkpoint-like file."""
    for name in recipe.checkpoints:
        if (folder / name).is_file():
            return folder / name
    found = sorted((p for p in folder.rglob("*") if p.suffix in CHECKPOINT_SUFFIXES and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(folder).parts)),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    named = [p for p in found if p.name in {Path(n).name for n in recipe.checkpoints}]
    return (named or found or [None])[0]


def checkpoint_files(assignment: str, path: Path, checkpoint: Path | None = None) -> dict[str, bytes]:
    """Files for the child: a status note and, when it is there and small enough, the checkpoint.

    ``path`` is the submission (folder or notebook); ``checkpoint`` overrides the search.
    """
    recipe = RECIPES[assignment]
    folder = path if path.is_dir() else path.parent
    found = checkpoint or find_checkpoint(folder, recipe)
    status: dict = {"looked_for": list(recipe.checkpoints), "save_line": recipe.save_line}
    files: dict[str, bytes] = {}
    if found is None or not found.is_file():
        status["status"] = "missing"
    else:
        size = found.stat().st_size
        status.update(found=str(found.relative_to(folder)) if found.is_relative_to(folder) else found.name,
                      size=size)
        if size > MAX_CHECKPOINT_MB << 20:
            status["status"] = "too_big"
        else:
            status["status"] = "found"
            files[CHECKPOINT_FILE] = found.read_bytes()
    files[STATUS_FILE] = json.dumps(status).encode()
    return files


def attach(program, checks: list[Check], assignment: str, path: Path) -> None:
    """Give the child the submitted checkpoint when one of ``checks`` judges a trained generator."""
    if any(c.observe is observe_trained for c in checks):
        program.files.update(checkpoint_files(assignment, Path(path)))


# --- the child's side: load safely, build the student's generator, sample ---------------------

_load = torch.load
_b64 = base64.b64encode


def _state_dict(obj) -> tuple[dict | None, dict]:
    """The generator's weights inside a loaded checkpoint, and the training arguments if any.

    Accepts a generator's own ``state_dict``; ``train_torch.py``'s ``{"model": GAN state_dict,
    "args": {...}}``; Lightning's ``{"state_dict": ..., "hyper_parameters": {...}}``. Keys that
    start with ``generator.`` are the generator's (the prefix is removed).
    """
    if not isinstance(obj, dict):
        return None, {}
    args = obj.get("args") or obj.get("hyper_parameters") or {}
    weights = obj
    for key in ("model", "state_dict", "generator"):
        if isinstance(obj.get(key), dict):
            weights = obj[key]
            break
    tensors = {k: v for k, v in weights.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    if not tensors:
        return None, args if isinstance(args, dict) else {}
    return tensors, args if isinstance(args, dict) else {}


def _candidates(weights: dict) -> list[dict]:
    """The weights as they are, then (for a whole GAN's state_dict) only the ``generator.`` ones,
    without that prefix. A generator may itself keep its layers in ``.generator`` (dropout_gan)."""
    out = [weights]
    if any(k.startswith("generator.") for k in weights):
        out.append({k.removeprefix("generator."): v for k, v in weights.items() if k.startswith("generator.")})
    return out


def _build(assignment: str, ns: dict, args: dict) -> nn.Module:
    recipe = RECIPES[assignment]
    if assignment == "gan_project":
        cls = ob.need(ns, "models").GeneratorMLP
        kwargs = {}
        for key, name in (("z_dim", "z_dim"), ("hidden_dims_gen", "hidden_dims"), ("dp_rate_gen", "dp_rate")):
            if key in args:
                kwargs[name] = args[key]
        return cls(**kwargs)
    for name in recipe.build.replace("(", " ").replace(")", " ").split():
        ob.need(ns, name)
    return eval(recipe.build, ns)  # noqa: S307 - our own expression, in the sandboxed child


def _problem(status: str, message: str, **extra) -> dict:
    return {"status": status, "message": message[:600], **extra}


def observe_trained(ns: dict, p: dict) -> dict:
    """Child: load the checkpoint (weights only), build the generator, report ``p["n"]`` images."""
    try:
        with open(STATUS_FILE) as f:
            found = json.load(f)
    except (OSError, ValueError):
        found = {"status": "missing"}
    if found.get("status") != "found":
        # An unfinished generator says so first ("Not implemented yet"), before the missing file.
        try:
            _build(p["assignment"], ns, {})
        except (NotImplementedError, ob.Missing):
            raise
        except Exception:  # noqa: BLE001 - the missing file is the news here
            pass
        return {**found}
    try:
        obj = _load(CHECKPOINT_FILE, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to load is reported, never raised
        message = str(exc)
        unsafe = "weights_only" in message.lower() or "unsupported global" in message.lower() \
            or type(exc).__name__ == "UnpicklingError"
        detail = next((line.strip() for line in message.splitlines() if "GLOBAL" in line), message[:200])
        return _problem("unsafe" if unsafe else "corrupt", detail, found=found.get("found"))
    weights, args = _state_dict(obj)
    if weights is None:
        kind = type(obj).__name__
        keys = sorted(map(str, obj))[:8] if isinstance(obj, dict) else []
        return _problem("no_weights", f"a {kind}" + (f" with keys {keys}" if keys else ""), found=found.get("found"))
    try:
        generator = _build(p["assignment"], ns, args)
    except ob.Missing:
        raise
    except Exception as exc:  # noqa: BLE001
        return _problem("build", f"{type(exc).__name__}: {exc}", found=found.get("found"))
    if not isinstance(generator, nn.Module):
        return _problem("build", f"it made a {type(generator).__name__}, not an nn.Module")
    errors = []
    for candidate in _candidates(weights):
        try:
            generator.load_state_dict(candidate, strict=True)
            weights = candidate
            break
        except Exception as exc:  # noqa: BLE001 - size mismatch, missing or unexpected keys
            errors.append(" ".join(line.strip() for line in str(exc).splitlines()[1:4]) or str(exc))
    else:
        return _problem("architecture", errors[-1], found=found.get("found"))
    try:
        images = sample_images(generator, int(p["n"]), seed=int(p.get("seed", SAMPLES_SEED)))  # (n, 1, 28, 28)
    except Exception as exc:  # noqa: BLE001
        return _problem("bad_output", f"{type(exc).__name__}: {exc}", found=found.get("found"))
    pixels = (images * 255).round().to(torch.uint8).numpy().tobytes()       # n * 784 bytes
    return {"status": "ok", "found": found.get("found"), "n": len(images),
            "parameters": sum(t.numel() for t in weights.values()),
            "images": _b64(pixels).decode("ascii")}


# --- the grader's side again: decode and judge -------------------------------------------------

def decode_images(obs: dict, expected: int | None = None) -> torch.Tensor:
    """The reported images as float32 (n, 1, 28, 28) in [0, 1]; ObservationError if malformed
    (or, with ``expected``, when there are not exactly that many)."""
    n = int(number(obs, "n"))
    if expected is not None and n != expected:
        raise ObservationError(f"{n} images reported, {expected} asked for")
    try:
        raw = base64.b64decode(text(obs, "images"), validate=True)
    except (ValueError, TypeError) as exc:
        raise ObservationError("images are not base64") from exc
    if n <= 0 or len(raw) != n * 28 * 28:
        raise ObservationError(f"{len(raw)} bytes of images for n = {n}")
    pixels = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return pixels.reshape(n, 1, 28, 28).float() / 255


def problem_message(obs: dict) -> str | None:
    """Words for a checkpoint that could not be evaluated (None when the images are there)."""
    status = obs.get("status")
    found = obs.get("found") or "your checkpoint"
    detail = obs.get("message", "")
    save = obs.get("save_line", "")
    if status == "ok":
        return None
    if status == "missing":
        looked = " or ".join(obs.get("looked_for") or ["a checkpoint"])
        return (f"No trained generator in your submission: expected {looked}. Train your GAN and "
                f"submit the checkpoint it writes ({save}).")
    if status == "too_big":
        size = obs.get("size", 0)
        return (f"{found} is {size / 2**20:.0f} MB; the limit is {MAX_CHECKPOINT_MB} MB. Submit the "
                "checkpoint your training script writes, or only the generator's weights "
                "(torch.save(model.generator.state_dict(), 'checkpoint.pt')).")
    if status == "unsafe":
        return (f"{found} could not be loaded safely: it holds Python objects other than tensors, "
                f"numbers, strings, lists and dicts ({detail}). The grader loads checkpoints with "
                "torch.load(..., weights_only=True); save state_dicts (model.state_dict()), not "
                "whole models or other objects.")
    if status == "corrupt":
        return (f"{found} is not a readable PyTorch checkpoint ({detail}). Was the upload cut short, "
                "or is it another kind of file? Save it again with torch.save and resubmit.")
    if status == "no_weights":
        return (f"{found} holds no generator weights ({detail}). Expected a state_dict, or "
                "train_torch.py's checkpoint {'model': ..., 'args': ...}.")
    if status == "build":
        return f"Your generator could not be built to load {found} into: {detail}."
    if status == "architecture":
        return (f"The weights in {found} do not fit your generator ({detail[:300]}). Did you change "
                "the architecture after training, or submit the checkpoint of another model?")
    if status == "bad_output":
        return f"Your generator, loaded from {found}, failed to make images: {detail}"
    raise ObservationError(f"unknown status {status!r}")


def evaluate_observation(obs: dict, expected: int | None = None):
    """Run the course's classifier on the reported images: (Evaluation, images)."""
    from gan_course.evaluate import evaluate_images

    images = decode_images(obs, expected)
    return evaluate_images(images), images


def judge_trained(obs: dict, p: dict) -> Verdict:
    """Grader: partial credit for loading, for the digits covered, and for the distance."""
    if not isinstance(obs, dict):
        raise ObservationError("no observation")
    problem = problem_message(obs)
    if problem:
        return Verdict(False, problem, score=0.0)
    result, _ = evaluate_observation(obs, int(p["n"]))
    shares = ", ".join(f"{d}: {100 * s:.0f}%" for d, s in enumerate(result.digit_shares))
    figures = (f"On {result.n} samples: Fréchet distance {result.frechet_distance:.1f} "
               f"(threshold {p['max_distance']:g}; real MNIST digits about 5), {result.digits_present} of "
               f"{DIGITS} digits with at least {MIN_SHARE:.0%} ({shares}), "
               f"{result.confident_share:.0%} recognisable. Verdict: {result.verdict}.")
    score = PART_LOADS
    lost = []
    if result.digits_present >= p["min_digits"]:
        score += PART_DIGITS
    else:
        missing = [str(d) for d in range(DIGITS) if result.digit_shares[d] < MIN_SHARE]
        lost.append(f"it makes {result.digits_present} of {DIGITS} digits, at least {p['min_digits']} "
                    f"needed (missing: {', '.join(missing)}): mode collapse, or too little training")
    if result.frechet_distance <= p["max_distance"]:
        score += PART_DISTANCE
    else:
        lost.append(f"its samples are too far from MNIST (distance {result.frechet_distance:.0f} > "
                    f"{p['max_distance']:g}): train longer, and look at the samples")
    if not lost:
        return Verdict(True, figures, score=1.0)
    return Verdict(False, "Your trained generator loads, but " + "; ".join(lost) + ". " + figures, score=score)


def trained_generator_check(assignment: str, points: float = 4.0, name: str = "trained_generator",
                            group: str = "training") -> Check:
    """The graded check: switch it on by adding it to an assignment's ``CHECKS``."""
    params = {"assignment": assignment, "n": GRADING_SAMPLES, "seed": SAMPLES_SEED,
              "min_digits": MIN_DIGITS, "max_distance": MAX_DISTANCE}
    title = (f"your trained generator (submitted checkpoint): at least {MIN_DIGITS} digits, "
             f"Fréchet distance under {MAX_DISTANCE:g}")
    return Check(name, group, title, points, observe_trained, judge_trained, params, timeout=60.0)


EVALUATE_CHECK = "evaluate_generator"


def tool_checks(assignment: str) -> list[Check]:
    """Observers the child may run that are not graded (``python -m autograder evaluate``)."""
    if assignment not in RECIPES:
        return []
    return [Check(EVALUATE_CHECK, "evaluate", "evaluate the trained generator", 0.0, observe_trained,
                  judge_trained, {"assignment": assignment, "n": 5000, "seed": SAMPLES_SEED,
                                  "min_digits": MIN_DIGITS, "max_distance": MAX_DISTANCE}, timeout=60.0)]
