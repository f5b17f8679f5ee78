"""The MNIST training images as a ``DataLoader`` for the GAN (provided: nothing to implement).

    from mnist import mnist
    train_loader = mnist(batch_size=128)
    x_real = next(iter(train_loader))     # float32 (128, 1, 28, 28), values in [-1, 1]

The images come from the course loader :mod:`gan_course.data`. It looks for the four MNIST
``.gz`` files in the folder you pass as ``root`` (``--data_dir`` in the training scripts), else in
the folder named by the ``GAN_COURSE_DATA`` environment variable, else in the repository's
``data/`` folder, and downloads them there when they are missing.

On a GPU the training scripts call ``mnist(..., device="cuda")``: the 60,000 images (188 MB) are
copied to the GPU once and every batch is cut there (:class:`gan_course.data.DeviceBatches`), with
no copy from the CPU per step. For networks this small a ``DataLoader``'s per-image work and copy
take longer than the training step itself.
"""

from __future__ import annotations

import os

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from gan_course.data import DeviceBatches, mnist_dataset

# Data-loader workers: up to 4, never more than the machine has cores (a 2-core laptop gets 2).
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)

# Pixel values are scaled into [-1, 1]: the range of the generator's final Tanh.
VALUE_RANGE = (-1.0, 1.0)


class DeviceImages:
    """Shuffled batches of images (no labels) kept on ``device``: a ``DataLoader`` without copies.

    ``len()`` is the number of batches of an epoch; each pass (``for x in batches``) gives them in
    a new random order, the last incomplete batch dropped, like ``mnist``'s ``DataLoader``.
    """

    def __init__(self, dataset: TensorDataset, batch_size: int, device: torch.device | str):
        self.batches = DeviceBatches(dataset, batch_size, device=device, drop_last=True)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        for images, *_ in self.batches:
            yield images                                  # (B, 1, 28, 28), on the device


class ImagesOnly(Dataset):
    """The images of an (image, label) ``TensorDataset``, without the labels."""

    def __init__(self, dataset: TensorDataset):
        self.images = dataset.tensors[0]                  # (N, 1, 28, 28)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]                         # (1, 28, 28)


def mnist(
    root: str | os.PathLike[str] | None = None,
    batch_size: int = 128,
    num_workers: int = DEFAULT_WORKERS,
    return_label: bool = False,
    device: torch.device | str | None = None,
) -> DataLoader | DeviceImages:
    """A shuffling ``DataLoader`` over the 60,000 MNIST training images.

    Parameters
    ----------
    root:
        Folder holding the MNIST files. None: ``GAN_COURSE_DATA``, then the repository's ``data/``.
    batch_size:
        Images per batch. The last, incomplete batch of an epoch is dropped.
    num_workers:
        Worker processes that prepare batches (0: load them in the main process).
    return_label:
        False: each batch is a tensor of images. True: each batch is ``(images, labels)``.
    device:
        None or a CPU: a ``DataLoader`` on the CPU. A GPU (``"cuda"``): the images are kept on it
        and each batch is cut there (``DeviceImages``; images only, ``num_workers`` unused).

    Returns
    -------
    DataLoader or DeviceImages
        Batches of float32 images of shape (batch_size, 1, 28, 28) with values in [-1, 1]
        (plus int64 labels of shape (batch_size,) with ``return_label=True``).
    """
    dataset = mnist_dataset("train", root=root, value_range=VALUE_RANGE)
    if device is not None and torch.device(device).type == "cuda" and not return_label:
        return DeviceImages(dataset, batch_size, device)
    if not return_label:
        dataset = ImagesOnly(dataset)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=num_workers > 0,   # keep the workers alive from one epoch to the next
    )
