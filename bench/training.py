"""Train a reference solution as shipped and watch it learn: steps/s, quality at fixed times, a grid.

    export GAN_COURSE_DATA=/path/to/mnist
    python bench/training.py first_gan --budget 180                    # 30 s, 1 min, 3 min marks
    python bench/training.py first_gan --budget 60 --seed-loop         # and the seed's loop beside it
    python bench/training.py gan_project --budget 180 --trainer pl      # train_pl.py instead of train_torch.py
    python bench/training.py first_gan --budget 120 --set lr=1e-4      # try another setting (a sweep)

What runs is the reference solution's own training, as a student runs it:

* a notebook (``solutions/ID/ID.ipynb``): its code cells top to bottom, with the settings cell as
  shipped (its GPU run on a GPU, its quick CPU run on a CPU), self-check cells and the final
  ``evaluate`` cell left out. Its own progress bar, pictures and tracker all run;
* ``gan_project``: ``train_torch.main`` (or ``train_pl.main``) with the script's default arguments.

At each mark (``--marks``, in seconds of training; default 30, 60, 180, 600 up to ``--budget``)
the clock stops, a copy of the generator is judged by ``gan_course.evaluate`` on 5000 samples,
and one JSON line is printed (and appended to ``--log``): steps, steps/s, Fréchet distance, digits
present, share recognisable, verdict, and the process's peak memory (``max_rss_mb``). After the
last mark the training is stopped; when the shipped run ends first, its end is a mark too. A
sample grid of the last mark goes to ``--out/ID.png``.

``--seed-loop`` first runs the seed's own training loop (transcribed from ``../shared/seeds``, with
the seed's settings and data path; dcgan's from Coursera's week-2 DCGAN notebook, its anchor) for
``--seed-seconds`` on the same device, and reports its steps/s. Where a seed's step function
"returns the loss value", the seed loop reads what the reference's function returns with one
``float(...)`` per step, as the seed's ``.item()`` did: a Python float or a 0-d tensor, both work.

At the end of every run one ``summary`` line: the shipped loop's steps/s (its steps over its
training time up to its last mark), the seed loop's steps/s and their ratio (with
``--seed-loop``), and whether the quality target (at least 9 digits with 2 % of the samples each,
at least 80 % recognisable: ``bench/training_table.py``'s ``target_met``) was met at a mark at or
before ``--target-seconds`` of training (180 on a GPU, 900 on a CPU), and first when. ``null``
where the run was stopped before that time without meeting it (not judged far enough).

``--stop-when-met`` ends the training at the first time mark that meets the target (for
``gan_project``, whose 250 epochs run past any budget: the summary needs no later mark).

``--step-marks N ...`` judges the generator at those step counts too: quality per step, to try on
a GPU in seconds the recipes of a CPU run (a 2-core CPU's 15 minutes of first_gan are about 28k
steps).

``--set NAME=VALUE`` replaces a notebook variable (a Python literal) right after the statement
that assigns it, so the rest of that cell sees it too (a NAME that no cell assigns stops the run
at once), or sets a ``gan_project`` argument;
``--replace 'OLD=>NEW'`` replaces text in the notebook's cells before they run (a setting written
inside a function, such as a ``DataLoader``'s ``batch_size``). Both are for trying recipes, not
for the figures of record.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.pop("GAN_COURSE_GRADING", None)
os.environ.setdefault("MPLBACKEND", "Agg")

from gan_course import evaluate as ev  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from training_table import target_met  # noqa: E402

NOTEBOOKS = ("first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "dcgan")
EVAL_SAMPLES = 5000


class BudgetReached(Exception):
    """The last mark is taken: stop the training."""


def machine() -> str:
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {gpu}, torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch threads, Python {platform.python_version()}")


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


# --------------------------------------------------------------------------------------------
# The clock: counts steps, stops at the marks, judges the generator there
# --------------------------------------------------------------------------------------------

class Clock:
    """Training time with marks; the time spent judging at a mark does not count."""

    def __init__(self, assignment: str, marks: list[float], out: Path, log: Path, extra: dict,
                 step_marks: list[int] = (), stop_when_met: bool = False):
        self.assignment, self.marks, self.out, self.log, self.extra = assignment, sorted(marks), out, log, extra
        self.step_marks = sorted(step_marks)      # judged too, at these step counts (not the last)
        self.stop_when_met = stop_when_met        # stop at the first mark that meets the target
        self.started: float | None = None
        self.paused = 0.0
        self.steps = 0
        self.rows: list[dict] = []

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started - self.paused

    def tick(self, generator: torch.nn.Module) -> None:
        """Called once per training step (before or after it: one call per step)."""
        if self.started is None:
            self.started = time.monotonic()
        self.steps += 1
        if self.step_marks and self.steps >= self.step_marks[0]:
            sync()
            elapsed = self.elapsed()
            t0 = time.monotonic()
            self.judge(generator, f"{self.step_marks.pop(0)} steps", elapsed, last=False)
            self.paused += time.monotonic() - t0
        if self.marks and self.elapsed() >= self.marks[0]:
            sync()
            elapsed = self.elapsed()
            t0 = time.monotonic()
            mark = self.marks.pop(0)
            row = self.judge(generator, mark, elapsed, last=not self.marks)
            self.paused += time.monotonic() - t0
            if self.stop_when_met and target_met(row):
                self.marks.clear()
            if not self.marks:
                raise BudgetReached

    def judge(self, generator: torch.nn.Module, mark: float | str, elapsed: float, last: bool) -> dict:
        peak = max_rss_mb()                           # of the training so far, before the judging
        twin = copy.deepcopy(generator)
        out_dir = self.out / f"{self.assignment}_grid" if last or self.stop_when_met else None
        result = ev.evaluate(twin, n=EVAL_SAMPLES, out_dir=out_dir, show=False, quiet=True)
        if out_dir is not None:                       # keep the grid, flat: out/ID.png
            (out_dir / "samples.png").replace(self.out / f"{self.assignment}.png")
            (out_dir / "digit_shares.png").unlink(missing_ok=True)
            out_dir.rmdir()
        row = {"kind": "training", "assignment": self.assignment, "mark": mark,
               "seconds": round(elapsed, 1), "steps": self.steps,
               "steps_per_s": round(self.steps / max(elapsed, 1e-9), 1),
               "fd": round(result.frechet_distance, 1), "digits": result.digits_present,
               "confident": result.confident_share, "verdict": result.verdict,
               "shares": result.digit_shares, "max_rss_mb": peak, **self.extra}
        record(self.log, row)
        self.rows.append(row)
        return row


def max_rss_mb() -> int:
    """The process's peak resident memory so far, in MiB: a training loop that keeps growing
    shows here (the judging at earlier marks counts too)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss     # KiB on Linux, bytes on macOS
    return int(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10))


def record(log: Path | None, row: dict) -> None:
    row = {**row, "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    line = json.dumps(row)
    print(line, flush=True)
    if log is not None:
        with open(log, "a") as f:
            f.write(line + "\n")


# --------------------------------------------------------------------------------------------
# Running a notebook's cells
# --------------------------------------------------------------------------------------------

def notebook_cells(assignment: str) -> list[tuple[str, str]]:
    """(grade_id, source) of the reference notebook's code cells, without self-checks."""
    nb = json.loads((REPO / "solutions" / assignment / f"{assignment}.ipynb").read_text())
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        source = "".join(cell["source"])
        if gid.startswith("check_") or gid == "evaluate":
            continue
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        cells.append((gid, "\n".join(lines)))
    return cells


def assigned_names(node: ast.stmt) -> set[str]:
    """The plain names a top-level statement assigns (``a = ...``, ``a: int = ...``, ``a += ...``)."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
        node, (ast.AnnAssign, ast.AugAssign)) else []
    return {t.id for t in targets if isinstance(t, ast.Name)}


def notebook_variables(cells: list[tuple[str, str]]) -> set[str]:
    """The names the cells' top-level statements assign: what ``--set`` can replace."""
    return {name for _, source in cells for node in ast.parse(source).body
            for name in assigned_names(node)}


def with_overrides(source: str, names: set[str], filename: str):
    """Compile a cell so that each overridden name takes its new value right after the statement
    that assigns it, before the rest of the cell uses it (a DataLoader built from ``batch_size``
    two lines further down sees the new batch size)."""
    tree = ast.parse(source)
    body = []
    for node in tree.body:
        body.append(node)
        for name in sorted(assigned_names(node) & names):
            body.append(ast.parse(f"{name} = __bench_overrides__[{name!r}]").body[0])
    tree.body = body
    return compile(ast.fix_missing_locations(tree), filename, "exec")


def run_notebook(assignment: str, clock: Clock, overrides: dict, stop_before: str | None = None,
                 replacements: list[tuple[str, str]] = ()) -> dict:
    """Execute the twin's cells in one namespace; the tracker's update() ticks the clock.

    With ``stop_before``, run the cells before that grade_id only and return the namespace.
    Each (old, new) of ``replacements`` must occur in some cell: a typo fails at once.
    """
    class TimedTracker(ev.Tracker):
        def update(self, generator, step=None):
            clock.tick(generator)
            return super().update(generator, step)

    cells = notebook_cells(assignment)
    for old, new in replacements:
        if not any(old in source for _, source in cells):
            raise SystemExit(f"--replace: {old!r} is not in any cell of {assignment}")
        cells = [(gid, source.replace(old, new)) for gid, source in cells]
    unassigned = sorted(set(overrides) - notebook_variables(cells))
    if unassigned:   # a typo would otherwise run the recipe unchanged, without a word
        raise SystemExit(f"--set: no cell of {assignment} assigns {', '.join(unassigned)} "
                         f"(a setting inside a function needs --replace)")
    ev.Tracker = TimedTracker                      # the notebook imports it after this line
    ns: dict = {"__name__": "__main__", "__bench_overrides__": overrides}
    for gid, source in cells:
        if gid == stop_before:
            return ns
        try:
            exec(with_overrides(source, set(overrides), f"<{assignment}:{gid}>"), ns)
        except BudgetReached:
            return ns
    sync()
    if clock.marks:                                # the shipped run ended before the budget
        clock.judge(ns_generator(assignment, ns), "end", clock.elapsed(), last=True)
    return ns


def ns_generator(assignment: str, ns: dict) -> torch.nn.Module:
    for name in ("gen", "generator"):
        if isinstance(ns.get(name), torch.nn.Module):
            return ns[name]
    raise RuntimeError(f"{assignment}: no trained generator in the notebook's namespace")


# --------------------------------------------------------------------------------------------
# gan_project: the training script
# --------------------------------------------------------------------------------------------

def run_gan_project(clock: Clock, overrides: dict, trainer: str) -> dict:
    import tempfile

    folder = REPO / "solutions" / "gan_project"
    sys.path.insert(0, str(folder))
    script = __import__("train_pl" if trainer == "pl" else "train_torch")
    models: list = []

    class TrackedGAN(script.GAN):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            models.append(self)

    class TimedLoader:
        def __init__(self, loader):
            self.loader = loader

        def __len__(self):
            return len(self.loader)

        def __iter__(self):
            for batch in self.loader:
                clock.tick(models[-1].generator)
                yield batch

    original_mnist = script.mnist
    script.GAN = TrackedGAN
    script.mnist = lambda **kwargs: TimedLoader(original_mnist(**kwargs))
    argv = ["--log_dir", tempfile.mkdtemp(prefix="bench_training_")]
    for name, value in overrides.items():
        argv += [f"--{name}", *(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))]
    args = script.get_parser().parse_args(argv)
    try:
        (script.main if trainer == "torch" else script.train_gan)(args)
    except BudgetReached:
        return vars(args)
    if clock.marks:
        clock.judge(models[-1].generator, "end", clock.elapsed(), last=True)
    return vars(args)


# --------------------------------------------------------------------------------------------
# The seeds' own loops, on the same device: the yardstick for the shipped loops' speed
# --------------------------------------------------------------------------------------------

def _timed(step, seconds: float) -> float:
    """Call step() until ``seconds`` have passed; steps per second (the first 5 steps are warm-up)."""
    for _ in range(5):
        step()
    sync()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    sync()
    return n / (time.perf_counter() - t0)


def _endless(loader):
    while True:
        yield from loader


def seed_loop_first_gan(ns: dict, seconds: float) -> float:
    """Seed 004's loop: DataLoader batches copied to the device, lr 1e-5, four host syncs a step."""
    import matplotlib.pyplot as plt
    from torch.utils.data import DataLoader

    from gan_course.data import mnist_dataset

    device, z_dim, criterion = ns["device"], ns["z_dim"], ns["criterion"]
    gen, disc = ns["Generator"](z_dim).to(device), ns["Discriminator"]().to(device)
    gen_opt = torch.optim.Adam(gen.parameters(), lr=0.00001)
    disc_opt = torch.optim.Adam(disc.parameters(), lr=0.00001)
    batches = _endless(DataLoader(mnist_dataset("train"), batch_size=128, shuffle=True))
    state = {"step": 0, "mean_g": 0.0, "mean_d": 0.0}
    display_step = 500

    def step():
        real, _ = next(batches)
        cur_batch_size = len(real)
        real = real.view(cur_batch_size, -1).to(device)
        disc_opt.zero_grad()
        disc_loss = ns["get_disc_loss"](gen, disc, criterion, real, cur_batch_size, z_dim, device)
        disc_loss.backward(retain_graph=True)
        disc_opt.step()
        old_generator_weights = gen.gen[0][0].weight.detach().clone()
        gen_opt.zero_grad()
        gen_loss = ns["get_gen_loss"](gen, disc, criterion, cur_batch_size, z_dim, device)
        gen_loss.backward()
        gen_opt.step()
        assert torch.any(gen.gen[0][0].weight.detach().clone() != old_generator_weights)
        state["mean_d"] += disc_loss.item() / display_step
        state["mean_g"] += gen_loss.item() / display_step
        if state["step"] % display_step == 0 and state["step"] > 0:
            fake = gen(ns["get_noise"](cur_batch_size, z_dim, device=device))
            ns["show_tensor_images"](fake)
            ns["show_tensor_images"](real)
            plt.close("all")
            state["mean_g"] = state["mean_d"] = 0.0
        state["step"] += 1

    return _timed(step, seconds)


def seed_loop_gan_tutorial(ns: dict, seconds: float) -> float:
    """Seed 001's train(): DataLoader of 100, images copied every step, lr 2e-4, betas (0.5, 0.999)."""
    from torch import nn

    device = ns["default_device"]() if "default_device" in ns else torch.device(
        "cuda" if torch.cuda.is_available() else "cpu")
    generator, discriminator = ns["Generator"]().to(device), ns["Discriminator"]().to(device)
    criterion = nn.BCEWithLogitsLoss()
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=0.0002, betas=(0.5, 0.999))
    batches = _endless(torch.utils.data.DataLoader(ns["mnist_data"], batch_size=100, shuffle=True))

    def step():
        images, _ = next(batches)
        noise = torch.randn(images.size(0), 100).to(device)
        fake_images = generator(noise)
        inputs = torch.cat([images.to(device), fake_images])
        labels = torch.cat([torch.ones(images.size(0)), torch.zeros(images.size(0))])
        d_outputs = discriminator(inputs)
        d_loss = criterion(d_outputs, labels.to(device))
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        noise = torch.randn(images.size(0), 100)
        fake_images = generator(noise.to(device))
        outputs = discriminator(fake_images.to(device))
        g_loss = criterion(outputs, torch.ones(images.size(0)).to(device))
        g_optimizer.zero_grad()
        g_loss.backward()
        g_optimizer.step()

    return _timed(step, seconds)


def _seed_sample_mnist(train):
    """Seed 000's sampler: N images drawn with numpy on the host, scaled to [-1, 1)."""
    import numpy as np

    def sample_mnist(N):
        idx = np.random.choice(np.arange(len(train)), N)
        X = 2 * (train[idx] / 256 - 0.5)
        return torch.FloatTensor(X)
    return sample_mnist


def seed_loop_training_a_gan(ns: dict, seconds: float) -> float:
    """Seed 000: train_generator then train_discriminator, batch 100, lr 1e-4, numpy sampler.

    The seed's functions "return the loss value" and its loop tracks both losses: one ``float()``
    of each per step (a float or a 0-d tensor, whichever the reference returns). The reference's
    ``make_real_and_fake`` finds ``sample_mnist`` in the notebook's namespace: for this loop it is
    the seed's numpy sampler again, whatever the notebook ships now.
    """
    import numpy as np

    device = ns["device"]
    generator, discriminator = ns["make_generator"]().to(device), ns["make_discriminator"]().to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=1e-4)
    losses_g: list[float] = []
    losses_d: list[float] = []

    def step():
        losses_g.append(float(ns["train_generator"](100, opt_g, generator, discriminator)))
        losses_d.append(float(ns["train_discriminator"](100, opt_d, generator, discriminator)))

    shipped_sampler = ns.get("sample_mnist")
    train = ns.get("TRAIN")
    if not isinstance(train, np.ndarray):
        from gan_course.data import load_mnist
        train = load_mnist("train")[0].numpy()          # uint8 (60000, 28, 28)
    ns["sample_mnist"] = _seed_sample_mnist(train)
    try:
        return _timed(step, seconds)
    finally:
        if shipped_sampler is None:
            ns.pop("sample_mnist", None)
        else:
            ns["sample_mnist"] = shipped_sampler


def seed_loop_dropout_gan(ns: dict, seconds: float) -> float:
    """Seed 003's steps: DataLoader batches copied to the device, a loss .item() each step."""
    from torch.utils.data import DataLoader

    device, latent_dim, loss_func = ns["device"], ns["latent_dim"], ns["loss_func"]
    generator = ns["MNISTGenerator"](latent_dim).to(device)
    discriminator = ns["MNISTDiscriminator"]().to(device)
    gen_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    disc_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    batches = _endless(DataLoader(ns["dataset"], batch_size=128, shuffle=True))
    losses: list[float] = []

    def step():
        images, _ = next(batches)
        images = images.to(device)
        batch_size = images.shape[0]
        noise = torch.randn(batch_size, latent_dim, device=device)
        generated_images = generator(noise).detach()
        real_discriminator_pred = discriminator(images)
        gen_discriminator_pred = discriminator(generated_images)
        true_labels = torch.ones_like(real_discriminator_pred)
        generated_labels = torch.zeros_like(gen_discriminator_pred)
        real_loss = loss_func(real_discriminator_pred, true_labels)
        fake_loss = loss_func(gen_discriminator_pred, generated_labels)
        disc_loss = (real_loss + fake_loss) / 2
        disc_optimizer.zero_grad()
        disc_loss.backward()
        disc_optimizer.step()
        noise = torch.randn(batch_size, latent_dim, device=device)
        generated_images = generator(noise)
        gen_discriminator_pred = discriminator(generated_images)
        generator_loss = loss_func(gen_discriminator_pred, true_labels)
        losses.append(generator_loss.item())
        gen_optimizer.zero_grad()
        generator_loss.backward()
        gen_optimizer.step()

    return _timed(step, seconds)


def seed_loop_dcgan(ns: dict, seconds: float) -> float:
    """dcgan's anchor, Coursera's week-2 DCGAN notebook (GANs specialization, course 1, week 2,
    "Deep Convolutional GAN"): its training loop, which has the shape of first_gan's seed loop.

    A ``DataLoader`` of 128 over MNIST in [-1, 1] (``ToTensor`` then ``Normalize((0.5,), (0.5,))``:
    here dcgan's ``mnist_dataset("train", value_range=(-1, 1))``), each batch copied to the device
    every step; Adam with lr 2e-4 and betas (0.5, 0.999); both networks through ``weights_init``;
    per step the discriminator's update (``backward(retain_graph=True)``) and the generator's, with
    one ``.item()`` of each loss for the running means; every 500 steps the generated and the real
    images shown. Coursera's notebook writes the two losses inline; this transcription calls
    dcgan's own ``get_disc_loss`` / ``get_gen_loss`` / ``get_noise``, which compute the same.
    The networks are the notebook's as its models cell builds them (copies, before training: its
    discriminator is wider than Coursera's 16), so the two loops differ in the loop alone, as the
    other seed loops do. Not among ``../shared/seeds``: transcribed from that notebook as the
    course publishes it.
    """
    import matplotlib.pyplot as plt
    from torch.utils.data import DataLoader

    from gan_course.data import mnist_dataset

    device, z_dim, criterion = ns["device"], ns["z_dim"], ns["criterion"]
    gen = copy.deepcopy(ns["gen"]).to(device)          # the models cell's networks, untrained
    gen_opt = torch.optim.Adam(gen.parameters(), lr=0.0002, betas=(0.5, 0.999))
    disc = copy.deepcopy(ns["disc"]).to(device)
    disc_opt = torch.optim.Adam(disc.parameters(), lr=0.0002, betas=(0.5, 0.999))
    gen = gen.apply(ns["weights_init"])
    disc = disc.apply(ns["weights_init"])
    batches = _endless(DataLoader(mnist_dataset("train", value_range=(-1.0, 1.0)), batch_size=128,
                                  shuffle=True))
    state = {"step": 0, "mean_g": 0.0, "mean_d": 0.0}
    display_step = 500

    def step():
        real, _ = next(batches)
        cur_batch_size = len(real)
        real = real.to(device)
        disc_opt.zero_grad()
        disc_loss = ns["get_disc_loss"](gen, disc, criterion, real, cur_batch_size, z_dim, device)
        state["mean_d"] += disc_loss.item() / display_step
        disc_loss.backward(retain_graph=True)
        disc_opt.step()
        gen_opt.zero_grad()
        gen_loss = ns["get_gen_loss"](gen, disc, criterion, cur_batch_size, z_dim, device)
        gen_loss.backward()
        gen_opt.step()
        state["mean_g"] += gen_loss.item() / display_step
        if state["step"] % display_step == 0 and state["step"] > 0:
            fake = gen(ns["get_noise"](cur_batch_size, z_dim, device=device))
            ns["show_generated_and_real"](fake, real, value_range=(-1, 1))
            plt.close("all")
            state["mean_g"] = state["mean_d"] = 0.0
        state["step"] += 1

    return _timed(step, seconds)


def _read_logs(logging: dict) -> list[float]:
    """What the seed's loop does with a step's logging dict: every value read to the host as a
    Python number (the seed's steps call ``.item()`` on each; its logger takes floats)."""
    return [float(value) for value in logging.values()]


# The seed's own defaults (its ArgumentParser): the shipped scripts take bigger batches on a GPU.
SEED_GAN_PROJECT = {"batch_size": 128, "lr": 2e-4}


def seed_loop_gan_project(seconds: float, trainer: str) -> float:
    """Seed 002's template loop: train_torch's own loop over the provided DataLoader (the seed's
    data path), with the seed's batch of 128 and lr 2e-4, on the same device; the GAN's steps
    are the reference's. Each step's logging dicts are read to the host as the seed's were
    (one ``float`` per value: the seed's steps return Python floats, ``.item()`` each), whether
    the reference returns floats or 0-d tensors there."""
    folder = REPO / "solutions" / "gan_project"
    sys.path.insert(0, str(folder))
    import train_torch
    from mnist import mnist

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    a = train_torch.get_parser().parse_args([])
    lr, batch_size = SEED_GAN_PROJECT["lr"], SEED_GAN_PROJECT["batch_size"]
    model = train_torch.GAN(a.hidden_dims_gen, a.hidden_dims_disc, a.dp_rate_gen, a.dp_rate_disc,
                            a.z_dim, lr).to(device)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    batches = _endless(mnist(batch_size=batch_size, num_workers=a.num_workers))
    logged: list[list[float]] = []

    def step():
        x_real = next(batches).to(device)
        loss_gen, logging_gen = model.generator_step(x_real)
        opt_g.zero_grad()
        loss_gen.backward()
        opt_g.step()
        loss_disc, logging_disc = model.discriminator_step(x_real)
        opt_d.zero_grad()
        loss_disc.backward()
        opt_d.step()
        logged.append(_read_logs(logging_gen) + _read_logs(logging_disc))
        del logged[:-1000]

    return _timed(step, seconds)


SEED_LOOPS = {"first_gan": seed_loop_first_gan, "gan_tutorial": seed_loop_gan_tutorial,
              "training_a_gan": seed_loop_training_a_gan, "dropout_gan": seed_loop_dropout_gan,
              "dcgan": seed_loop_dcgan}


def summary(rows: list[dict], seed_rate: float | None, target_seconds: float) -> dict:
    """One line for a run: the shipped loop's pace against the seed loop's, and when (if at all,
    within ``target_seconds`` of training) the quality target was first met.

    ``target_met`` is True (met at a mark at or before ``target_seconds``), False (not met, and the
    run was judged at or after ``target_seconds``, or ran to its end before it), or None (stopped
    before ``target_seconds`` without meeting it: not judged far enough to say).
    """
    if not rows:
        return {"kind": "summary", "shipped_steps_per_s": None, "seed_steps_per_s": seed_rate and round(seed_rate, 1),
                "ratio": None, "target_seconds": target_seconds, "target_met": None, "first_met_s": None}
    last = max(rows, key=lambda r: r["seconds"])
    shipped = last["steps"] / max(last["seconds"], 1e-9)
    met = [r for r in rows if r["seconds"] <= target_seconds and target_met(r)]
    judged_far_enough = last["seconds"] >= target_seconds or any(r["mark"] == "end" for r in rows)
    first = min(met, key=lambda r: r["seconds"]) if met else None
    return {"kind": "summary", "shipped_steps_per_s": round(shipped, 1),
            "shipped_steps_per_s_first_mark": rows[0]["steps_per_s"],
            "seed_steps_per_s": round(seed_rate, 1) if seed_rate else None,
            "ratio": round(shipped / seed_rate, 2) if seed_rate else None,
            "target_seconds": target_seconds,
            "target_met": True if met else (False if judged_far_enough else None),
            "first_met_s": first["seconds"] if first else None,
            "first_met_steps": first["steps"] if first else None,
            "last_s": last["seconds"], "last_steps": last["steps"], "last_fd": last["fd"],
            "last_digits": last["digits"], "last_confident": last["confident"]}


# --------------------------------------------------------------------------------------------

def parse_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    return overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("assignment", choices=[*NOTEBOOKS, "gan_project"])
    parser.add_argument("--budget", type=float, default=180, help="seconds of training at most")
    parser.add_argument("--marks", type=float, nargs="+", default=[30, 60, 180, 600],
                        help="seconds of training at which to judge the generator")
    parser.add_argument("--step-marks", type=int, nargs="+", default=[],
                        help="also judge at these step counts (quality per step, for comparing "
                             "recipes across devices: a CPU's 15 minutes are so many steps)")
    parser.add_argument("--seed-loop", action="store_true", help="also time the seed's loop")
    parser.add_argument("--seed-seconds", type=float, default=30)
    parser.add_argument("--trainer", choices=["torch", "pl"], default="torch", help="gan_project's script")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--replace", action="append", default=[], metavar="'OLD=>NEW'",
                        help="replace text in the notebook's cells (for sweeps)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "training_out")
    parser.add_argument("--log", type=Path, default=None, help="append the JSON lines to this file")
    parser.add_argument("--tag", default="", help="a label for these rows (e.g. a recipe's name)")
    parser.add_argument("--stop-when-met", action="store_true",
                        help="stop the training at the first time mark that meets the target (its grid "
                             "is the last one kept)")
    parser.add_argument("--target-seconds", type=float, default=None,
                        help="the summary says whether the target was met by then (default: 180 on "
                             "a GPU, 900 on a CPU)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    marks = sorted({m for m in args.marks if m < args.budget} | {args.budget})
    overrides = parse_overrides(args.set)
    replacements = [tuple(pair.split("=>", 1)) for pair in args.replace]
    if any(len(pair) != 2 for pair in replacements):
        parser.error("--replace takes 'OLD=>NEW'")
    extra = {"device": "cuda" if torch.cuda.is_available() else "cpu", "tag": args.tag,
             "overrides": overrides, **({"replace": args.replace} if args.replace else {}),
             **({"stop_when_met": True} if args.stop_when_met else {}),
             "trainer": args.trainer if args.assignment == "gan_project" else None}
    torch.manual_seed(0)

    seed_rate = None
    if args.seed_loop and args.assignment not in (*SEED_LOOPS, "gan_project"):
        parser.error(f"{args.assignment} has no seed loop (it was written for the course)")
    if args.seed_loop:
        if args.assignment == "gan_project":
            seed_rate = seed_loop_gan_project(args.seed_seconds, args.trainer)
        else:
            ns = run_notebook(args.assignment, Clock(args.assignment, [], args.out, None, {}), {},
                              stop_before="training")
            seed_rate = SEED_LOOPS[args.assignment](ns, args.seed_seconds)
        record(args.log, {"kind": "seed_loop", "assignment": args.assignment,
                          "seconds": args.seed_seconds, "steps_per_s": round(seed_rate, 1), **extra})
        torch.manual_seed(0)

    clock = Clock(args.assignment, marks, args.out, args.log, extra, step_marks=args.step_marks,
                  stop_when_met=args.stop_when_met)
    if args.assignment == "gan_project":
        run_gan_project(clock, overrides, args.trainer)
    else:
        run_notebook(args.assignment, clock, overrides, replacements=replacements)
    target_seconds = args.target_seconds or (180.0 if extra["device"] == "cuda" else 900.0)
    row = summary(clock.rows, seed_rate, target_seconds)
    record(args.log, {**row, "assignment": args.assignment, "budget": args.budget, **extra})
    print(summary_line(args.assignment, extra, row), flush=True)
    return 0


def summary_line(assignment: str, extra: dict, row: dict) -> str:
    """The summary for a person: ``first_gan: shipped 750.3 steps/s, seed 98.6, ratio 7.61; target met at 60 s``."""
    name = assignment + (f" ({extra['trainer']})" if extra.get("trainer") else "")
    pace = f"shipped {row['shipped_steps_per_s']} steps/s"
    if row["seed_steps_per_s"]:
        pace += f", seed {row['seed_steps_per_s']}, ratio {row['ratio']}"
    t = f"{row['target_seconds']:g} s"
    verdict = {True: f"target met at {row['first_met_s']} s (within {t})",
               False: f"target not met within {t}",
               None: f"target not met; stopped at {row.get('last_s')} s, before {t}: not judged"}[row["target_met"]]
    return f"SUMMARY {name}: {pace}; {verdict}"


if __name__ == "__main__":
    raise SystemExit(main())
