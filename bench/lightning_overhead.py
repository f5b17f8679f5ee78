"""What Lightning's loop costs per step, apart from the networks: the loop itself and ``self.log``.

    python bench/lightning_overhead.py                 # 3000 steps of each case, one JSON line each
    python bench/lightning_overhead.py --steps 1000 --logs 0 4 13

A LightningModule with manual optimization and two 4x4 linear layers (as little arithmetic as can
be), fed one tiny batch per step, no logger, no progress bar, on the CPU. Per case, milliseconds
per step over ``--steps`` steps of ``Trainer.fit``:

* ``logs=N, optimizers=off``: ``training_step`` only logs N 0-d tensors with ``self.log_dict``;
* ``logs=N, optimizers=on``: it also runs two optimizer steps the way train_pl.py's
  ``training_step`` does (``self.optimizers()``, ``zero_grad``, ``manual_backward``, ``step``).

The difference between logs=13 (train_pl.py's reference logs 13 values a step) and logs=0 is the
logging's share: the cost that ``gan_course.lightning_graph.RecordTrainingStep`` leaves out on the
batches Lightning does not write. On a GPU the same Python runs on the host, beside the kernels.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings

import torch


def measure(logs: int, optimizers: bool, steps: int) -> float:
    import lightning.pytorch as pl

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.automatic_optimization = False
            self.a, self.b = torch.nn.Linear(4, 4), torch.nn.Linear(4, 4)

        def configure_optimizers(self):
            return [torch.optim.Adam(self.a.parameters()), torch.optim.Adam(self.b.parameters())]

        def training_step(self, batch, batch_idx):
            opt_a, opt_b = self.optimizers()
            if optimizers:
                loss_a = self.a(batch).sum()
                opt_a.zero_grad()
                self.manual_backward(loss_a)
                opt_a.step()
                loss_b = self.b(batch).sum()
                opt_b.zero_grad()
                self.manual_backward(loss_b)
                opt_b.step()
            else:
                loss_a = batch.sum()
            if logs:
                self.log_dict({f"value_{i}": loss_a.detach() for i in range(logs)})

    class Batches:
        def __init__(self, n: int) -> None:
            self.n, self.x = n, torch.randn(2, 4)

        def __len__(self) -> int:
            return self.n

        def __iter__(self):
            return (self.x for _ in range(self.n))

    trainer = pl.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, log_every_n_steps=50, accelerator="cpu", devices=1)
    start = time.perf_counter()
    trainer.fit(Tiny(), Batches(steps))
    return (time.perf_counter() - start) / steps * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--logs", type=int, nargs="+", default=[0, 13])
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    import lightning

    machine = (f"{platform.machine()}, torch {torch.__version__}, lightning {lightning.__version__}, "
               f"Python {platform.python_version()}, 1 torch thread")
    for optimizers in (False, True):
        for logs in args.logs:
            ms = measure(logs, optimizers, args.steps)
            print(json.dumps({"logs": logs, "optimizers": optimizers, "steps": args.steps,
                              "ms_per_step": round(ms, 3), "machine": machine}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
