"""Calibrate the evaluator (gan_course.evaluate): what do its figures say about known samples?

    export GAN_COURSE_DATA=/path/to/mnist
    python bench/evaluator_calibration.py baselines               # real, noise, blur, one digit; speed
    python bench/evaluator_calibration.py reference first_gan --minutes 1 5 20
    python bench/evaluator_calibration.py reference gan_project --minutes 1 5 20 --save-checkpoint

``baselines`` scores MNIST-train against MNIST-test (the floor), uniform noise, blurred MNIST
digits, and a "generator" that only makes one digit, at the evaluator's default n = 5000 and at
the grader's n (autograder.probes.trained.GRADING_SAMPLES); then it times ``evaluate`` on 5000 samples
of a gan_project-sized generator.

``reference ID`` runs the reference solution's own training (the notebook twin's cells, or
gan_project's ``train_torch.main`` with its defaults) and snapshots the generator after each
given number of minutes of wall-clock training (the clock stops while a snapshot is taken), then
evaluates every snapshot. Notebooks are stopped through their ``tracker.update`` hook; gan_project
through its data loader. ``--save-checkpoint`` writes the last gan_project snapshot, generator only
and in float16 (about 1.2 MB), to ``solutions/gan_project/checkpoint.pt``: the reference
checkpoint that the grader's trained-generator check must pass.

Every result is one JSON line on stdout (and appended to ``--log``); ``table`` prints the log as
the Markdown table of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gan_course import evaluate as ev  # noqa: E402
from gan_course.data import mnist_dataset  # noqa: E402

DEFAULT_LOG = REPO / "bench" / "evaluator_calibration.jsonl"
SNAPSHOTS = REPO / "bench" / "snapshots"          # git-ignored (*.pt)


class BudgetReached(Exception):
    """The last snapshot is taken: stop the training."""


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch threads, Python {platform.python_version()}")


def record(log: Path, **row) -> None:
    row["machine"] = machine()
    row["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    line = json.dumps(row)
    print(line, flush=True)
    with open(log, "a") as f:
        f.write(line + "\n")


def figures_of(result: ev.Evaluation) -> dict:
    return {"fd": round(result.frechet_distance, 2), "digits": result.digits_present,
            "confident": result.confident_share, "verdict": result.verdict,
            "shares": result.digit_shares}


def grading_samples() -> int:
    from autograder.probes.trained import GRADING_SAMPLES

    return GRADING_SAMPLES


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------

def baselines(log: Path) -> None:
    import torchvision.transforms.functional as TF

    train_images, train_labels = mnist_dataset("train").tensors        # (60000, 1, 28, 28) in [0, 1]
    test_images, _ = mnist_dataset("test").tensors
    g = torch.Generator().manual_seed(0)
    for n in (5000, grading_samples()):
        pick = torch.randperm(len(train_images), generator=g)[:n]
        cases = {
            "MNIST-train (real digits)": train_images[pick],
            "uniform noise": torch.rand(n, 1, 28, 28, generator=g),
            "blurred MNIST-test (Gaussian, sigma 1)": TF.gaussian_blur(test_images[:n], 5, 1.0),
            "blurred MNIST-test (Gaussian, sigma 2)": TF.gaussian_blur(test_images[:n], 9, 2.0),
            "one digit only (MNIST-train 1s)": train_images[train_labels == 1][:n],
            "two digits only (MNIST-train 1s and 7s)": train_images[(train_labels == 1) | (train_labels == 7)][
                torch.randperm(int(((train_labels == 1) | (train_labels == 7)).sum()), generator=g)[:n]],
        }
        for name, images in cases.items():
            result = ev.evaluate_images(ev.to_unit_images(images, (0.0, 1.0)))
            record(log, kind="baseline", case=name, n=len(images), **figures_of(result))

    # Speed: evaluate() on 5000 samples of a gan_project-sized generator, figures saved.
    sys.path.insert(0, str(REPO / "solutions" / "gan_project"))
    from models import GeneratorMLP

    generator = GeneratorMLP()
    ev.evaluate(generator, n=1000, out_dir=None, quiet=True)               # warm-up (loads the classifier)
    for out_dir in (None, "/tmp/evaluator_bench"):
        start = time.perf_counter()
        ev.evaluate(generator, n=5000, out_dir=out_dir, quiet=True)
        record(log, kind="speed", case=f"evaluate(GeneratorMLP(), n=5000, out_dir={out_dir!r})",
               seconds=round(time.perf_counter() - start, 2))


# --------------------------------------------------------------------------------------------
# Reference solutions after N minutes of their own training
# --------------------------------------------------------------------------------------------

class Clock:
    """Wall-clock training time with marks; the time spent taking snapshots does not count."""

    def __init__(self, minutes: list[float]):
        self.marks = sorted(minutes)
        self.snapshots: list[tuple[float, int, torch.nn.Module]] = []
        self.started: float | None = None
        self.paused = 0.0
        self.steps = 0

    def tick(self, generator: torch.nn.Module) -> None:
        """Called once per training step: snapshot at each mark, stop after the last one."""
        now = time.monotonic()
        if self.started is None:
            self.started = now
        self.steps += 1
        elapsed = (now - self.started - self.paused) / 60
        while self.marks and elapsed >= self.marks[0]:
            t0 = time.monotonic()
            self.snapshots.append((self.marks.pop(0), self.steps, copy.deepcopy(generator).cpu()))
            self.paused += time.monotonic() - t0
        if not self.marks:
            raise BudgetReached


def run_notebook(assignment: str, clock: Clock) -> None:
    """Execute the twin's code cells in one namespace until the clock stops the training."""
    import jupytext

    os.environ["MPLBACKEND"] = "Agg"
    nb = jupytext.read(REPO / "solutions" / assignment / f"{assignment}.pct.py")

    class TimedTracker(ev.Tracker):
        def update(self, generator, step=None):
            clock.tick(generator)
            return None

        def plot(self, *args, **kwargs):
            return None

    ev.Tracker = TimedTracker                      # the notebook imports it after this line
    ns: dict = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        if "check(" in source and "score" in source:
            continue                               # self-check cells: not training
        try:
            exec(compile(source, f"<{assignment}>", "exec"), ns)
        except BudgetReached:
            return
    raise RuntimeError(f"{assignment}: the training ended before the last mark ({clock.marks} min left)")


def run_gan_project(clock: Clock) -> dict:
    """gan_project's ``train_torch.main`` with its default arguments (num_workers 0, in memory)."""
    import tempfile

    folder = REPO / "solutions" / "gan_project"
    sys.path.insert(0, str(folder))
    import train_torch

    models: list = []

    class TrackedGAN(train_torch.GAN):
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

    original_mnist = train_torch.mnist
    train_torch.GAN = TrackedGAN
    train_torch.mnist = lambda **kwargs: TimedLoader(original_mnist(**kwargs))
    log_dir = tempfile.mkdtemp(prefix="gan_project_calibration_")
    args = train_torch.get_parser().parse_args(["--num_workers", "0", "--log_dir", log_dir])
    try:
        train_torch.main(args)
    except BudgetReached:
        pass
    return vars(args)


def reference(assignment: str, minutes: list[float], save_checkpoint: bool) -> None:
    """Train, and write each snapshot's weights to bench/snapshots/ (evaluated by ``snapshots``)."""
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", torch.get_num_threads())))
    clock = Clock(minutes)
    args = run_gan_project(clock) if assignment == "gan_project" else run_notebook(assignment, clock)
    SNAPSHOTS.mkdir(exist_ok=True)
    for mark, steps, generator in clock.snapshots:
        torch.save({"assignment": assignment, "minutes": mark, "steps": steps, "args": args,
                    "threads": torch.get_num_threads(), "state_dict": generator.state_dict()},
                   SNAPSHOTS / f"{assignment}_{mark:g}min.pt")
        print(f"{assignment}: snapshot after {mark:g} min, {steps} steps", flush=True)
    if save_checkpoint and assignment == "gan_project":
        mark, steps, generator = clock.snapshots[-1]
        state = {f"generator.{k}": v.half() for k, v in generator.state_dict().items()}
        path = REPO / "solutions" / "gan_project" / "checkpoint.pt"
        torch.save({"model": state, "args": args, "steps": steps, "minutes": mark,
                    "note": "reference train_torch.py, defaults; generator only, float16 "
                            "(bench/evaluator_calibration.py)"},
                   path)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) after {mark:g} min, {steps} steps")


def rebuild(assignment: str, snapshot: dict) -> torch.nn.Module:
    """The reference's generator with a snapshot's weights (notebooks: their cells run as under a
    grader, so no training and no MNIST; then the grader's recipe builds the generator)."""
    if assignment == "gan_project":
        sys.path.insert(0, str(REPO / "solutions" / "gan_project"))
        from models import GeneratorMLP

        a = snapshot["args"]
        generator = GeneratorMLP(z_dim=a["z_dim"], hidden_dims=a["hidden_dims_gen"], dp_rate=a["dp_rate_gen"])
    else:
        import jupytext

        from autograder.probes.trained import RECIPES

        os.environ["GAN_COURSE_GRADING"] = "1"
        nb = jupytext.read(REPO / "solutions" / assignment / f"{assignment}.pct.py")
        ns: dict = {"__name__": "__main__"}
        for cell in nb.cells:
            if cell.cell_type == "code" and not ("check(" in cell.source and "score" in cell.source):
                exec(compile("\n".join(line for line in cell.source.splitlines()
                                       if not line.lstrip().startswith(("%", "!"))), f"<{assignment}>", "exec"), ns)
        generator = eval(RECIPES[assignment].build, ns)
        os.environ.pop("GAN_COURSE_GRADING")
    generator.load_state_dict(snapshot["state_dict"])
    return generator


def snapshots(log: Path) -> None:
    """Evaluate every snapshot in bench/snapshots/ at n = 5000 and at the grader's n."""
    for path in sorted(SNAPSHOTS.glob("*.pt"), key=lambda p: (p.name.split("_")[0], p.stat().st_mtime)):
        snapshot = torch.load(path, weights_only=True)
        generator = rebuild(snapshot["assignment"], snapshot)
        for n in sorted({5000, grading_samples()}, reverse=True):
            result = ev.evaluate(generator, n=n, out_dir=None, quiet=True)
            record(log, kind="reference", case=snapshot["assignment"], minutes=snapshot["minutes"],
                   steps=snapshot["steps"], n=n, train_threads=snapshot["threads"], **figures_of(result))


# --------------------------------------------------------------------------------------------

def table(log: Path) -> None:
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    print("| samples | n | Fréchet distance | digits >= 2 % | confident > 0.9 | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r["kind"] == "speed":
            continue
        case = r["case"] if r["kind"] == "baseline" else f"{r['case']} after {r['minutes']:g} min ({r['steps']} steps)"
        words = ev.verdict(r["shares"], r["digits"], r["confident"], r["fd"])   # with today's thresholds
        print(f"| {case} | {r['n']} | {r['fd']:.1f} | {r['digits']} | {r['confident']:.0%} | {words} |")
    for r in rows:
        if r["kind"] == "speed":
            print(f"\n{r['case']}: {r['seconds']} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=["baselines", "reference", "snapshots", "table"])
    parser.add_argument("assignment", nargs="?")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 20])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--save-checkpoint", action="store_true")
    args = parser.parse_args()
    if args.part == "baselines":
        baselines(args.log)
    elif args.part == "reference":
        reference(args.assignment, args.minutes, args.save_checkpoint)
    elif args.part == "snapshots":
        snapshots(args.log)
    else:
        table(args.log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
