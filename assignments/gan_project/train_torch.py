"""Train the GAN on MNIST with plain PyTorch.

Implement either this file or ``train_pl.py`` (PyTorch Lightning), not both. Run it with

    python train_torch.py --progress_bar

Every ``--save_every`` epochs it writes into ``--log_dir`` (default ``GAN_logs``): a grid of
samples, a grid of interpolations, and a checkpoint. The losses go to TensorBoard:
``tensorboard --logdir GAN_logs``.

The GAN game: the discriminator D learns to tell real images x from generated ones G(z), and the
generator G learns to make D call its images real. Each training step does, in this order:

    Generator step:      minimise  -log D(G(z))                        (non-saturating loss)
    Discriminator step:  minimise  -[log D(x) + log(1 - D(G(z)))] / 2

where D(.) = sigmoid(logit) is the probability that an image is real. Both losses are binary
cross-entropies on D's logits: ``BCEWithLogitsLoss`` against the label REAL_LABEL or FAKE_LABEL.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.tensorboard import SummaryWriter
from torchvision.utils import make_grid, save_image
from tqdm.auto import tqdm

from gan_course import default_device
from gan_course.cuda_graph import capture, make_capturable
from gan_course.evaluate import log_to_tensorboard
from mnist import DEFAULT_WORKERS, mnist
from models import DiscriminatorMLP, GeneratorMLP
from utils import TensorBoardLogger

REAL_LABEL = 1.0   # the discriminator's target for real images ...
FAKE_LABEL = 0.0   # ... and for generated ones
BETAS = (0.5, 0.999)   # Adam's averaging factors; beta1 = 0.5 keeps the GAN game stable
# The seed trains batches of 128 at lr 2e-4. On a GPU a step of these small networks waits for
# kernel launches, not arithmetic: 512 images cost about as long as 128, so there the defaults
# take 512 at lr 4e-4: good digits in 2 minutes, where 128 at 2e-4 is not there after 3
# (docs/benchmarks.md).
DEFAULT_BATCH_SIZE, DEFAULT_LR = (512, 4e-4) if torch.cuda.is_available() else (128, 2e-4)


class GAN(nn.Module):
    def __init__(
        self,
        hidden_dims_gen: Sequence[int],
        hidden_dims_disc: Sequence[int],
        dp_rate_gen: float,
        dp_rate_disc: float,
        z_dim: int,
        lr: float,
    ):
        """A generator and a discriminator, trained against each other.

        Parameters
        ----------
        hidden_dims_gen, hidden_dims_disc:
            Hidden layer sizes of the generator and of the discriminator.
        dp_rate_gen, dp_rate_disc:
            Dropout probabilities of the generator and of the discriminator.
        z_dim:
            Length of the latent vector z the generator starts from.
        lr:
            Learning rate of both optimizers (they are created in ``main``).
        """
        super().__init__()
        self.z_dim = z_dim
        self.lr = lr
        self.generator = GeneratorMLP(z_dim=z_dim, hidden_dims=hidden_dims_gen, dp_rate=dp_rate_gen)
        self.discriminator = DiscriminatorMLP(hidden_dims=hidden_dims_disc, dp_rate=dp_rate_disc)

    @torch.no_grad()
    def sample(self, batch_size: int) -> torch.Tensor:
        """Generate new images from random latent vectors.

        Draw z ~ N(0, I) with ``torch.randn`` (shape (batch_size, z_dim), on ``self.device``) and
        run the generator on it in eval mode (dropout off), whatever mode the model is in; put the
        generator back into the mode it was in before returning. No gradients are tracked.

        Returns
        -------
        torch.Tensor
            Images of shape (batch_size, 1, 28, 28), values in [-1, 1].
        """
        # TODO: your code here
        raise NotImplementedError()

    @torch.no_grad()
    def interpolate(self, batch_size: int, interpolation_steps: int) -> torch.Tensor:
        """Walk in a straight line through latent space between pairs of random latent vectors.

        For each of the ``batch_size`` rows, draw two latent vectors z_start and z_end ~ N(0, I).
        Take ``interpolation_steps + 2`` equally spaced points on the line between them, both ends
        included: z_k = (1 - t_k) z_start + t_k z_end with t_k = k / (interpolation_steps + 1),
        k = 0 ... interpolation_steps + 1. Generate an image from each point, as in ``sample``:
        eval mode, the model's mode restored afterwards, no gradients.

        Returns
        -------
        torch.Tensor
            Images of shape (batch_size, interpolation_steps + 2, 1, 28, 28), values in [-1, 1].
            ``[:, 0]`` is generated from z_start, ``[:, -1]`` from z_end.
        """
        # TODO: your code here
        raise NotImplementedError()

    def generator_step(self, x_real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The generator's loss for one training step (non-saturating): minimise -log D(G(z)).

        Generate as many fake images as there are real ones (draw z with ``torch.randn``) and
        score them with the discriminator. The loss is the binary cross-entropy of those logits
        against REAL_LABEL (the generator wants its images called real), averaged over the batch:
        ``F.binary_cross_entropy_with_logits`` (or ``nn.BCEWithLogitsLoss``). The caller runs
        backward and steps the generator's optimizer only.

        Parameters
        ----------
        x_real:
            A batch of real images, shape (B, 1, 28, 28). Only its size and device are needed.

        Returns
        -------
        loss:
            Scalar tensor connected to the generator's parameters (gradients flow back into G).
        logging_dict:
            At least ``{"loss": ...}``: each value a Python float (``loss.item()``) or a 0-d tensor
            (``loss.detach()``); both are accepted. The reference returns detached 0-d tensors:
            ``.item()`` makes Python wait for the GPU at every step, and on a GPU it stops the
            training step from being recorded as a CUDA graph (see ``main``); the logger reads
            the tensors once per ``avg_window`` steps instead.
        """
        # TODO: your code here
        raise NotImplementedError()

    def discriminator_step(self, x_real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The discriminator's loss for one training step: minimise -[log D(x) + log(1 - D(G(z)))] / 2.

        Generate as many fake images as there are real ones, and cut them from the generator's
        graph (``.detach()``) so that this loss cannot change the generator. The loss is the mean
        of two binary cross-entropies on the discriminator's logits: real images against
        REAL_LABEL and fake images against FAKE_LABEL, each averaged over the batch.

        Parameters
        ----------
        x_real:
            A batch of real images, shape (B, 1, 28, 28), values in [-1, 1].

        Returns
        -------
        loss:
            Scalar tensor; no gradient reaches the generator's parameters.
        logging_dict:
            At least ``{"loss": float}`` (the only required key); the reference also logs the
            accuracies on real and fake images (fraction of logits on the right side of 0) and
            D's mean output probabilities: useful in TensorBoard, optional, not graded. Every
            value a Python float (``.item()``) or a 0-d tensor (``.detach()``), as in
            ``generator_step``.
        """
        # TODO: your code here
        raise NotImplementedError()

    @property
    def device(self) -> torch.device:
        """The device the model's parameters are on."""
        return next(self.parameters()).device


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Map images from the generator's range [-1, 1] to [0, 1] for saving and TensorBoard."""
    return ((images + 1) / 2).clamp(0, 1)


def generate_and_save(model: GAN, epoch: int, summary_writer: SummaryWriter, batch_size: int = 64) -> None:
    """Save a grid of ``batch_size`` samples as ``samples_epoch_<epoch>.png`` and in TensorBoard."""
    samples = to_unit_range(model.sample(batch_size)).cpu()            # (B, 1, 28, 28) in [0, 1]
    grid = make_grid(samples, nrow=8, pad_value=0.5)                   # (3, H, W)
    summary_writer.add_image("samples", grid, global_step=epoch)
    save_image(grid, os.path.join(summary_writer.log_dir, f"samples_epoch_{epoch:03d}.png"))
    # Did it learn? Distance to MNIST, digit shares and their figures under "evaluation/" in TensorBoard.
    log_to_tensorboard(summary_writer, model.generator, epoch)


def interpolate_and_save(
    model: GAN,
    epoch: int,
    summary_writer: SummaryWriter,
    batch_size: int = 4,
    interpolation_steps: int = 5,
) -> None:
    """Save ``batch_size`` interpolations, one per row, as ``interpolations_epoch_<epoch>.png``."""
    images = to_unit_range(model.interpolate(batch_size, interpolation_steps)).cpu()  # (B, P, 1, 28, 28)
    grid = make_grid(images.flatten(0, 1), nrow=interpolation_steps + 2, pad_value=0.5)  # (3, H, W)
    summary_writer.add_image("interpolations", grid, global_step=epoch)
    save_image(grid, os.path.join(summary_writer.log_dir, f"interpolations_epoch_{epoch:03d}.png"))


def train_gan(
    model: GAN,
    train_loader: Iterable[torch.Tensor],
    logger_gen: TensorBoardLogger,
    logger_disc: TensorBoardLogger,
    optimizer_gen: torch.optim.Optimizer,
    optimizer_disc: torch.optim.Optimizer,
    progress_bar: bool = False,
) -> None:
    """Train the GAN for one epoch: one generator step and one discriminator step per batch.

    For each batch of real images (already moved to the model's device below):

    1. Generator step: ``model.generator_step``; zero the generator optimizer's gradients,
       backpropagate the loss, step ``optimizer_gen``.
    2. Discriminator step: ``model.discriminator_step``; the same with ``optimizer_disc``.
    3. Log both logging dicts: ``logger_gen.add_values(...)``, ``logger_disc.add_values(...)``.

    Zero each optimizer's gradients right before its backward pass: the generator's loss also
    leaves gradients in the discriminator, which must not leak into the discriminator's step
    (zeroing both optimizers once at the top of the loop is not enough). ``logger_gen`` gets the
    generator's logging dict, ``logger_disc`` the discriminator's.

    ``main`` calls it with one batch at a time (``train_gan(model, [x_real], ...)``): that call is
    the training step that ``main`` records as a CUDA graph on a GPU. Your loop needs nothing
    special for that; called with a whole loader it trains a whole epoch, as the grader does.
    """
    model.train()
    for x_real in tqdm(train_loader, desc="Training", leave=False, disable=not progress_bar):
        x_real = x_real.to(model.device)                                   # (B, 1, 28, 28)
        # TODO: your code here
        raise NotImplementedError()


class LatestValues:
    """A stand-in logger for one training step: keeps the logging dict it is given, as it is."""

    def __init__(self) -> None:
        self.values: dict = {}

    def add_values(self, log_dict: dict) -> None:
        self.values = log_dict

    def as_tensors(self, device: torch.device) -> dict[str, torch.Tensor]:
        """The values as detached float32 tensors on ``device`` (a Python float becomes one)."""
        return {key: torch.as_tensor(value, dtype=torch.float32, device=device).detach()
                for key, value in self.values.items()}


def main(args: argparse.Namespace) -> None:
    """Build the GAN and its two optimizers, then train for ``args.epochs`` epochs.

    Every ``args.save_every`` epochs (and after the last one) it saves samples, interpolations and
    a checkpoint (``checkpoint.pt``: model, optimizers, epoch, arguments) into ``args.log_dir``.
    """
    os.makedirs(args.log_dir, exist_ok=True)
    torch.manual_seed(args.seed)
    device = default_device()
    on_gpu = device.type == "cuda"

    # On a GPU the images stay on it and each batch is cut there (mnist.py): no copy per step.
    train_loader = mnist(root=args.data_dir, batch_size=args.batch_size, num_workers=args.num_workers,
                         device=device if on_gpu else None)
    model = GAN(
        hidden_dims_gen=args.hidden_dims_gen,
        hidden_dims_disc=args.hidden_dims_disc,
        dp_rate_gen=args.dp_rate_gen,
        dp_rate_disc=args.dp_rate_disc,
        z_dim=args.z_dim,
        lr=args.lr,
    ).to(device)

    # Two optimizers, one per network: each loss may only change its own network.
    # optimizer_gen: Adam over the generator's parameters; optimizer_disc: over the discriminator's.
    # Both with learning rate args.lr and betas BETAS.
    # TODO: your code here
    raise NotImplementedError()
    if on_gpu:
        make_capturable(optimizer_gen, optimizer_disc)

    summary_writer = SummaryWriter(args.log_dir)
    logger_gen = TensorBoardLogger(summary_writer, name="generator")
    logger_disc = TensorBoardLogger(summary_writer, name="discriminator")

    # One training step is your train_gan on one batch. On a GPU, capture records it once as a
    # CUDA graph and every step replays it with one call (the networks are so small that the GPU
    # otherwise waits for Python to launch each of its few hundred kernels). A step that cannot be
    # recorded (e.g. logging dicts of .item() floats) trains step by step, after a one-line
    # message: the same training, slower. On a CPU, capture gives train_step back unchanged.
    latest_gen, latest_disc = LatestValues(), LatestValues()

    def train_step(x_real: torch.Tensor) -> tuple[dict, dict]:    # x_real: (B, 1, 28, 28) on device
        train_gan(model, [x_real], latest_gen, latest_disc, optimizer_gen, optimizer_disc)
        return latest_gen.as_tensors(device), latest_disc.as_tensors(device)

    if on_gpu:
        first_batch = next(iter(train_loader)).to(device)          # (B, 1, 28, 28)
        train_step = capture(train_step, first_batch)

    generate_and_save(model, 0, summary_writer)        # what the untrained generator makes
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        model.train()
        for x_real in tqdm(train_loader, desc="Training", leave=False, disable=not args.progress_bar):
            logging_gen, logging_disc = train_step(x_real.to(device))   # tensors on the device
            logger_gen.add_values(logging_gen)    # read once per avg_window steps, not every step
            logger_disc.add_values(logging_disc)
        print(f"Epoch {epoch}/{args.epochs} done in {time.time() - start:.1f}s", flush=True)
        if epoch % args.save_every == 0 or epoch == args.epochs:
            generate_and_save(model, epoch, summary_writer)
            interpolate_and_save(model, epoch, summary_writer)
            torch.save(
                {
                    "epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer_gen": optimizer_gen.state_dict(),
                    "optimizer_disc": optimizer_disc.state_dict(),
                    "args": vars(args),
                },
                os.path.join(args.log_dir, "checkpoint.pt"),
            )
    summary_writer.close()


def get_parser() -> argparse.ArgumentParser:
    """The command-line options and their defaults (the defaults should give decent digits)."""
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    # Model hyperparameters
    parser.add_argument("--z_dim", default=32, type=int, help="Dimensionality of the latent space")
    parser.add_argument("--hidden_dims_gen", default=[128, 256, 512], type=int, nargs="+",
                        help="Hidden layer sizes of the generator, e.g. --hidden_dims_gen 128 256 512")
    parser.add_argument("--hidden_dims_disc", default=[512, 256], type=int, nargs="+",
                        help="Hidden layer sizes of the discriminator, e.g. --hidden_dims_disc 512 256")
    parser.add_argument("--dp_rate_gen", default=0.1, type=float, help="Dropout rate in the generator")
    parser.add_argument("--dp_rate_disc", default=0.3, type=float, help="Dropout rate in the discriminator")

    # Optimizer hyperparameters
    parser.add_argument("--lr", default=DEFAULT_LR, type=float,
                        help="Learning rate of both optimizers (the seed: 2e-4; 4e-4 on a GPU)")
    parser.add_argument("--batch_size", default=DEFAULT_BATCH_SIZE, type=int,
                        help="Images per batch (the seed: 128; 512 on a GPU)")

    # Other hyperparameters
    parser.add_argument("--epochs", default=250, type=int, help="Number of epochs to train")
    parser.add_argument("--seed", default=42, type=int, help="Seed of the random number generators")
    parser.add_argument("--num_workers", default=DEFAULT_WORKERS, type=int,
                        help="Worker processes of the data loader (default: min(4, the CPU cores); "
                             "0 on Windows if it hangs)")
    parser.add_argument("--progress_bar", action="store_true",
                        help="Show a progress bar during training (not in batch jobs: it floods the log)")
    parser.add_argument("--log_dir", default="GAN_logs", type=str,
                        help="Where samples, interpolations, checkpoints and TensorBoard logs go")
    parser.add_argument("--data_dir", default=None, type=str,
                        help="Folder with the MNIST files (default: $GAN_COURSE_DATA, then the repo's data/)")
    parser.add_argument("--save_every", default=10, type=int,
                        help="Save samples, interpolations and a checkpoint every this many epochs")
    return parser


if __name__ == "__main__":
    main(get_parser().parse_args())
