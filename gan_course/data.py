"""MNIST for every assignment: find the four official files, check them, decode them.

Students need two functions and, for fast training, one class::

    from gan_course.data import DeviceBatches, load_mnist, mnist_dataset
    images, labels = load_mnist("train")      # uint8 (60000, 28, 28) in 0..255, int64 (60000,)
    dataset = mnist_dataset("train", value_range=(-1.0, 1.0))
    # TensorDataset: float32 images (N, 1, 28, 28) scaled into value_range, int64 labels (N,)
    batches = DeviceBatches(dataset, batch_size=128, device="cuda")
    # like DataLoader(dataset, batch_size=128, shuffle=True), with all of MNIST kept on the GPU

Where the files are looked for, in this order (the first one that is set wins, and only that
folder is searched):

1. the ``root=`` argument;
2. the ``GAN_COURSE_DATA`` environment variable;
3. the repository's ``data/`` folder (:data:`REPO_DATA_DIR`).

In that folder the four ``.gz`` files may lie directly, or in ``MNIST/raw/`` (torchvision's
layout). If they are missing, torchvision downloads them into that folder. Every file's md5 is
checked against the official one. Anything wrong raises :class:`MNISTError` with a message that
says what to do.

Under a grader (``GAN_COURSE_GRADING=1`` or nbgrader) :func:`load_mnist` reads nothing: it returns a small
deterministic synthetic stand-in so that grading is fast and needs no data.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from gan_course import is_grading

__all__ = [
    "DeviceBatches",
    "MNIST_FILES",
    "MNISTError",
    "REPO_DATA_DIR",
    "find_mnist",
    "load_mnist",
    "mnist_dataset",
    "read_idx",
]

# The four official files and the md5 of each .gz file, as published with the data set.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# split -> (images file, labels file)
SPLITS: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# The repo root is the parent of the gan_course package folder; data/ is git-ignored.
REPO_DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

ENV_DATA = "GAN_COURSE_DATA"

IMAGE_SIDE = 28
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (N,)
IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (N, rows, cols)
IDX_UBYTE = 0x08
GZIP_MAGIC = b"\x1f\x8b"

# Grading stand-in: number of images per split and the seed of each split.
STAND_IN_SIZES: dict[str, int] = {"train": 1024, "test": 256}
STAND_IN_SEEDS: dict[str, int] = {"train": 0, "test": 1}


class MNISTError(RuntimeError):
    """MNIST is missing, corrupt or unreadable. The message says which file and how to fix it."""


# In-process caches: md5 per (path, size, mtime), decoded arrays per (folder, split).
_md5_cache: dict[tuple[str, int, int], str] = {}
_arrays_cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}


# --------------------------------------------------------------------------------------------
# Reading one IDX file
# --------------------------------------------------------------------------------------------

def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode one IDX file (gzip-compressed or plain) into a numpy array.

    Parameters
    ----------
    path:
        An IDX file such as ``train-images-idx3-ubyte.gz``. It is decompressed when it starts
        with the gzip signature; a file named ``*.gz`` must be gzip-compressed.

    Returns
    -------
    numpy.ndarray
        uint8, values 0..255: shape ``(N,)`` for a labels file (magic ``0x00000801``) or
        ``(N, rows, cols)`` for an images file (magic ``0x00000803``). The array is writable.

    Raises
    ------
    MNISTError
        Naming the file, when it cannot be read, is not valid gzip, has a wrong magic number or
        data type, or when its payload is shorter or longer than its header says.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise MNISTError(f"cannot read {path}: {err}") from err

    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise MNISTError(
                f"{path} is not a valid gzip file ({err}). The download is probably corrupt or "
                "incomplete: delete the file and download it again."
            ) from err
    elif path.suffix == ".gz":
        raise MNISTError(
            f"{path} is named .gz but is not gzip-compressed (it starts with {raw[:4]!r}). "
            "Delete it and download it again."
        )

    if len(raw) < 4:
        raise MNISTError(f"{path} is not an IDX file: it has {len(raw)} bytes, fewer than the 4-byte magic number.")
    (magic,) = struct.unpack(">I", raw[:4])
    dtype_byte, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or ndim not in (1, 3):
        raise MNISTError(
            f"{path} is not an MNIST IDX file: magic number 0x{magic:08X}, expected "
            f"0x{IDX_LABELS_MAGIC:08X} (labels) or 0x{IDX_IMAGES_MAGIC:08X} (images)."
        )
    if dtype_byte != IDX_UBYTE:
        raise MNISTError(
            f"{path}: IDX data type 0x{dtype_byte:02X}, expected 0x{IDX_UBYTE:02X} (unsigned byte)."
        )

    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise MNISTError(
            f"{path} is truncated: its header needs {header_len} bytes for {ndim} dimension(s), "
            f"found {len(raw)} bytes in total."
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    expected = math.prod(shape)
    found = len(raw) - header_len
    if found != expected:
        what = "truncated" if found < expected else "longer than its header says (trailing data)"
        dims = " x ".join(str(d) for d in shape)
        raise MNISTError(
            f"{path} is {what}: the header says {dims} = {expected} bytes of data, found {found}. "
            "Delete the file and download it again."
        )
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header_len).reshape(shape).copy()


# --------------------------------------------------------------------------------------------
# Finding and checking the four files
# --------------------------------------------------------------------------------------------

def _hash_file(path: Path) -> str:
    """md5 of a file's bytes, as 32 hex digits."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _md5(path: Path) -> str:
    """md5 of ``path``, hashed once per (path, size, mtime) in this process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _md5_cache:
        _md5_cache[key] = _hash_file(path)
    return _md5_cache[key]


def _verify(folder: Path) -> None:
    """Check the md5 of each of the four files in ``folder``; raise MNISTError on a mismatch."""
    for name, expected in MNIST_FILES.items():
        path = folder / name
        actual = _md5(path)
        if actual != expected:
            raise MNISTError(
                f"{path} has md5 {actual}, expected {expected} (the official {name}). The file is "
                "corrupt or a different download: delete it and download it again."
            )


def _layouts(folder: Path) -> list[Path]:
    """Where the four files may lie inside a data folder: directly, or torchvision's MNIST/raw/."""
    return [folder, folder / "MNIST" / "raw"]


def _complete_layout(folder: Path) -> Path | None:
    """The first layout of ``folder`` that holds all four files, or None."""
    for place in _layouts(folder):
        if all((place / name).is_file() for name in MNIST_FILES):
            return place
    return None


def _download(folder: Path) -> None:
    """Download both splits with torchvision into ``folder`` (it writes ``folder/MNIST/raw/``)."""
    import torchvision.datasets

    for train in (True, False):
        torchvision.datasets.MNIST(str(folder), train=train, download=True)


def find_mnist(root: str | os.PathLike[str] | None = None, download: bool = True) -> Path:
    """The folder that holds the four official MNIST ``.gz`` files, md5-checked.

    Parameters
    ----------
    root:
        A data folder. When given, only this folder is searched. When None, the folder named by
        the ``GAN_COURSE_DATA`` environment variable is searched (and only it), and when that is
        not set either, the repository's ``data/`` folder.
    download:
        When the files are not in the folder, download them with torchvision into it (they land
        in ``<folder>/MNIST/raw/``).

    Returns
    -------
    pathlib.Path
        ``<folder>`` or ``<folder>/MNIST/raw``: the directory holding all of :data:`MNIST_FILES`.

    Raises
    ------
    MNISTError
        When the files are missing (and could not be downloaded), naming the folders searched and
        the four files, or when a file's md5 differs from the official one.
    """
    env_value = os.environ.get(ENV_DATA, "").strip()
    if root is not None:
        folder, source = Path(root).expanduser(), "root= argument"
    elif env_value:
        folder, source = Path(env_value).expanduser(), f"{ENV_DATA} environment variable"
    else:
        folder, source = Path(REPO_DATA_DIR), "default (no root= and no GAN_COURSE_DATA), the repository's data/"

    place = _complete_layout(folder)
    download_error = None
    if place is None and download:
        try:
            _download(folder)
        except Exception as err:  # offline, read-only folder, torchvision missing...: all the same to a student
            download_error = err
        place = _complete_layout(folder)

    if place is None:
        raise MNISTError(_missing_message(folder, source, download, download_error))
    _verify(place)
    return place


def _missing_message(folder: Path, source: str, download: bool, download_error: Exception | None) -> str:
    searched = "\n".join(f"    {p}" + ("" if p.is_dir() else "  (does not exist)") for p in _layouts(folder))
    names = "\n".join(f"    {name}" for name in MNIST_FILES)
    lines = [
        f"MNIST was not found. Searched the folder given by the {source}:",
        searched,
        "for the four files:",
        names,
    ]
    if not download:
        lines.append("Downloading was switched off (download=False).")
    elif download_error is not None:
        lines.append(f"Downloading them with torchvision into {folder} failed: "
                     f"{type(download_error).__name__}: {download_error}".rstrip())
    lines.append(
        f"To fix it: put the four .gz files in a folder and set {ENV_DATA} to it "
        f"(export {ENV_DATA}=/path/to/mnist), or pass root='/path/to/mnist'."
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Loading a split
# --------------------------------------------------------------------------------------------

def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")


def _read_split(place: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Decode one split's images and labels and check that they belong together."""
    images_file, labels_file = (place / name for name in SPLITS[split])
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise MNISTError(f"{images_file} should hold 28x28 images (N, 28, 28), found shape {images.shape}.")
    if labels.ndim != 1:
        raise MNISTError(f"{labels_file} should hold labels (N,), found shape {labels.shape}.")
    if len(images) != len(labels):
        raise MNISTError(f"{images_file} has {len(images)} images but {labels_file} has {len(labels)} labels.")
    if labels.size and labels.max() > 9:
        raise MNISTError(f"{labels_file} has a label {labels.max()}; MNIST labels are 0..9.")
    return images, labels


@functools.cache
def _stand_in(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic synthetic digits for graders: seven-segment strokes, jittered and blurred.

    Returns uint8 images (N, 28, 28) in 0..255 and int64 labels (N,) with each digit N/10 times.
    Cached per split: callers must clone before handing the tensors out.
    """
    n = STAND_IN_SIZES[split]
    g = torch.Generator().manual_seed(STAND_IN_SEEDS[split])

    # Seven segments on a 28x28 canvas: (row0, row1, col0, col1) of each stroke's rectangle.
    top, mid, bottom, left, right, width = 5, 13, 21, 9, 17, 2
    segments = {
        "a": (top, top + width, left, right + width),           # top bar
        "b": (top, mid + width, right, right + width),          # upper right
        "c": (mid, bottom + width, right, right + width),       # lower right
        "d": (bottom, bottom + width, left, right + width),     # bottom bar
        "e": (mid, bottom + width, left, left + width),         # lower left
        "f": (top, mid + width, left, left + width),            # upper left
        "g": (mid, mid + width, left, right + width),           # middle bar
    }
    digits = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abcdfg"]
    templates = torch.zeros(10, IMAGE_SIDE, IMAGE_SIDE)         # (10, 28, 28), 0 or 1
    for digit, segs in enumerate(digits):
        for s in segs:
            r0, r1, c0, c1 = segments[s]
            templates[digit, r0:r1, c0:c1] = 1.0

    labels = (torch.arange(n) % 10)[torch.randperm(n, generator=g)]     # (N,), balanced
    x = templates[labels].unsqueeze(1)                                   # (N, 1, 28, 28)

    # Per image: small rotation, scale and shift (an affine warp), then a blur.
    angle = (torch.rand(n, generator=g) - 0.5) * 0.5                     # about +-14 degrees
    scale = 1.0 + (torch.rand(n, generator=g) - 0.5) * 0.3
    shift = (torch.rand(n, 2, generator=g) - 0.5) * 0.25                 # +-3.5 px
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)     # (N, 28, 28, 2)
    x = F.grid_sample(x, grid, align_corners=False)                      # (N, 1, 28, 28)
    x = F.avg_pool2d(F.avg_pool2d(x, 3, stride=1, padding=1), 3, stride=1, padding=1)  # 5x5 tent blur
    x = x / x.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)          # each image peaks at 1
    brightness = 0.8 + 0.2 * torch.rand(n, 1, 1, 1, generator=g)
    images = (x * brightness * 255).round().clamp(0, 255).to(torch.uint8).squeeze(1)  # (N, 28, 28)
    return images, labels.to(torch.int64)


def load_mnist(split: str = "train", root: str | os.PathLike[str] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One MNIST split as tensors: the official images and labels, unchanged.

    Parameters
    ----------
    split:
        ``"train"`` (60000 images) or ``"test"`` (10000 images).
    root:
        A data folder; see :func:`find_mnist` for where the files are looked for otherwise.

    Returns
    -------
    images:
        uint8 tensor of shape (N, 28, 28), values 0..255 (0 is the black background).
    labels:
        int64 tensor of shape (N,), values 0..9.

    The decoded files are kept in memory, so calling this twice reads the disk once; each call
    returns fresh tensors that you may change freely.

    Grading stand-in: under a grader (``GAN_COURSE_GRADING=1``, set by the course's grader, or
    ``NBGRADER_EXECUTION``, set by ``nbgrader autograde``), nothing is read or downloaded.
    Instead a deterministic synthetic stand-in comes back with the same dtypes and image size:
    1024 images for "train" and 256 for "test", seven-segment-style digits with random jitter
    and blur, each label equally often.
    Graders test your functions on their own inputs; this only keeps a notebook's data cells fast.

    Raises
    ------
    ValueError
        When ``split`` is not "train" or "test".
    MNISTError
        When the files are missing, corrupt or inconsistent (the message says how to fix it).
    """
    _check_split(split)
    if is_grading():
        images, labels = _stand_in(split)
        return images.clone(), labels.clone()

    place = find_mnist(root)
    key = (str(place.resolve()), split)
    if key not in _arrays_cache:
        _arrays_cache[key] = _read_split(place, split)
    images, labels = _arrays_cache[key]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def mnist_dataset(
    split: str = "train",
    root: str | os.PathLike[str] | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> TensorDataset:
    """MNIST as a ``TensorDataset`` of (image, label) pairs, ready for a ``DataLoader``.

    Parameters
    ----------
    split:
        ``"train"`` or ``"test"``.
    root:
        A data folder; see :func:`find_mnist`.
    value_range:
        ``(lo, hi)``: pixel value 0 becomes ``lo`` and 255 becomes ``hi``, linearly
        (``x / 255 * (hi - lo) + lo``). ``(0.0, 1.0)`` matches torchvision's ``ToTensor()``;
        ``(-1.0, 1.0)`` matches ``ToTensor()`` + ``Normalize((0.5,), (0.5,))``, the range of a
        generator that ends in ``tanh``.

    Returns
    -------
    TensorDataset
        ``tensors[0]``: float32 images (N, 1, 28, 28) in ``[lo, hi]``;
        ``tensors[1]``: int64 labels (N,) in 0..9.
        Under ``GAN_COURSE_GRADING=1`` this is built from :func:`load_mnist`'s stand-in.
    """
    try:
        lo, hi = (float(v) for v in value_range)
        valid = math.isfinite(lo) and math.isfinite(hi) and lo < hi
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"value_range must be (lo, hi) with lo < hi, e.g. (0.0, 1.0) or (-1.0, 1.0); got {value_range!r}"
        )
    images, labels = load_mnist(split, root)
    x = images.to(torch.float32).div_(255).mul_(hi - lo).add_(lo).unsqueeze(1)   # (N, 1, 28, 28)
    return TensorDataset(x, labels)


# --------------------------------------------------------------------------------------------
# Batches that stay on the training device
# --------------------------------------------------------------------------------------------

class DeviceBatches:
    """Shuffled minibatches of a ``TensorDataset`` whose tensors live on the training device.

    A drop-in for ``DataLoader(dataset, batch_size, shuffle=True)`` in a training loop::

        for images, labels in DeviceBatches(dataset, 128, device):   # (B, 1, 28, 28), (B,)
            ...

    Why: a ``DataLoader`` builds every batch on the CPU, one image at a time, and copies it to the
    GPU: for networks as small as these that costs more than the training step itself. MNIST is
    small (60,000 x 784 float32 = 188 MB), so it can be copied to the device **once**; then a
    batch is one indexing operation on the device, with no copy and no Python loop over images.
    On a CPU it is also faster than a ``DataLoader`` (no per-image collation).

    Every pass (epoch) visits each image once in a new random order (``torch.randperm``, drawn
    from the global random state, so ``torch.manual_seed`` makes it repeatable). The last batch
    is smaller when ``len(dataset)`` is not a multiple of ``batch_size``, as with a ``DataLoader``;
    ``drop_last=True`` skips it. ``len(batches)`` is the number of batches per pass.
    """

    def __init__(self, dataset: TensorDataset, batch_size: int, device: torch.device | str = "cpu",
                 shuffle: bool = True, drop_last: bool = False):
        if not isinstance(dataset, TensorDataset):
            raise TypeError(f"DeviceBatches needs a TensorDataset (such as mnist_dataset(...)), got "
                            f"{type(dataset).__name__}; use a DataLoader for other datasets")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        self.device = torch.device(device)
        self.tensors = tuple(t.to(self.device) for t in dataset.tensors)  # one copy, kept on the device
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last

    def __len__(self) -> int:
        n = len(self.tensors[0])
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.tensors[0])
        # The order lives on the device too: indexing with it gathers a batch there.
        order = torch.randperm(n, device=self.device) if self.shuffle else torch.arange(n, device=self.device)
        for k in range(len(self)):
            index = order[k * self.batch_size:(k + 1) * self.batch_size]   # (B,)
            yield tuple(t[index] for t in self.tensors)                    # (B, 1, 28, 28), (B,)
