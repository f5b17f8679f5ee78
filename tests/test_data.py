"""The MNIST loader ``gan_course.data``: IDX parsing, md5 checks, where files are found, the stand-in.

Everything except the ``mnist``-marked tests runs on tiny IDX files written into ``tmp_path``, with
the official md5s swapped for the fixtures' own, and with downloading replaced by a fake
``torchvision.datasets.MNIST``: no test reads the real data set or touches the network unless
``GAN_COURSE_DATA`` points at the real MNIST (then the ``mnist`` tests check it too).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_course import data
from gan_course.data import MNISTError, find_mnist, load_mnist, mnist_dataset, read_idx

REAL_MNIST = os.environ.get("GAN_COURSE_DATA")  # read once, before the fixtures below clear it
needs_real_mnist = pytest.mark.skipif(not REAL_MNIST, reason="set GAN_COURSE_DATA to the real MNIST folder")

TRAIN_SIZE, TEST_SIZE = 20, 10  # the tiny fixture's splits


# --------------------------------------------------------------------------------------------
# Writing IDX files
# --------------------------------------------------------------------------------------------

def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An uncompressed IDX file holding a uint8 array (1-D labels or 3-D images)."""
    if magic is None:
        magic = 0x00000800 + array.ndim
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_idx(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to ``path``, gzip-compressed (reproducibly: mtime 0) when it ends in .gz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload, mtime=0) if path.suffix == ".gz" else payload)
    return path


@dataclass
class TinyMNIST:
    """The arrays written into every tiny MNIST folder of a test."""

    train_images: np.ndarray  # uint8 (20, 28, 28)
    train_labels: np.ndarray  # uint8 (20,)
    test_images: np.ndarray   # uint8 (10, 28, 28)
    test_labels: np.ndarray   # uint8 (10,)

    def files(self) -> dict[str, bytes]:
        """File name -> gzip bytes, in MNIST_FILES order."""
        arrays = [self.train_images, self.train_labels, self.test_images, self.test_labels]
        return {name: gzip.compress(idx_bytes(a), mtime=0) for name, a in zip(data.MNIST_FILES, arrays, strict=True)}

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, blob in self.files().items():
            (folder / name).write_bytes(blob)
        return folder


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No env vars, an empty repo data/ folder, fresh caches, and any real download is an error."""
    monkeypatch.delenv("GAN_COURSE_DATA", raising=False)
    monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(data, "REPO_DATA_DIR", tmp_path / "repo_data")
    monkeypatch.setattr(data, "_md5_cache", {})
    monkeypatch.setattr(data, "_arrays_cache", {})

    def no_network(folder):
        raise AssertionError(f"a test tried to download MNIST into {folder}")
    monkeypatch.setattr(data, "_download", no_network)


@pytest.fixture
def tiny(monkeypatch) -> TinyMNIST:
    """Random tiny splits; MNIST_FILES now expects their md5s (fixtures can't match the official ones)."""
    rng = np.random.default_rng(0)
    tiny = TinyMNIST(
        train_images=rng.integers(0, 256, (TRAIN_SIZE, 28, 28), dtype=np.uint8),
        train_labels=(np.arange(TRAIN_SIZE) % 10).astype(np.uint8),
        test_images=rng.integers(0, 256, (TEST_SIZE, 28, 28), dtype=np.uint8),
        test_labels=(np.arange(TEST_SIZE)[::-1] % 10).astype(np.uint8),
    )
    md5s = {name: hashlib.md5(blob).hexdigest() for name, blob in tiny.files().items()}
    monkeypatch.setattr(data, "MNIST_FILES", md5s)
    return tiny


DOWNLOAD = data._download  # the real download (it imports torchvision), saved before `isolated` replaces it


class TorchvisionCalls(list):
    """The (root, train, download) of each ``torchvision.datasets.MNIST`` call, and what it does."""

    @staticmethod
    def behaviour(root: Path, train: bool) -> None:
        """Set per test: write files into ``root`` (a download that works) or raise (one that fails)."""


@pytest.fixture
def fake_torchvision(monkeypatch) -> TorchvisionCalls:
    """The real download path with ``torchvision.datasets.MNIST`` replaced by a fake that records calls."""
    calls = TorchvisionCalls()

    class MNIST:
        def __init__(self, root, train=True, download=False):
            calls.append((Path(root), train, download))
            calls.behaviour(Path(root), train)

    datasets = types.ModuleType("torchvision.datasets")
    datasets.MNIST = MNIST
    torchvision = types.ModuleType("torchvision")
    torchvision.datasets = datasets
    monkeypatch.setitem(sys.modules, "torchvision", torchvision)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    monkeypatch.setattr(data, "_download", DOWNLOAD)
    return calls


def assert_names_four_files(message: str) -> None:
    for name in data.MNIST_FILES:
        assert name in message, f"the error should name {name}; it says:\n{message}"


# --------------------------------------------------------------------------------------------
# read_idx
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".gz", ""])
@pytest.mark.parametrize("shape", [(7,), (3, 28, 28), (2, 5, 4)])
def test_read_idx_round_trip(tmp_path, shape, suffix):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = write_idx(tmp_path / f"file{suffix}", idx_bytes(array))
    decoded = read_idx(path)
    assert decoded.dtype == np.uint8, f"read_idx should return uint8, got {decoded.dtype}"
    assert decoded.shape == shape, f"read_idx should return shape {shape}, got {decoded.shape}"
    assert np.array_equal(decoded, array), "read_idx changed the values"
    assert decoded.flags.writeable, "read_idx should return a writable array (torch.from_numpy warns otherwise)"


LABELS = np.arange(6, dtype=np.uint8)
GOOD_LABELS = idx_bytes(LABELS)
BAD_FILES = {
    # case: (file bytes before compression, words the error must contain)
    "bad magic": (struct.pack(">I", 0x12345678) + GOOD_LABELS[4:], ["magic", "0x12345678"]),
    "two dimensions": (idx_bytes(np.zeros((2, 3), np.uint8)), ["magic", "0x00000802"]),
    "float data type": (struct.pack(">I", 0x00000D01) + GOOD_LABELS[4:], ["data type", "0x0D"]),
    "truncated payload": (GOOD_LABELS[:-2], ["truncated", "6 bytes", "found 4"]),
    "trailing bytes": (GOOD_LABELS + b"\x00\x00\x00", ["trailing", "6 bytes", "found 9"]),
    "truncated header": (struct.pack(">I", 0x00000803) + b"\x00\x00", ["truncated", "header"]),
    "empty": (b"", ["not an IDX file"]),
}


@pytest.mark.parametrize("suffix", [".gz", ""])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_read_idx_rejects_bad_file(tmp_path, case, suffix):
    payload, words = BAD_FILES[case]
    path = write_idx(tmp_path / f"labels-{case.replace(' ', '-')}{suffix}", payload)
    with pytest.raises(MNISTError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message, f"the error should name the file {path}; it says: {message}"
    for word in words:
        assert word in message, f"{case}: the error should mention {word!r}; it says: {message}"


@pytest.mark.parametrize("damage", ["truncated gzip", "corrupt gzip", "not gzip at all"])
def test_read_idx_rejects_bad_gzip(tmp_path, damage):
    blob = gzip.compress(GOOD_LABELS, mtime=0)
    if damage == "truncated gzip":
        blob = blob[: len(blob) // 2]
    elif damage == "corrupt gzip":
        blob = blob[:-8] + bytes(8)  # wrong CRC and length trailer
    else:
        blob = b"<html>404 Not Found</html>"
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(blob)
    with pytest.raises(MNISTError, match="gzip") as caught:
        read_idx(path)
    assert str(path) in str(caught.value), f"the error should name the file; it says: {caught.value}"


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "nowhere.gz"
    with pytest.raises(MNISTError, match="cannot read"):
        read_idx(path)


# --------------------------------------------------------------------------------------------
# find_mnist: md5 checks and where it looks
# --------------------------------------------------------------------------------------------

def test_find_mnist_accepts_matching_md5s(tiny, tmp_path):
    folder = tiny.write(tmp_path / "mnist")
    assert find_mnist(folder, download=False) == folder


def test_find_mnist_rejects_wrong_md5(tiny, tmp_path, monkeypatch):
    folder = tiny.write(tmp_path / "mnist")
    name = "t10k-labels-idx1-ubyte.gz"
    expected = "0" * 32
    actual = data.MNIST_FILES[name]
    monkeypatch.setitem(data.MNIST_FILES, name, expected)
    with pytest.raises(MNISTError) as caught:
        find_mnist(folder, download=False)
    message = str(caught.value)
    for word in (str(folder / name), expected, actual, "delete"):
        assert word in message, f"a wrong md5 should be reported with {word!r}; the error says: {message}"


def test_official_md5s_are_the_published_ones():
    # Guard the constant against typos: these are the md5s published with MNIST.
    assert data.MNIST_FILES == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


@pytest.fixture
def three_folders(tiny, tmp_path):
    """A complete MNIST in an explicit root, in GAN_COURSE_DATA and in the repo's data/."""
    explicit = tiny.write(tmp_path / "explicit")
    from_env = tiny.write(tmp_path / "from_env")
    repo = tiny.write(data.REPO_DATA_DIR)
    return explicit, from_env, repo


def test_explicit_root_beats_env_var(three_folders, monkeypatch):
    explicit, from_env, _ = three_folders
    monkeypatch.setenv("GAN_COURSE_DATA", str(from_env))
    assert find_mnist(explicit, download=False) == explicit, "root= must win over GAN_COURSE_DATA"


def test_env_var_beats_repo_data(three_folders, monkeypatch):
    _, from_env, _ = three_folders
    monkeypatch.setenv("GAN_COURSE_DATA", str(from_env))
    assert find_mnist(download=False) == from_env, "GAN_COURSE_DATA must win over the repo's data/"


def test_repo_data_is_the_last_resort(three_folders):
    _, _, repo = three_folders
    assert find_mnist(download=False) == repo


@pytest.mark.parametrize("given", ["root", "env"])
def test_given_folder_is_the_only_one_searched(given, tiny, tmp_path, monkeypatch):
    tiny.write(data.REPO_DATA_DIR)
    empty = tmp_path / "empty"
    empty.mkdir()
    if given == "env":
        monkeypatch.setenv("GAN_COURSE_DATA", str(empty))
    with pytest.raises(MNISTError) as caught:
        find_mnist(empty if given == "root" else None, download=False)
    message = str(caught.value)
    assert str(empty) in message, f"the error should name the folder searched; it says: {message}"
    assert str(data.REPO_DATA_DIR) not in message, "a given folder must not silently fall back to data/"


def test_torchvision_layout_is_accepted(tiny, tmp_path):
    root = tmp_path / "mnist"
    raw = tiny.write(root / "MNIST" / "raw")
    assert find_mnist(root, download=False) == raw


@pytest.mark.parametrize("given", ["root", "env", "repo data/"])
def test_missing_files_without_download(given, tiny, tmp_path, monkeypatch):
    folder = tmp_path / "partial" if given != "repo data/" else data.REPO_DATA_DIR
    tiny.write(folder)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    if given == "env":
        monkeypatch.setenv("GAN_COURSE_DATA", str(folder))
    with pytest.raises(MNISTError) as caught:
        find_mnist(folder if given == "root" else None, download=False)
    message = str(caught.value)
    assert str(folder) in message, f"the error should name the folder searched; it says:\n{message}"
    assert str(folder / "MNIST" / "raw") in message, f"the error should name MNIST/raw too; it says:\n{message}"
    assert_names_four_files(message)
    assert "GAN_COURSE_DATA" in message and "root=" in message, f"the error should say how to fix it:\n{message}"
    assert "download=False" in message


def test_failed_download_is_explained(fake_torchvision, tmp_path):
    def offline(root, train):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: <urlopen error [Errno -3]>")
    fake_torchvision.behaviour = offline
    folder = tmp_path / "nowhere"
    with pytest.raises(MNISTError) as caught:
        find_mnist(folder)
    message = str(caught.value)
    assert fake_torchvision, "find_mnist should have tried torchvision's download"
    assert str(folder) in message, f"the error should name the folder; it says:\n{message}"
    assert_names_four_files(message)
    assert "urlopen error" in message, f"the error should pass on why the download failed:\n{message}"
    assert "GAN_COURSE_DATA" in message, f"the error should say how to fix it:\n{message}"


@pytest.mark.parametrize("given", ["root", "repo data/"])
def test_download_lands_in_the_searched_folder(given, fake_torchvision, tiny, tmp_path):
    fake_torchvision.behaviour = lambda root, train: tiny.write(root / "MNIST" / "raw")
    folder = tmp_path / "fresh" if given == "root" else data.REPO_DATA_DIR
    found = find_mnist(folder if given == "root" else None)
    assert found == folder / "MNIST" / "raw"
    assert {(root, train, download) for root, train, download in fake_torchvision} == {
        (folder, True, True), (folder, False, True)}, f"unexpected torchvision calls: {list(fake_torchvision)}"


def test_md5_is_hashed_once_per_file_version(tiny, tmp_path, monkeypatch):
    folder = tiny.write(tmp_path / "mnist")
    hashed: list[str] = []
    real_hash = data._hash_file
    monkeypatch.setattr(data, "_hash_file", lambda path: hashed.append(path.name) or real_hash(path))
    find_mnist(folder, download=False)
    find_mnist(folder, download=False)
    assert len(hashed) == 4, f"two calls should hash each file once, hashed {hashed}"
    changed = folder / "train-labels-idx1-ubyte.gz"
    os.utime(changed, ns=(0, changed.stat().st_mtime_ns + 10**9))
    find_mnist(folder, download=False)
    assert hashed[4:] == [changed.name], f"only the touched file should be hashed again, hashed {hashed[4:]}"


# --------------------------------------------------------------------------------------------
# load_mnist and mnist_dataset on the tiny files
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_returns_the_files_contents(split, tiny, tmp_path):
    folder = tiny.write(tmp_path / "mnist")
    images, labels = load_mnist(split, root=folder)
    want_images = tiny.train_images if split == "train" else tiny.test_images
    want_labels = tiny.train_labels if split == "train" else tiny.test_labels
    assert images.dtype == torch.uint8 and labels.dtype == torch.int64, f"got {images.dtype}, {labels.dtype}"
    assert images.shape == (len(want_images), 28, 28) and labels.shape == (len(want_labels),)
    assert np.array_equal(images.numpy(), want_images) and np.array_equal(labels.numpy(), want_labels)


def test_load_mnist_reads_each_split_once(tiny, tmp_path, monkeypatch):
    folder = tiny.write(tmp_path / "mnist")
    read: list[str] = []
    real_read = data.read_idx
    monkeypatch.setattr(data, "read_idx", lambda path: read.append(Path(path).name) or real_read(path))
    first, _ = load_mnist("train", root=folder)
    first.zero_()  # a caller changing its tensor must not change the next call's
    second, _ = load_mnist("train", root=folder)
    assert len(read) == 2, f"the second call should come from memory; files read: {read}"
    assert np.array_equal(second.numpy(), tiny.train_images), "load_mnist returned a tensor sharing its cache"


@pytest.mark.parametrize("split", ["training", "val", "", "Train"])
@pytest.mark.parametrize("grading", ["", "1"])
def test_load_mnist_rejects_unknown_split(split, grading, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_GRADING", grading)
    with pytest.raises(ValueError, match=r"\['train', 'test'\]"):
        load_mnist(split)


def test_load_mnist_rejects_mismatched_counts(tiny, tmp_path, monkeypatch):
    folder = tiny.write(tmp_path / "mnist")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.zeros(3, np.uint8)))
    monkeypatch.setitem(data.MNIST_FILES, "t10k-labels-idx1-ubyte.gz",
                        hashlib.md5((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()).hexdigest())
    with pytest.raises(MNISTError, match="10 images but .* 3 labels"):
        load_mnist("test", root=folder)


@pytest.mark.parametrize("value_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_mnist_dataset_scales_into_value_range(value_range, tiny, tmp_path, monkeypatch):
    folder = tiny.write(tmp_path / "mnist")
    images = tiny.train_images.copy()
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make sure both ends occur
    write_idx(folder / "train-images-idx3-ubyte.gz", idx_bytes(images))
    monkeypatch.setitem(data.MNIST_FILES, "train-images-idx3-ubyte.gz",
                        hashlib.md5((folder / "train-images-idx3-ubyte.gz").read_bytes()).hexdigest())

    x, y = mnist_dataset("train", root=folder, value_range=value_range).tensors
    lo, hi = value_range
    assert x.dtype == torch.float32 and x.shape == (TRAIN_SIZE, 1, 28, 28), f"got {x.dtype} {tuple(x.shape)}"
    assert y.dtype == torch.int64 and y.shape == (TRAIN_SIZE,)
    assert x[0, 0, 0, 0] == lo and x[0, 0, 0, 1] == hi, "pixel 0 should become lo and 255 should become hi"
    # torchvision: ToTensor() divides by 255; Normalize((0.5,), (0.5,)) then maps [0, 1] to [-1, 1].
    reference = torch.from_numpy(images).float().div(255).unsqueeze(1)
    if value_range == (-1.0, 1.0):
        reference = (reference - 0.5) / 0.5
    assert torch.allclose(x, reference, atol=1e-6), "images are not x / 255 * (hi - lo) + lo"


@pytest.mark.parametrize("value_range", [(1.0, 0.0), (0.0, 0.0), (0.0, float("nan")), (0.0,), ("lo", "hi"), None])
def test_mnist_dataset_rejects_bad_value_range(value_range):
    with pytest.raises(ValueError, match="value_range"):
        mnist_dataset("train", value_range=value_range)


# --------------------------------------------------------------------------------------------
# The grading stand-in
# --------------------------------------------------------------------------------------------

@pytest.fixture
def grading(tmp_path, monkeypatch):
    """GAN_COURSE_GRADING=1, GAN_COURSE_DATA at an empty folder, and every file access an error."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("GAN_COURSE_GRADING", "1")
    monkeypatch.setenv("GAN_COURSE_DATA", str(empty))

    def forbidden(*args, **kwargs):
        raise AssertionError("the grading stand-in must not look for, read or download MNIST")
    for name in ("find_mnist", "read_idx", "_download", "_md5"):
        monkeypatch.setattr(data, name, forbidden)
    yield
    assert not any(empty.iterdir()), "the grading stand-in wrote into the data folder"


@pytest.mark.parametrize(("split", "size"), [("train", 1024), ("test", 256)])
def test_grading_stand_in(split, size, grading):
    images, labels = load_mnist(split)
    assert images.dtype == torch.uint8 and images.shape == (size, 28, 28), f"got {images.dtype} {tuple(images.shape)}"
    assert labels.dtype == torch.int64 and labels.shape == (size,), f"got {labels.dtype} {tuple(labels.shape)}"
    counts = torch.bincount(labels, minlength=10)
    assert len(counts) == 10 and counts.max() - counts.min() <= 1, f"labels should be balanced over 0..9: {counts}"
    assert images.max() > 200 and images.min() == 0, "stand-in images should use the 0..255 range like MNIST"
    fresh_images, fresh_labels = data._stand_in.__wrapped__(split)  # computed again, not from the cache
    assert torch.equal(images, fresh_images) and torch.equal(labels, fresh_labels), "the stand-in is not deterministic"
    mean_per_label = torch.stack([images[labels == k].float().mean(0).flatten() for k in range(10)])  # (10, 784)
    closest = torch.cdist(mean_per_label, mean_per_label).add(torch.eye(10) * 1e9).min().item()
    assert closest > 100, f"each label should have its own pattern; two labels' mean images are {closest:.0f} apart"
    images.zero_()  # a caller changing its tensor must not change the next call's
    assert torch.equal(load_mnist(split)[0], fresh_images), "load_mnist returned the stand-in's cached tensor"


def test_grading_stand_in_splits_differ(grading):
    train, _ = load_mnist("train")
    test, _ = load_mnist("test")
    assert not torch.equal(train[:256], test), "the test stand-in should not repeat the training images"


def test_grading_mnist_dataset(grading):
    x, y = mnist_dataset("test", value_range=(-1.0, 1.0)).tensors
    assert x.shape == (256, 1, 28, 28) and x.min() >= -1 and x.max() <= 1 and y.shape == (256,)


# --------------------------------------------------------------------------------------------
# The real MNIST (only when GAN_COURSE_DATA points at it)
# --------------------------------------------------------------------------------------------

TRAIN_HISTOGRAM = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def real_mnist():
    """Both real splits, loaded once for the module: {split: (images, labels)}."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GAN_COURSE_GRADING", raising=False)
        return {split: load_mnist(split, root=REAL_MNIST) for split in ("train", "test")}


@pytest.mark.mnist
@needs_real_mnist
def test_real_mnist_md5s():
    place = find_mnist(REAL_MNIST, download=False)
    assert all((place / name).is_file() for name in data.MNIST_FILES)


@pytest.mark.mnist
@needs_real_mnist
@pytest.mark.parametrize(("split", "histogram", "mean"), [("train", TRAIN_HISTOGRAM, 33.3184),
                                                         ("test", TEST_HISTOGRAM, 33.7912)])
def test_real_mnist_split(real_mnist, split, histogram, mean):
    images, labels = real_mnist[split]
    n = sum(histogram)
    assert images.shape == (n, 28, 28) and images.dtype == torch.uint8, f"got {images.dtype} {tuple(images.shape)}"
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert torch.bincount(labels, minlength=10).tolist() == histogram, "label histogram differs from MNIST's"
    assert abs(images.double().mean().item() - mean) < 1e-3, f"mean pixel {images.double().mean():.4f}, expected {mean}"


@pytest.mark.mnist
@needs_real_mnist
def test_real_mnist_dataset():
    x, y = mnist_dataset("test", root=REAL_MNIST, value_range=(-1.0, 1.0)).tensors
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() == -1.0 and x.max() == 1.0, f"values should span [-1, 1], got [{x.min()}, {x.max()}]"


def test_stand_in_also_under_nbgrader(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    images, labels = load_mnist("train")
    assert images.shape == (1024, 28, 28) and labels.shape == (1024,)


# --------------------------------------------------------------------------------------------
# DeviceBatches: the data path that keeps MNIST on the training device
# --------------------------------------------------------------------------------------------

def _numbered(n: int) -> torch.utils.data.TensorDataset:
    """n "images" whose single pixel is their index, with the index as label."""
    index = torch.arange(n)
    return torch.utils.data.TensorDataset(index.float().view(n, 1, 1, 1), index)


@pytest.mark.parametrize("n, batch, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),   # like a DataLoader: a smaller last batch
    (10, 4, True, [4, 4]),       # drop_last skips it
    (8, 4, False, [4, 4]),
    (3, 8, False, [3]),
])
def test_device_batches_sizes_like_a_dataloader(n, batch, drop_last, sizes):
    from gan_course.data import DeviceBatches
    batches = DeviceBatches(_numbered(n), batch, drop_last=drop_last)
    got = [len(images) for images, _ in batches]
    assert got == sizes and len(batches) == len(sizes)


def test_device_batches_each_pass_is_a_new_permutation():
    from gan_course.data import DeviceBatches
    batches = DeviceBatches(_numbered(100), 7)
    torch.manual_seed(0)
    passes = []
    for _ in range(2):
        images, labels = zip(*batches, strict=True)
        seen = torch.cat(labels)
        assert sorted(seen.tolist()) == list(range(100))             # every image once per pass
        assert torch.equal(torch.cat(images).view(-1).long(), seen)  # images stay with their labels
        passes.append(seen)
    assert not torch.equal(passes[0], passes[1])                       # shuffled anew each pass
    torch.manual_seed(0)
    assert torch.equal(torch.cat([labels for _, labels in batches]), passes[0])  # seeded: repeatable


def test_device_batches_without_shuffle_keep_the_order_and_the_device():
    from gan_course.data import DeviceBatches
    batches = DeviceBatches(_numbered(5), 2, device="cpu", shuffle=False)
    labels = [label.tolist() for _, label in batches]
    assert labels == [[0, 1], [2, 3], [4]]
    assert all(images.device.type == "cpu" for images, _ in batches)


@pytest.mark.parametrize("dataset, batch, message", [
    ([1, 2, 3], 2, "needs a TensorDataset"),
    (None, 0, "batch_size must be at least 1"),
])
def test_device_batches_bad_input_is_named(dataset, batch, message):
    from gan_course.data import DeviceBatches
    dataset = _numbered(4) if dataset is None else dataset
    with pytest.raises((TypeError, ValueError), match=message):
        DeviceBatches(dataset, batch)
