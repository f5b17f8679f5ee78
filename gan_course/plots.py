"""Pictures for the training cells: generated beside real digits, and the loss curves.

Every notebook calls these two, so every notebook shows its progress the same way::

    show_generated_and_real(fake, real, value_range=(-1, 1), title="epoch 3")
    plot_losses({"generator": generator_losses, "discriminator": discriminator_losses})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torchvision.utils import make_grid

LOSS_DIGITS = 4  # losses are printed as 1.4006, not 1.4006049224138257


def format_loss(value: float) -> str:
    """A loss with LOSS_DIGITS decimals: ``format_loss(1.4006049)`` is ``"1.4006"``."""
    return f"{float(value):.{LOSS_DIGITS}f}"


def _grid(images: torch.Tensor, num_images: int, nrow: int,
          value_range: tuple[float, float]) -> np.ndarray:
    """(n, 784), (n, 28, 28) or (n, 1, 28, 28) images -> one (H, W, 3) grid in [0, 1]."""
    images = images.detach().cpu().float()[:num_images]
    side = int(round((images[0].numel()) ** 0.5))
    images = images.reshape(-1, 1, side, side)                         # (n, 1, 28, 28)
    low, high = value_range
    images = ((images - low) / (high - low)).clamp(0.0, 1.0)           # into [0, 1]
    return make_grid(images, nrow=nrow, pad_value=1.0).permute(1, 2, 0).numpy()


def show_generated_and_real(generated: torch.Tensor, real: torch.Tensor | None = None,
                            value_range: tuple[float, float] = (0.0, 1.0), title: str = "",
                            num_images: int = 25, nrow: int = 5) -> None:
    """Two titled grids side by side: "generated" (left) and "real" (right).

    generated, real: batches of images, (n, 784), (n, 28, 28) or (n, 1, 28, 28), with values in
    ``value_range`` ((0, 1) for ToTensor images, (-1, 1) after a Tanh). ``real=None``: the
    generated grid alone.
    """
    import matplotlib.pyplot as plt

    panels = [("generated", generated)] + ([("real", real)] if real is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.4), squeeze=False)
    for ax, (name, images) in zip(axes[0], panels, strict=True):
        ax.imshow(_grid(images, num_images, nrow, value_range))
        ax.set_title(name)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()
    plt.close(fig)


def plot_losses(losses: Mapping[str, Sequence[float]], xlabel: str = "step",
                smooth: int | None = None, reference: float | None = None,
                title: str = "losses") -> None:
    """One curve per network: ``losses`` maps a label to its losses (per step or per epoch).

    ``smooth``: plot the running mean over this many values (single batches are noisy);
    ``reference``: a dotted horizontal line (e.g. log 2, a discriminator that cannot tell).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in losses.items():
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            continue
        window = max(1, min(smooth or 1, values.size))
        curve = np.convolve(values, np.ones(window) / window, mode="valid")
        x = np.arange(window, values.size + 1)  # the last step of each window, from 1
        ax.plot(x, curve, label=label)
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle=":", label=f"{reference:.3f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss" + (f" (running mean over {smooth})" if smooth and smooth > 1 else ""))
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    plt.show()
    plt.close(fig)
