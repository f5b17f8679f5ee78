"""How long a student's training run takes: seconds per step of each notebook's training loop.

    GAN_COURSE_DATA=/path/to/mnist python bench/training_speed.py [--steps 100]

Runs the reference notebook's cells (not the training cell) in-process, then times ``--steps``
steps of its training loop (one discriminator and one generator update each) on the real
MNIST batches, and extrapolates to an epoch and to the notebook's full and quick runs. Prints
one Markdown table row per notebook, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.pop("GAN_COURSE_GRADING", None)


def notebook_namespace(assignment: str) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    ns: dict = {"__name__": "__main__"}
    cells = json.loads((REPO / "solutions" / assignment / f"{assignment}.ipynb").read_text())["cells"]
    for cell in cells:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if cell["cell_type"] != "code" or gid == "training" or gid.startswith("check_"):
            continue
        exec(compile("".join(cell["source"]), f"<{gid}>", "exec"), ns)
    return ns


def first_gan(ns: dict, steps: int) -> float:
    batches = iter(ns["dataloader"])
    t0 = time.perf_counter()
    for _ in range(steps):
        real, _ = next(batches)
        real = real.view(len(real), -1).to(ns["device"])
        ns["update_discriminator"](ns["gen"], ns["disc"], ns["disc_opt"], ns["criterion"], real,
                                   len(real), ns["z_dim"], ns["device"])
        ns["update_generator"](ns["gen"], ns["disc"], ns["gen_opt"], ns["criterion"], len(real),
                               ns["z_dim"], ns["device"])
    return (time.perf_counter() - t0) / steps


def dropout_gan(ns: dict, steps: int) -> float:
    g = ns["MNISTGenerator"](ns["latent_dim"]).to(ns["device"])
    d = ns["MNISTDiscriminator"]().to(ns["device"])
    g_opt = torch.optim.Adam(g.parameters(), lr=ns["lr"], betas=ns["betas"])
    d_opt = torch.optim.Adam(d.parameters(), lr=ns["lr"], betas=ns["betas"])
    batches = iter(ns["dataloader"])
    t0 = time.perf_counter()
    for _ in range(steps):
        images, _ = next(batches)
        ns["discriminator_step"](g, d, images, d_opt, ns["loss_func"], ns["latent_dim"])
        ns["generator_step"](g, d, len(images), g_opt, ns["loss_func"], ns["latent_dim"],
                             ns["device"])
    return (time.perf_counter() - t0) / steps


def training_a_gan(ns: dict, steps: int) -> float:
    g, d = ns["make_generator"](), ns["make_discriminator"]()
    g_opt = torch.optim.Adam(g.parameters(), lr=ns["LEARNING_RATE"])
    d_opt = torch.optim.Adam(d.parameters(), lr=ns["LEARNING_RATE"])
    t0 = time.perf_counter()
    for _ in range(steps):
        ns["train_generator"](ns["BATCH_SIZE"], g_opt, g, d)
        ns["train_discriminator"](ns["BATCH_SIZE"], d_opt, g, d)
    return (time.perf_counter() - t0) / steps


# assignment -> (timer, steps per epoch, full run, quick CPU run), runs in the settings' units
RUNS = {
    "first_gan": (first_gan, 469, ("epochs", 200, 5)),
    "dropout_gan": (dropout_gan, 469, ("epochs", 50, 2)),
    "training_a_gan": (training_a_gan, None, ("steps", 200_000, 10_000)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("assignments", nargs="*", default=list(RUNS))
    args = parser.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, device "
          f"{'cuda' if torch.cuda.is_available() else 'cpu'}")
    print("| assignment | s / step | s / epoch | full run | quick CPU run |")
    print("| --- | --- | --- | --- | --- |")
    for assignment in args.assignments:
        timer, per_epoch, (unit, full, quick) = RUNS[assignment]
        torch.manual_seed(0)
        step = timer(notebook_namespace(assignment), args.steps)
        scale = per_epoch if unit == "epochs" else 1  # steps per unit of the run
        epoch = f"{step * per_epoch:.0f}" if per_epoch else "-"
        print(f"| {assignment} | {step:.4f} | {epoch} | {full:,} {unit}: "
              f"{step * scale * full / 60:.0f} min | {quick:,} {unit}: "
              f"{step * scale * quick / 60:.1f} min |")


if __name__ == "__main__":
    main()
