"""A small MNIST classifier: the judge of every generator in the course.

The evaluator (:mod:`gan_course.evaluate`) uses it twice: its softmax says which digit a sample
is (and how sure it is), and its penultimate layer is the feature space of the Fréchet distance.

The weights are our own artifact, shipped beside this file (MNIST itself is never committed)::

    python -m gan_course.classifier train      # retrain: seeded, 4 epochs, 5-40 min on 2 shared CPU cores
    python -m gan_course.classifier test       # accuracy of the shipped weights on MNIST-test

``train`` writes two files next to this module:

* ``mnist_classifier.pt``: the network's ``state_dict`` (float32 tensors only);
* ``mnist_test_features.pt``: the mean (F,) and covariance (F, F) of the classifier's features
  over the 10 000 MNIST-test images, so that evaluating a generator never needs MNIST.

Both are read with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

__all__ = [
    "FEATURES",
    "STATS_PATH",
    "WEIGHTS_PATH",
    "MNISTClassifier",
    "accuracy",
    "feature_stats",
    "load_classifier",
    "load_reference_stats",
    "train",
]

HERE = Path(__file__).resolve().parent
WEIGHTS_PATH = HERE / "mnist_classifier.pt"
STATS_PATH = HERE / "mnist_test_features.pt"

FEATURES = 128          # width of the penultimate layer: the Fréchet distance's feature space
N_CLASSES = 10
SEED = 0
EPOCHS = 4
BATCH_SIZE = 128
LEARNING_RATE = 2e-3       # the peak of the one-cycle schedule
THREADS = 2             # the course's CPU machines have 2 cores (1 is faster when they are busy)


class MNISTClassifier(nn.Module):
    """Two conv blocks (with batch norm) and two linear layers; inputs in [0, 1], shape (N, 1, 28, 28).

    ``features(x)`` gives the (N, 128) penultimate activations, ``forward(x)`` the (N, 10) logits.
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),     # (N, 16, 28, 28)
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),                    # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1),    # (N, 32, 14, 14)
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),                    # (N, 32, 7, 7)
            nn.Flatten(),                       # (N, 1568)
            nn.Linear(32 * 7 * 7, FEATURES),    # (N, 128)
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(FEATURES, N_CLASSES))  # (N, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) images in [0, 1] -> (N, 128) features (non-negative)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) images in [0, 1] -> (N, 10) logits."""
        return self.head(self.body(x))


@functools.cache
def load_classifier() -> MNISTClassifier:
    """The shipped classifier, in eval mode, on the CPU (loaded once per process)."""
    if not WEIGHTS_PATH.is_file():
        raise FileNotFoundError(
            f"{WEIGHTS_PATH} is missing: it ships with the course. Restore it from git, or retrain it "
            "with `python -m gan_course.classifier train` (needs MNIST)."
        )
    with torch.random.fork_rng(devices=[]):   # the initial weights are overwritten: leave the caller's RNG be
        model = MNISTClassifier()
    model.load_state_dict(torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@functools.cache
def load_reference_stats() -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-test's feature mean (128,) and covariance (128, 128), float64, as shipped."""
    if not STATS_PATH.is_file():
        raise FileNotFoundError(
            f"{STATS_PATH} is missing: it ships with the course. Restore it from git, or rebuild it "
            "with `python -m gan_course.classifier train` (needs MNIST)."
        )
    stats = torch.load(STATS_PATH, map_location="cpu", weights_only=True)
    return stats["mean"], stats["cov"]


@torch.no_grad()
def batched_features(
    model: MNISTClassifier, images: torch.Tensor, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features (N, 128) and softmax probabilities (N, 10) of images (N, 1, 28, 28) in [0, 1]."""
    feats, probs = [], []
    for chunk in images.split(batch_size):
        f = model.features(chunk)
        feats.append(f)
        probs.append(model.head(f).softmax(dim=1))
    return torch.cat(feats), torch.cat(probs)


def feature_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (F,) and covariance (F, F), float64, of features (N, F)."""
    f = features.to(torch.float64)
    mean = f.mean(dim=0)
    centred = f - mean
    cov = centred.T @ centred / max(len(f) - 1, 1)
    return mean, cov


def _mnist(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 images (N, 1, 28, 28) in [0, 1] and int64 labels (N,)."""
    from gan_course.data import mnist_dataset

    images, labels = mnist_dataset(split, value_range=(0.0, 1.0)).tensors
    return images, labels


@torch.no_grad()
def accuracy(model: MNISTClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of images (N, 1, 28, 28) in [0, 1] whose argmax logit is their label (N,)."""
    model.eval()
    _, probs = batched_features(model, images)
    return (probs.argmax(dim=1) == labels).float().mean().item()


def train(epochs: int = EPOCHS, seed: int = SEED, out_dir: Path = HERE, threads: int = THREADS) -> float:
    """Train on MNIST-train, write the weights and MNIST-test's feature statistics; return test accuracy."""
    from tqdm.auto import tqdm

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    train_images, train_labels = _mnist("train")
    test_images, test_labels = _mnist("test")
    loader = DataLoader(
        torch.utils.data.TensorDataset(train_images, train_labels),
        batch_size=BATCH_SIZE, shuffle=True, generator=torch.Generator().manual_seed(seed),
    )
    model = MNISTClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE,
                                                    total_steps=epochs * len(loader))
    loss_fn = nn.CrossEntropyLoss()
    start = time.monotonic()
    for epoch in range(epochs):
        model.train()
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", unit="batch")
        for images, labels in bar:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
        print(f"epoch {epoch + 1}: test accuracy {accuracy(model, test_images, test_labels):.4f}")

    model.eval()
    test_accuracy = accuracy(model, test_images, test_labels)
    out_dir = Path(out_dir)
    torch.save(model.state_dict(), out_dir / WEIGHTS_PATH.name)
    feats, _ = batched_features(model, test_images)
    mean, cov = feature_stats(feats)
    torch.save({"mean": mean, "cov": cov}, out_dir / STATS_PATH.name)
    print(f"test accuracy {test_accuracy:.4f} after {time.monotonic() - start:.0f} s; "
          f"wrote {out_dir / WEIGHTS_PATH.name} and {out_dir / STATS_PATH.name}")
    return test_accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gan_course.classifier", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    p_train = sub.add_parser("train", help="train on MNIST-train and write the weights beside this module")
    p_train.add_argument("--epochs", type=int, default=EPOCHS)
    p_train.add_argument("--seed", type=int, default=SEED)
    p_train.add_argument("--out-dir", type=Path, default=HERE)
    p_train.add_argument("--threads", type=int, default=THREADS, help="torch threads")
    sub.add_parser("test", help="accuracy of the shipped weights on MNIST-test")
    args = parser.parse_args(argv)
    if args.verb == "train":
        train(args.epochs, args.seed, args.out_dir, args.threads)
    else:
        torch.set_num_threads(THREADS)
        images, labels = _mnist("test")
        print(f"test accuracy of {WEIGHTS_PATH.name}: {accuracy(load_classifier(), images, labels):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
