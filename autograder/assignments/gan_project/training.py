"""gan_project: the checks of training: the optimizers, one epoch of ``train_gan`` / ``training_step``, a smoke run.

"""

from __future__ import annotations

import contextlib
import math
import tempfile

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.assignments.gan_project.files import (
    BETAS,
    IMAGE,
    PIXELS,
    STALE,
    STALE_STEP,
    LinearGenerator,
    _images,
    _loader,
    _main_args,
    _NullWriter,
    _Placeholder,
    _RecordingLogger,
    _Stop,
    _student_files,
    _trainer,
    build_gan,
    gan_kwargs,
    graded_file,
    graded_note,
    patched,
    stub_gan,
)
from autograder.checks import ObservationError, Verdict, changed, close, fmt, number, numbers, shape
from autograder.child.errors import describe_error
from autograder.checks import raised
from autograder.probes import device as meta
from autograder.probes.networks import LinearDiscriminator


def describe_optimizer(opt, generator: nn.Module, discriminator: nn.Module) -> dict:
    if not isinstance(opt, torch.optim.Optimizer):
        return {"type": type(opt).__name__[:40], "optimizer": False}
    gen_ids = {id(q) for q in generator.parameters()}
    disc_ids = {id(q) for q in discriminator.parameters()}
    held = [q for group in opt.param_groups for q in group["params"]]
    groups = opt.param_groups
    return {
        "type": type(opt).__name__[:40],
        "optimizer": True,
        "gen": sum(id(q) in gen_ids for q in held), "gen_total": len(gen_ids),
        "disc": sum(id(q) in disc_ids for q in held), "disc_total": len(disc_ids),
        "other": sum(id(q) not in gen_ids | disc_ids for q in held),
        "lr": [float(g.get("lr", float("nan"))) for g in groups][:4],
        "betas": [[float(b) for b in g.get("betas", ())] for g in groups][:4],
    }


def observe_optimizers(ns: dict, p: dict) -> dict:
    file, module = graded_file(ns)
    ob.seed_all(p["seed"])
    if file == "train_pl.py":
        model = build_gan(module, **gan_kwargs(p["z_dim"], lr=p["lr"]))
        result = model.configure_optimizers()
        if isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, list) for r in result):
            result = result[0]   # ([optimizers], [schedulers])
        if isinstance(result, dict):
            result = [result]
        items = list(result) if isinstance(result, (list, tuple)) else [result]
        opts = [i.get("optimizer") if isinstance(i, dict) else i for i in items]
        return {"file": file, "optimizers": [describe_optimizer(o, model.generator, model.discriminator)
                                             for o in opts[:4]],
                "count": len(opts), "same": len(opts) == 2 and opts[0] is opts[1]}
    captured: dict = {}

    def capture(model, train_loader, logger_gen, logger_disc, optimizer_gen, optimizer_disc, *a, **k):
        captured.update(model=model, opts=[optimizer_gen, optimizer_disc])
        raise _Stop

    with patched(module, mnist=lambda *a, **k: _loader(p), SummaryWriter=_NullWriter,
                 TensorBoardLogger=_RecordingLogger, train_gan=capture,
                 generate_and_save=lambda *a, **k: None, interpolate_and_save=lambda *a, **k: None,
                 default_device=lambda: torch.device("cpu"),
                 GeneratorMLP=_Placeholder, DiscriminatorMLP=_Placeholder):
        with contextlib.suppress(_Stop):
            main = getattr(module, "main", None)
            if main is None:
                raise ob.Missing("main (in train_torch.py)")
            main(_main_args(p, tempfile.mkdtemp()))
    if "model" not in captured:
        return {"file": file, "called": False}
    model, opts = captured["model"], captured["opts"]
    return {"file": file, "called": True, "count": 2, "same": opts[0] is opts[1],
            "optimizers": [describe_optimizer(o, model.generator, model.discriminator) for o in opts]}


def judge_optimizers(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    where = ("configure_optimizers" if pl else "main")
    if obs.get("called") is False:
        return Verdict(False, "main never called train_gan: build the two optimizers, then train "
                       "with train_gan(model, train_loader, logger_gen, logger_disc, "
                       "optimizer_gen, optimizer_disc)." + note)
    opts = obs.get("optimizers")
    if not isinstance(opts, list):
        raise ObservationError("optimizers missing")
    if pl and obs.get("count") != 2:
        return Verdict(False, f"configure_optimizers returned {obs.get('count')} optimizer(s), "
                       "expected two: [optimizer_gen, optimizer_disc]." + note)
    if obs.get("same") is True:
        return Verdict(False, f"{where} uses ONE optimizer for both networks: create two separate "
                       "optimizers, one over model.generator.parameters() and one over "
                       "model.discriminator.parameters(), so that each loss changes only its "
                       "own network." + note)
    for opt, mine, other, name in ((opts[0], "gen", "disc", "generator"),
                                   (opts[1], "disc", "gen", "discriminator")):
        if not isinstance(opt, dict):
            raise ObservationError("optimizer report malformed")
        label = "optimizer_gen" if mine == "gen" else "optimizer_disc"
        if opt.get("optimizer") is not True:
            return Verdict(False, f"{where}'s {label} is a {opt.get('type')}, not a torch "
                           "optimizer." + note)
        if number(opt, other) > 0 or number(opt, "other") > 0:
            both = " (model.parameters() holds both networks)" if number(opt, other) > 0 else ""
            return Verdict(False, f"{where}'s {label} also holds parameters that are not the "
                           f"{name}'s{both}: create separate optimizers, over "
                           f"model.{name}.parameters() only." + note)
        if number(opt, mine) != number(opt, f"{mine}_total"):
            order = (" configure_optimizers must return [optimizer_gen, optimizer_disc], in "
                     "this order." if pl else "")
            return Verdict(False, f"{where}'s {label} should hold all of the {name}'s parameters "
                           f"(model.{name}.parameters()), but holds {fmt(number(opt, mine))} of "
                           f"{fmt(number(opt, f'{mine}_total'))}.{order}" + note)
        if opt.get("type") != "Adam":
            return Verdict(False, f"{where}'s {label} is {opt.get('type')}, expected "
                           "torch.optim.Adam (with betas BETAS = (0.5, 0.999))." + note)
        lrs = numbers(opt, "lr")
        if not lrs or any(not close(lr, p["lr"]) for lr in lrs):
            source = "self.hparams.lr" if pl else "args.lr"
            return Verdict(False, f"{where}'s {label} has learning rate {fmt(lrs[0]) if lrs else '?'}, "
                           f"expected {p['lr']} = {source}." + note)
        betas = opt.get("betas")
        if not isinstance(betas, list) or any(
                not isinstance(b, list) or len(b) != 2 or not all(
                    isinstance(v, (int, float)) and close(float(v), w) for v, w in zip(b, BETAS, strict=True))
                for b in betas):
            return Verdict(False, f"{where}'s {label} uses betas {betas}, expected BETAS = "
                           "(0.5, 0.999): torch.optim.Adam(..., betas=BETAS)." + note)
    return Verdict(True)


def _phase_recorder(model, gen: nn.Module, disc: nn.Module, events: list):
    """Wrap the model's step methods: each call opens a phase with parameter snapshots."""
    def copies():
        return ([q.detach().clone() for q in gen.parameters()],
                [q.detach().clone() for q in disc.parameters()])

    def wrap(name):
        original = getattr(model, name)

        def step(*args, **kwargs):
            events.append({"method": name, "snap": (ob.snapshot(gen), ob.snapshot(disc)),
                           "copy": copies()})
            result = original(*args, **kwargs)
            if isinstance(result, (tuple, list)) and result and len(events) <= 64:
                try:
                    events[-1]["loss"] = ob.scalar(result[0], f"{name}'s loss")
                except TypeError:
                    events[-1]["loss"] = None
            return result
        return step

    model.generator_step = wrap("generator_step")
    model.discriminator_step = wrap("discriminator_step")
    return lambda: {"snap": (ob.snapshot(gen), ob.snapshot(disc)), "copy": copies()}


def _max_delta(before: list[torch.Tensor], after: list[torch.Tensor]) -> float:
    return max((float((a - b).abs().max()) for a, b in zip(after, before, strict=False) if a.numel()), default=0.0)


def _phases(events: list, final: dict) -> list[dict]:
    out = []
    for event, nxt in zip(events, [*events[1:], final], strict=True):
        out.append({
            "method": event["method"],
            "loss": event.get("loss"),
            "gen": [event["snap"][0], nxt["snap"][0]],
            "disc": [event["snap"][1], nxt["snap"][1]],
            "gen_delta": _max_delta(event["copy"][0], nxt["copy"][0]),
            "disc_delta": _max_delta(event["copy"][1], nxt["copy"][1]),
        })
    return out[:64]


class _GradientCheckingSGD(torch.optim.SGD):
    """SGD that, at each step, compares its parameters' gradients with its own loss's gradient.

    ``expected`` is set by the wrapped step method (the gradient of the loss it just returned,
    computed with ``torch.autograd.grad``); a gradient that differs at ``step()`` time holds
    something else too: a stale gradient, or the other network's loss (a leak).
    """

    def __init__(self, params, role: str, record: list):
        self.role, self.record, self.expected = role, record, None
        super().__init__(list(params), lr=0.01)

    def step(self, closure=None):
        params = [q for group in self.param_groups for q in group["params"]]
        if self.expected is not None and len(self.record) < 64:
            scale = max((float(e.abs().max()) for e in self.expected if e.numel()), default=0.0)
            diff = 0.0
            for q, e in zip(params, self.expected, strict=False):
                g = q.grad if q.grad is not None else torch.zeros_like(q)
                diff = max(diff, float((g.detach() - e).abs().max()))
            self.record.append({"optimizer": self.role, "mismatch": diff / max(scale, 1e-12)})
        return super().step(closure)


def _expect_gradients(model, name: str, optimizer: _GradientCheckingSGD) -> None:
    """Wrap ``model.<name>`` so that the optimizer learns the gradient its loss should give."""
    inner = getattr(model, name)
    params = [q for group in optimizer.param_groups for q in group["params"]]

    def step(*args, **kwargs):
        result = inner(*args, **kwargs)
        loss = result[0] if isinstance(result, (tuple, list)) and result else None
        optimizer.expected = None
        if isinstance(loss, torch.Tensor) and loss.requires_grad:
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
            optimizer.expected = [torch.zeros_like(q) if g is None else g.detach().clone()
                                  for q, g in zip(params, grads, strict=True)]
        return result
    setattr(model, name, step)


def _record_lightning_logs(model, logged: list) -> None:
    """Replace ``model.log`` / ``model.log_dict`` by recorders of (key, value)."""
    def record(key, value) -> None:
        if len(logged) < 200:
            try:
                logged.append([str(key)[:80], ob.scalar(value, "a logged value")])
            except TypeError:
                logged.append([str(key)[:80], None])

    def log(name, value, *args, **kwargs):
        record(name, value)

    def log_dict(dictionary, *args, **kwargs):
        for key, value in (dictionary.items() if isinstance(dictionary, dict) else []):
            record(key, value)

    model.log, model.log_dict = log, log_dict


def observe_isolation(ns: dict, p: dict) -> dict:
    z_dim = p["z_dim"]
    gen = LinearGenerator(z_dim, p["seed"], tanh=True)
    disc = LinearDiscriminator(PIXELS, p["seed"])
    file, model = stub_gan(ns, z_dim, gen, disc)
    ob.seed_all(p["seed"])
    steps: list = []
    opt_gen = _GradientCheckingSGD(gen.parameters(), "gen", steps)
    opt_disc = _GradientCheckingSGD(disc.parameters(), "disc", steps)

    def plant_stale_gradients(*args) -> None:  # a stale gradient from "the previous batch"
        with torch.no_grad():
            for q in [*gen.parameters(), *disc.parameters()]:
                q.grad = torch.full_like(q, STALE)

    events: list = []
    final = _phase_recorder(model, gen, disc, events)
    _expect_gradients(model, "generator_step", opt_gen)
    _expect_gradients(model, "discriminator_step", opt_disc)
    report: dict = {"file": file}
    if file == "train_pl.py":
        import lightning.pytorch as pl

        # Lightning zeroes the gradients when fit starts: plant them when training starts.
        planter = type("PlantStaleGradients", (pl.Callback,), {"on_train_start": plant_stale_gradients})
        model.configure_optimizers = lambda: [opt_gen, opt_disc]
        logged: list = []
        _record_lightning_logs(model, logged)
        _trainer(callbacks=[planter()]).fit(model, _loader(p))
        report["lightning_logged"] = logged
    else:
        train_gan = getattr(ob.need(ns, "train_torch"), "train_gan", None)
        if train_gan is None:
            raise ob.Missing("train_gan (in train_torch.py)")
        logger_gen, logger_disc = _RecordingLogger(), _RecordingLogger()
        batches = list(_images(p).split(p["batch"]))
        plant_stale_gradients()
        train_gan(model, batches, logger_gen, logger_disc, opt_gen, opt_disc)
        report["logged"] = [logger_gen.calls, logger_disc.calls]
        report["logged_losses"] = {"gen": logger_gen.losses, "disc": logger_disc.losses}
    report["phases"] = _phases(events, final())
    report["optimizer_steps"] = steps
    return report


def judge_isolation(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    where = "training_step" if pl else "train_gan"
    batches = math.ceil(p["images"] / p["batch"])
    phases = obs.get("phases")
    if not isinstance(phases, list):
        raise ObservationError("phases missing")
    methods = [ph.get("method") for ph in phases if isinstance(ph, dict)]
    for method in ("generator_step", "discriminator_step"):
        count = methods.count(method)
        if count != batches:
            return Verdict(False, f"Over {batches} batches of real images, {where} called "
                           f"model.{method} {count} time(s), expected once per batch "
                           "(one generator step and one discriminator step)." + note)
    names = {"gen": "generator", "disc": "discriminator"}
    opts = {"gen": "optimizer_gen", "disc": "optimizer_disc"}
    calls = {"generator_step": 0, "discriminator_step": 0}
    for ph in phases:
        mine = "gen" if ph.get("method") == "generator_step" else "disc"
        other = "disc" if mine == "gen" else "gen"
        calls[ph.get("method")] += 1
        step = f"In {where}, batch {calls[ph.get('method')]}: after model.{ph.get('method')}"
        before, after = ph.get(other, [None, None])[:2], ph.get(mine, [None, None])[:2]
        if changed(*before):
            return Verdict(False, f"{step}, the {names[other]}'s weights changed: after the "
                           f"{names[mine]}'s loss, zero_grad, backward and step {opts[mine]} only "
                           f"(not {opts[other]})." + note)
        if not changed(*after):
            return Verdict(False, f"{step}, the {names[mine]}'s weights did not change: call "
                           f"{opts[mine]}.zero_grad(), backpropagate that loss "
                           f"({'self.manual_backward(loss)' if pl else 'loss.backward()'}) and call "
                           f"{opts[mine]}.step()." + note)
        delta = number(ph, f"{mine}_delta")
        if not math.isfinite(delta) or delta > STALE_STEP:
            return Verdict(False, f"{step}, the {names[mine]}'s step used a stale gradient left "
                           f"from before: call {opts[mine]}.zero_grad() right before its backward "
                           "pass (the generator's loss also leaves gradients in the "
                           "discriminator)." + note)
        loss = ph.get("loss")
        if not isinstance(loss, (int, float)) or isinstance(loss, bool) or not math.isfinite(loss):
            return Verdict(False, f"{step}, its loss was {loss}, not a finite number." + note)
    count = {"gen": 0, "disc": 0}
    for record in obs.get("optimizer_steps") or []:
        if not isinstance(record, dict) or record.get("optimizer") not in names:
            raise ObservationError("optimizer steps malformed")
        mine = record["optimizer"]
        count[mine] += 1
        mismatch = number(record, "mismatch")
        if not math.isfinite(mismatch) or mismatch > 1e-3:
            other = "disc" if mine == "gen" else "gen"
            method = "generator_step" if mine == "gen" else "discriminator_step"
            cause = (" The generator's loss.backward() also leaves gradients in the "
                     "discriminator, and they leak into the discriminator's step when its "
                     "optimizer is zeroed before that (e.g. both optimizers zeroed at the top "
                     "of the loop)." if mine == "disc" else "")
            return Verdict(False, f"In {where}, batch {count[mine]}: when {opts[mine]}.step() ran, "
                           f"the {names[mine]}'s gradients were not those of the loss of "
                           f"model.{method} alone (they differed by {fmt(100 * mismatch)}%).{cause} "
                           f"Call {opts[mine]}.zero_grad() right before the {names[mine]}'s "
                           f"backward pass, after the {names[other]}'s step." + note)
    return Verdict(True)


def judge_logging_of_training(obs: dict, p: dict) -> Verdict:
    """Each batch's two logging dicts go to the right logger (train_torch) or prefix (Lightning)."""
    note = graded_note(obs)
    phases = obs.get("phases")
    if not isinstance(phases, list):
        raise ObservationError("phases missing")
    losses = {m: [ph.get("loss") for ph in phases if isinstance(ph, dict) and ph.get("method") == m]
              for m in ("generator_step", "discriminator_step")}
    batches = math.ceil(p["images"] / p["batch"])

    def same(got: list, want: list) -> bool:
        return len(got) == len(want) and all(
            isinstance(g, (int, float)) and isinstance(w, (int, float)) and close(float(g), float(w))
            for g, w in zip(got, want, strict=True))

    if obs.get("file") == "train_pl.py":
        logged = obs.get("lightning_logged")
        if not isinstance(logged, list):
            raise ObservationError("logs missing")
        if not logged:
            return Verdict(False, f"Over {batches} batches, training_step logged nothing: log both "
                           "logging dicts with self.log_dict, under the prefixes generator/ and "
                           "discriminator/ (e.g. self.log_dict({f'generator/{k}': v for k, v in "
                           "logging_gen.items()}))." + note)
        for prefix, method in (("generator/", "generator_step"), ("discriminator/", "discriminator_step")):
            values = [v for k, v in logged if isinstance(k, str) and k == f"{prefix}loss"]
            if not same(values, losses[method]):
                other = "discriminator_step" if method == "generator_step" else "generator_step"
                swapped = " (those are model." + other + "'s losses: are the prefixes swapped?)" \
                    if same(values, losses[other]) else ""
                return Verdict(False, f"training_step logged {prefix}loss = {values[:4]}, expected "
                               f"model.{method}'s losses {losses[method][:4]}, once per batch"
                               f"{swapped}: log each step's logging dict under its own prefix, "
                               f"self.log_dict({{f'{prefix}{{k}}': v ...}})." + note)
        return Verdict(True)
    logged = obs.get("logged")
    if isinstance(logged, list) and logged != [batches, batches]:
        return Verdict(False, f"train_gan called logger_gen.add_values and logger_disc.add_values "
                       f"{logged} times for {batches} batches, expected once each per batch." + note)
    got = obs.get("logged_losses")
    if not isinstance(got, dict):
        raise ObservationError("logged losses missing")
    gen_logged, disc_logged = got.get("gen"), got.get("disc")
    if not (isinstance(gen_logged, list) and isinstance(disc_logged, list)):
        raise ObservationError("logged losses malformed")
    if same(gen_logged, losses["discriminator_step"]) and same(disc_logged, losses["generator_step"]):
        return Verdict(False, "The two loggers are swapped: logger_gen received the "
                       "discriminator's logging dicts and logger_disc the generator's. Log "
                       "logging_gen with logger_gen.add_values and logging_disc with "
                       "logger_disc.add_values." + note)
    for name, values, method in (("logger_gen", gen_logged, "generator_step"),
                                 ("logger_disc", disc_logged, "discriminator_step")):
        if not same(values, losses[method]):
            return Verdict(False, f"{name}.add_values received dicts with 'loss' = {values[:4]}, "
                           f"expected model.{method}'s logging dicts (loss {losses[method][:4]}), "
                           "one per batch." + note)
    return Verdict(True)


def _smoke(ns: dict, p: dict, device: str) -> dict:
    file, module = graded_file(ns)
    ob.need(ns, "models")
    ob.seed_all(p["seed"])
    events: list = []
    holder: dict = {}

    def instrument(model):
        before = (ob.snapshot(model.generator), ob.snapshot(model.discriminator))
        final = _phase_recorder(model, model.generator, model.discriminator, events)
        holder.update(model=model, before=before, final=final)

    if file == "train_pl.py":
        model = module.GAN(**gan_kwargs(p["z_dim"], p["lr"], p["hidden_gen"], p["hidden_disc"], 0.1, 0.3))
        instrument(model)
        _trainer(device).fit(model, _loader(p))
    else:
        original = module.train_gan

        def train_gan(model, *args, **kwargs):
            if "model" not in holder:   # main calls train_gan once per step: instrument once
                instrument(model)
            return original(model, *args, **kwargs)

        with patched(module, mnist=lambda *a, **k: _loader(p), SummaryWriter=_NullWriter,
                     train_gan=train_gan, generate_and_save=lambda *a, **k: None,
                     interpolate_and_save=lambda *a, **k: None,
                     default_device=lambda: torch.device(device)):
            module.main(_main_args(p, tempfile.mkdtemp()))
    if "model" not in holder:
        return {"file": file, "trained": False}
    model = holder["model"].to(device)   # Lightning moves the model back to the CPU after fit
    after = (ob.snapshot(model.generator), ob.snapshot(model.discriminator))
    losses = {m: [e.get("loss") for e in events if e["method"] == m][:8]
              for m in ("generator_step", "discriminator_step")}
    samples = ob.tensor_info(model.sample(4))
    lines = ob.tensor_info(model.interpolate(2, 3))
    return {"file": file, "trained": True, "losses": losses,
            "gen": [holder["before"][0], after[0]], "disc": [holder["before"][1], after[1]],
            "sample": {k: samples.get(k) for k in ("shape", "device", "min", "max")},
            "interpolate": {k: lines.get(k) for k in ("shape", "device")}}


def observe_smoke(ns: dict, p: dict) -> dict:
    def cuda_failed(exc: BaseException) -> dict:
        if meta.cuda_backward_usable():
            return {"cuda": {"error": describe_error(exc, _student_files(ns))}}
        # CUDA broke for the grader's own tensors too: not the student's mistake
        return {"cuda_skipped": meta.short_error(exc, 200)}

    report = meta.on_cpu_then_cuda(lambda: _smoke(ns, p, "cpu"), lambda: _smoke(ns, p, "cuda"),
                                   lambda exc: describe_error(exc, _student_files(ns)), cuda_failed)
    return report if "file" in report else {"file": graded_file(ns)[0], **report}


def _judge_run(run: dict, p: dict, where: str) -> str | None:
    if "error" in run:
        error = run["error"] if isinstance(run["error"], dict) else {}
        return f"{where}, your code raised {raised(error)}."
    if run.get("trained") is not True:
        return f"{where}, train_gan was never called."
    losses = run.get("losses")
    if not isinstance(losses, dict):
        raise ObservationError("losses missing")
    for method, values in losses.items():
        if not isinstance(values, list) or not values:
            return f"{where}, model.{method} was never called."
        bad = [v for v in values if not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            return f"{where}, model.{method} returned the loss {bad[0]}, not a finite number."
    for key, name in (("gen", "generator"), ("disc", "discriminator")):
        if not changed(*run.get(key, [None, None])[:2]):
            return f"{where}, the {name}'s weights did not change."
    device = p.get("device", "cpu")
    sample, lines = run.get("sample", {}), run.get("interpolate", {})
    if shape(sample) != (4, *IMAGE):
        return f"{where}, model.sample(4) returned shape {list(shape(sample))}, expected [4, 1, 28, 28]."
    if shape(lines) != (2, 5, *IMAGE):
        return (f"{where}, model.interpolate(2, 3) returned shape {list(shape(lines))}, expected "
                "[2, 5, 1, 28, 28].")
    if sample.get("device") != device or lines.get("device") != device:
        return (f"{where}, sample/interpolate returned images on {sample.get('device')}/"
                f"{lines.get('device')}: create z on the model's device (device=self.device).")
    return None


def judge_smoke(obs: dict, p: dict) -> Verdict:
    note = graded_note(obs)
    pl = obs.get("file") == "train_pl.py"
    what = ("a Lightning Trainer with your GAN" if pl else "your main() with your GAN")
    where = (f"Training one epoch ({p['images']} images, batches of {p['batch']}) through {what} "
             "and your optimizers")
    tail = " This check runs all your code together: if another check fails, fix that one first."
    problem = _judge_run(obs, p, where)
    if problem:
        return Verdict(False, problem + tail + note)
    cuda = obs.get("cuda")
    if cuda is not None:
        if not isinstance(cuda, dict):
            raise ObservationError("cuda report malformed")
        problem = _judge_run(cuda, dict(p, device="cuda"), where + " on a GPU")
        if problem:
            return Verdict(False, problem + " Create every tensor on the model's device "
                           "(torch.randn(..., device=self.device) or x_real.device)." + note)
    return Verdict(True)
