"""Logging for ``train_torch.py`` (provided: nothing to implement).

    writer = SummaryWriter("GAN_logs")
    logger_gen = TensorBoardLogger(writer, name="generator")
    logger_gen.add_values({"loss": 0.7, "d_fake_prob": 0.5})   # once per training step
    logger_gen.add_values({"loss": loss.detach()})             # 0-d tensors too

Per-step values are noisy, so a ``TensorBoardLogger`` collects them and writes the average of
every ``avg_window`` steps to TensorBoard, under ``<name>/<key>`` (``generator/loss``).
Look at the curves with ``tensorboard --logdir GAN_logs``.
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch.utils.tensorboard import SummaryWriter


class TensorBoardLogger:
    def __init__(self, summary_writer: SummaryWriter, avg_window: int = 5, name: str | None = None):
        """Average logged values over ``avg_window`` steps and write them to TensorBoard.

        Parameters
        ----------
        summary_writer:
            Where the values go.
        avg_window:
            Number of steps averaged into one point of a curve.
        name:
            Prefix of every key in TensorBoard (``"generator"`` gives ``generator/loss``).
        """
        self.summary_writer = summary_writer
        self.avg_window = avg_window
        self.prefix = f"{name}/" if name else ""
        self.values: dict[str, list[float]] = defaultdict(list)
        self.step = 0   # training steps logged so far: the x axis of the curves

    def set_step(self, step: int) -> None:
        """Continue counting steps from ``step`` (for example after loading a checkpoint)."""
        self.step = step

    def add_values(self, log_dict: dict[str, float | torch.Tensor]) -> None:
        """Record one training step's values; every ``avg_window`` steps, write their averages.

        Parameters
        ----------
        log_dict:
            Name -> value of this step: Python numbers or tensors (a tensor's mean is logged).
            Tensors stay where they are (on the GPU) until the averages are written: reading a
            GPU number (``.item()``) makes Python wait for the GPU, so it happens once per
            ``avg_window`` steps, not at every step.
        """
        self.step += 1
        for key, value in log_dict.items():
            if isinstance(value, torch.Tensor):
                value = value.detach().float().mean()   # a new 0-d tensor: later steps can't change it
            self.values[key].append(value)
        if self.step % self.avg_window == 0:
            for key, mean in zip(self.values, _means(list(self.values.values())), strict=True):
                self.summary_writer.add_scalar(self.prefix + key, mean, self.step)
            self.values.clear()


def _means(columns: list[list[float | torch.Tensor]]) -> list[float]:
    """The mean of each list of numbers and 0-d tensors, with one read from the GPU for all."""
    sums: list[float | torch.Tensor] = []
    for values in columns:
        tensors = [v for v in values if isinstance(v, torch.Tensor)]
        total = sum(float(v) for v in values if not isinstance(v, torch.Tensor))
        sums.append(total + torch.stack(tensors).sum().double() if tensors else total)
    tensors = [s for s in sums if isinstance(s, torch.Tensor)]
    if tensors and len({t.device for t in tensors}) == 1:
        read = iter(torch.stack(tensors).tolist())               # the one read
    else:
        read = iter([float(t) for t in tensors])
    totals = [next(read) if isinstance(s, torch.Tensor) else s for s in sums]
    return [total / max(len(values), 1) for total, values in zip(totals, columns, strict=True)]
