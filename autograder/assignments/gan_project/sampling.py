"""gan_project: the checks of the GAN's ``sample`` and ``interpolate`` (on a known linear generator).

"""

from __future__ import annotations

import torch

from autograder.child import observe as ob
from autograder.assignments.gan_project.files import ENDS_ROWS, IMAGE, PIXELS, LinearGenerator, graded_note, stub_gan
from autograder.checks import ObservationError, Verdict, fmt, number, numbers, shape
from autograder.probes import device as meta
from autograder.probes.networks import LinearDiscriminator


def observe_sample(ns: dict, p: dict) -> dict:
    n, z_dim = p["n"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"], tanh=True)
    file, model = stub_gan(ns, z_dim, gen, LinearDiscriminator(PIXELS, p["seed"]))
    ob.seed_all(p["seed"])
    model.train()
    first = ob.as_tensor(model.sample(n), "sample's result")
    second = ob.as_tensor(model.sample(n), "sample's result")
    report = {
        "file": file,
        "out": ob.tensor_info(first),
        "fresh": not bool(torch.equal(first.detach().cpu(), second.detach().cpu()))
        if first.shape == second.shape else True,
        "calls": gen.calls[:2],
        "mode_after": bool(gen.training),
    }
    return _with_cuda(report, model, lambda: model.sample(3), lambda: gen.calls[2:3])


def _with_cuda(report: dict, model, generate, calls) -> dict:
    """``report``, with the devices of ``generate()``'s images and z once the model is on CUDA."""
    def on_cuda() -> dict:
        model.to("cuda")
        return {"out": ob.tensor_info(generate())["device"], "z": [c.get("device") for c in calls()]}

    cuda = meta.on_cuda(on_cuda)
    if cuda is not None:
        report["cuda"] = cuda
    return report


def _cuda_problem(obs: dict, what: str) -> str | None:
    cuda = obs.get("cuda")
    if cuda is None:
        return None
    if not isinstance(cuda, dict):
        raise ObservationError("cuda report malformed")
    if "error" in cuda:
        return (f"On a GPU (model.to('cuda')) {what} failed: {cuda['error']}. Create tensors on "
                "the model's device: torch.randn(..., device=self.device).")
    devices = [cuda.get("out"), *(cuda.get("z") or [])]
    if any(d != "cuda" for d in devices):
        return (f"On a GPU {what} used tensors on {devices}: create z on the model's device, "
                "torch.randn(..., device=self.device).")
    return None


def _restored_and_on_cuda(obs: dict, what: str, restore: str, note: str) -> Verdict:
    """``what`` put the generator back in its mode, and works on CUDA (where that was seen)."""
    if obs.get("mode_after") is not True:
        return Verdict(False, f"After {what} the generator stayed in eval mode although it was "
                       f"training before: {restore} self.generator.train(was_training)." + note)
    problem = _cuda_problem(obs, what)
    if problem:
        return Verdict(False, problem + note)
    return Verdict(True)


def _noise_problem(calls, want: tuple[int, ...], what: str) -> str | None:
    if not isinstance(calls, list) or not calls:
        return f"{what} never called self.generator."
    z = calls[0]
    if shape(z) != want:
        return (f"{what} gave the generator z of shape {list(shape(z))}, expected {list(want)} = "
                "(batch_size, z_dim).")
    if number(z, "min") >= 0.0:
        return ("All latent values are >= 0: this looks like torch.rand (uniform in [0, 1)). Draw "
                "z from the standard normal: torch.randn.")
    if not (abs(number(z, "mean")) < 0.3 and 0.7 < number(z, "std") < 1.3):
        return (f"The latent vectors have mean {fmt(number(z, 'mean'))} and standard deviation "
                f"{fmt(number(z, 'std'))}; z ~ N(0, I) has mean 0 and std 1: torch.randn.")
    return None


def judge_sample(obs: dict, p: dict) -> Verdict:
    n, note = p["n"], graded_note(obs)
    out = obs.get("out", {})
    if shape(out) != (n, *IMAGE):
        return Verdict(False, f"sample({n}) returned shape {list(shape(out))}, expected "
                       f"[{n}, 1, 28, 28]: the generator's images for z of shape ({n}, z_dim).{note}")
    if out.get("has_graph") is True or out.get("requires_grad") is True:
        return Verdict(False, f"sample({n}) returned images that track gradients (a computation "
                       "graph back to the generator): decorate sample with @torch.no_grad(), or "
                       f"run it inside `with torch.no_grad():`.{note}")
    problem = _noise_problem(obs.get("calls"), (n, p["z_dim"]), f"sample({n})")
    if problem:
        return Verdict(False, problem + note)
    lo, hi = number(out, "min"), number(out, "max")
    if not (-1.0 <= lo < 0.0 < hi <= 1.0):
        return Verdict(False, f"sample({n}) returned values in [{fmt(lo)}, {fmt(hi)}] from a "
                       "generator whose images lie in [-1, 1]: return the generator's images "
                       "unchanged (to_unit_range maps them to [0, 1] for saving)." + note)
    if obs.get("fresh") is not True:
        return Verdict(False, "Two calls of sample returned the same images: draw fresh z with "
                       "torch.randn on every call (do not seed or cache inside sample)." + note)
    calls = obs.get("calls")
    if isinstance(calls, list) and calls and calls[0].get("training") is not False:
        return Verdict(False, "sample ran the generator in training mode (dropout on): call "
                       "self.generator.eval() before generating." + note)
    return _restored_and_on_cuda(obs, "sample", "put it back with", note)


def observe_interpolate(ns: dict, p: dict) -> dict:
    b, steps, z_dim = p["n"], p["steps"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, LinearDiscriminator(PIXELS, p["seed"]))
    ob.seed_all(p["seed"])
    model.train()
    out = ob.as_tensor(model.interpolate(b, steps), "interpolate's result")
    report: dict = {"file": file, "out": ob.tensor_info(out), "mode_after": bool(gen.training)}
    if tuple(out.shape) == (b, steps + 2, *IMAGE):
        frames = out.detach().double().cpu().reshape(b, steps + 2, PIXELS)   # (B, P, 784)
        first, last = frames[:, :1], frames[:, -1:]                        # (B, 1, 784)
        d = last - first
        d2 = (d * d).sum(-1).clamp_min(1e-30)                              # (B, 1)
        t = ((frames - first) * d).sum(-1) / d2                            # (B, P)
        residual = frames - first - t.unsqueeze(-1) * d                    # (B, P, 784)
        scale = d2.sqrt().unsqueeze(-1)
        report.update(
            t=[[float(v) for v in row] for row in t.tolist()],
            residual=float((residual.norm(dim=-1, keepdim=True) / scale).max()),
            end_distance=float(d2.sqrt().min() / (first.norm(dim=-1).max() + 1e-12)),
            rows_distinct=bool(b < 2 or not torch.allclose(frames[0, 0], frames[1, 0])),
        )
        # The ends' distribution from many rows: z_start and z_end themselves are ~ N(0, I), a
        # point inside the line (an end left out) has a smaller spread.
        many = ob.as_tensor(model.interpolate(ENDS_ROWS, 1), "interpolate's result")
        if tuple(many.shape) == (ENDS_ROWS, 3, *IMAGE):
            report["ends"] = [ob.tensor_info(gen.latents(many[:, k])) for k in (0, 2)]
    return _with_cuda(report, model, lambda: model.interpolate(2, 1), lambda: gen.calls[-1:])


def judge_interpolate(obs: dict, p: dict) -> Verdict:
    b, steps, note = p["n"], p["steps"], graded_note(obs)
    call = f"interpolate({b}, {steps})"
    out = obs.get("out", {})
    want = (b, steps + 2, *IMAGE)
    got = shape(out)
    if got != want:
        hint = ""
        if len(got) == 5 and got[1] in (steps, steps + 1):
            hint = (f" You made {got[1]} images per row: include BOTH endpoints, "
                    "interpolation_steps + 2 points, t = torch.linspace(0, 1, interpolation_steps + 2).")
        elif len(got) == 4:
            hint = " Keep one row per pair: reshape to (batch_size, interpolation_steps + 2, 1, 28, 28)."
        return Verdict(False, f"{call} returned shape {list(got)}, expected {list(want)} = "
                       f"(batch_size, interpolation_steps + 2, 1, 28, 28).{hint}{note}")
    if out.get("has_graph") is True or out.get("requires_grad") is True:
        return Verdict(False, f"{call} returned images that track gradients: decorate "
                       "interpolate with @torch.no_grad()." + note)
    t_rows = obs.get("t")
    if not isinstance(t_rows, list) or len(t_rows) != b:
        raise ObservationError("interpolation coefficients missing")
    if number(obs, "end_distance") < 1e-3:
        return Verdict(False, f"With a linear test generator, the first and last image of a row "
                       f"of {call} are the same: draw two latent vectors, z_start and z_end." + note)
    if number(obs, "residual") > 1e-3:
        return Verdict(False, f"With a linear test generator, the images of a row of {call} do "
                       "not lie on one straight line: generate each image from "
                       "z_k = (1 - t_k) z_start + t_k z_end, a straight line in latent space." + note)
    expected = [k / (steps + 1) for k in range(steps + 2)]
    for row in t_rows:
        got_t = numbers({"t": row}, "t")
        if len(got_t) != len(expected) or not all(abs(g - e) < 1e-3 for g, e in zip(got_t, expected, strict=True)):
            return Verdict(False, f"With a linear test generator, the images of a row of {call} sit "
                           f"at t = {[round(v, 3) for v in got_t]} along the line, expected "
                           f"{[round(v, 3) for v in expected]}: equally spaced, both ends included "
                           "(t = torch.linspace(0, 1, interpolation_steps + 2)), in order." + note)
    ends = obs.get("ends")
    if not isinstance(ends, list) or len(ends) != 2:
        raise ObservationError("ends missing")
    for end, name, symbol in zip(ends, ("first", "last"), ("z_start", "z_end"), strict=True):
        if shape(end) != (ENDS_ROWS, p["z_dim"]):
            raise ObservationError("ends malformed")
        if number(end, "min") >= 0.0:
            return Verdict(False, f"The {name} images of the rows come from latent values that are "
                           f"all >= 0: this looks like torch.rand. Draw {symbol} with "
                           "torch.randn." + note)
        mean, std = number(end, "mean"), number(end, "std")
        if not (abs(mean) < 0.05 and abs(std - 1.0) < 0.05):
            return Verdict(False, f"Over {ENDS_ROWS} rows, the {name} images come from latent "
                           f"vectors with mean {fmt(mean)} and standard deviation {fmt(std)}, not 0 "
                           f"and 1: the {name} image of each row should be generated from {symbol} "
                           "itself (drawn with torch.randn), i.e. t = 0 and t = 1 are both "
                           "included." + note)
    if obs.get("rows_distinct") is not True:
        return Verdict(False, "Two rows start from the same latent vector: draw a new pair "
                       "(z_start, z_end) for every row." + note)
    problem = _cuda_problem(obs, "interpolate")   # its modes: interpolate_mode
    return Verdict(False, problem + note) if problem else Verdict(True)


MODE_STARTS = ("train", "eval")   # the caller's mode before interpolate


def observe_interpolate_mode(ns: dict, p: dict) -> dict:
    """interpolate called with the model in train mode, then in eval mode: the generator's mode
    at each of its calls during interpolate, and its mode afterwards."""
    b, steps, z_dim = p["n"], p["steps"], p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, LinearDiscriminator(PIXELS, p["seed"]))
    ob.seed_all(p["seed"])
    report: dict = {"file": file}
    for start in MODE_STARTS:
        model.train(start == "train")
        gen.calls.clear()
        model.interpolate(b, steps)
        report[start] = {"during": [bool(c.get("training")) for c in gen.calls],
                         "after": bool(gen.training)}
    return report


def judge_interpolate_mode(obs: dict, p: dict) -> Verdict:
    """interpolate runs the generator in eval mode (dropout off) and gives the caller back the
    mode it had, from train mode and from eval mode: as its docstring says."""
    note = graded_note(obs)
    for start in MODE_STARTS:
        seen = obs.get(start)
        if not isinstance(seen, dict) or not isinstance(seen.get("during"), list):
            raise ObservationError(f"{start} mode report missing")
        if not seen["during"]:
            return Verdict(False, "interpolate never called self.generator." + note)
        if any(seen["during"]):
            return Verdict(False, f"With the model in {start} mode, interpolate ran the generator in "
                           "training mode (dropout on): call self.generator.eval() before "
                           "generating, as interpolate's docstring says (eval mode, the model's "
                           "mode restored afterwards)." + note)
        after, before = seen.get("after"), start == "train"
        if after is not before:
            how = ("remember was_training = self.generator.training before self.generator.eval(), "
                   "and put it back afterwards with self.generator.train(was_training)")
            if before:
                return Verdict(False, "After interpolate the generator stayed in eval mode although "
                               f"it was training before: {how}." + note)
            return Verdict(False, "After interpolate the generator was in training mode although the "
                           "caller had it in eval mode: restore the caller's mode, not always "
                           f"train mode: {how} (not self.generator.train())." + note)
    return Verdict(True)
