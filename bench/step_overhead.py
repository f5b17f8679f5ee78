"""Where does a first_gan training step spend its time? Steps/s of the same step, done four ways.

    python bench/step_overhead.py --seconds 20 [--log FILE]

The networks, losses and update functions are the reference solution's (``solutions/first_gan``,
its cells up to the training loop); the batches come from ``DeviceBatches``. Each variant runs
for ``--seconds`` after a warm-up and prints one JSON line:

* ``notebook``: the shipped loop's step (discriminator update, the weight snapshot and check,
  generator update, the device-side loss sums);
* ``bare``: the two updates only;
* ``fused_adam``: the two updates with ``Adam(fused=True)`` (one kernel per optimizer step);
* ``cuda_graph`` (CUDA only): both updates captured once in a CUDA graph and replayed, with
  ``Adam(capturable=True)``: no Python and no kernel launches per step.

The networks are tiny, so on a GPU a step is bound by Python and kernel launches, not by the
arithmetic: this measures how much of that each change removes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import training as tr  # noqa: E402  (bench/training.py: the notebook runner and the JSON lines)


def setup(fused: bool = False, capturable: bool = False) -> dict:
    clock = tr.Clock("first_gan", [], Path("/tmp"), None, {})
    ns = tr.run_notebook("first_gan", clock, {}, stop_before="training")
    options = {"fused": True} if fused else {"capturable": True} if capturable else {}
    ns["gen_opt"] = torch.optim.Adam(ns["gen"].parameters(), lr=ns["lr"], betas=ns["betas"], **options)
    ns["disc_opt"] = torch.optim.Adam(ns["disc"].parameters(), lr=ns["lr"], betas=ns["betas"], **options)
    return ns


def batches(ns: dict):
    while True:
        for real, _ in ns["dataloader"]:
            if len(real) == ns["batch_size"]:    # full batches only (a graph has fixed shapes)
                yield real.view(len(real), -1)  # (batch_size, 784) on the device


def updates(ns: dict, real: torch.Tensor):
    n = len(real)
    d = ns["update_discriminator"](ns["gen"], ns["disc"], ns["disc_opt"], ns["criterion"], real, n,
                                   ns["z_dim"], ns["device"])
    g = ns["update_generator"](ns["gen"], ns["disc"], ns["gen_opt"], ns["criterion"], n, ns["z_dim"],
                               ns["device"])
    return d, g


def variant_notebook(ns: dict):
    data, sums = batches(ns), torch.zeros(2, device=ns["device"])
    unchanged = torch.zeros((), dtype=torch.bool, device=ns["device"])

    def step():
        nonlocal unchanged
        real = next(data)
        d = ns["update_discriminator"](ns["gen"], ns["disc"], ns["disc_opt"], ns["criterion"], real,
                                       len(real), ns["z_dim"], ns["device"])
        old = ns["gen"].gen[0][0].weight.detach().clone()
        g = ns["update_generator"](ns["gen"], ns["disc"], ns["gen_opt"], ns["criterion"], len(real),
                                   ns["z_dim"], ns["device"])
        unchanged |= (ns["gen"].gen[0][0].weight.detach() == old).all()
        sums.add_(torch.stack([g.detach(), d.detach()]))
    return step


def variant_bare(ns: dict):
    data = batches(ns)
    return lambda: updates(ns, next(data))


def variant_cuda_graph(ns: dict):
    data = batches(ns)
    static_real = next(data).clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):                      # warm-up outside the graph (optimizer state)
        for _ in range(3):
            updates(ns, static_real)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        updates(ns, static_real)

    def step():
        static_real.copy_(next(data))
        graph.replay()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--only", default=None, help="run this variant only")
    args = parser.parse_args()
    variants = [("notebook", variant_notebook, {}), ("bare", variant_bare, {}),
                ("fused_adam", variant_bare, {"fused": True})]
    if torch.cuda.is_available():
        variants.append(("cuda_graph", variant_cuda_graph, {"capturable": True}))
    for name, make, options in variants:
        if args.only not in (None, name):
            continue
        t0 = time.perf_counter()
        try:
            rate = tr._timed(make(setup(**options)), args.seconds)
            row = {"kind": "step_overhead", "variant": name, "steps_per_s": round(rate, 1)}
        except Exception as error:  # noqa: BLE001  (a variant this torch cannot do: say which)
            row = {"kind": "step_overhead", "variant": name, "error": f"{type(error).__name__}: {error}"}
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        tr.record(args.log, row)


if __name__ == "__main__":
    main()
