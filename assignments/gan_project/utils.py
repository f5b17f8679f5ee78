"""Logging for ``train_torch.py`` (provided: nothing to implement).

    writer = SummaryWriter("GAN_logs")
    logger_gen = TensorBoardLogger(writer, name="generator")
    logger_gen.add_values({"loss": 0.7, "d_fake_prob": 0.5})   # once per training step

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
            Name -> value of this step: Python numbers or single-element tensors.
        """
        self.step += 1
        for key, value in log_dict.items():
            if isinstance(value, torch.Tensor):
                value = value.detach().float().mean().item()
            self.values[key].append(float(value))
        if self.step % self.avg_window == 0:
            for key, values in self.values.items():
                if values:
                    self.summary_writer.add_scalar(self.prefix + key, sum(values) / len(values), self.step)
            self.values.clear()
