"""Train the GAN on MNIST with PyTorch Lightning.

Implement either this file or ``train_torch.py`` (plain PyTorch), not both. Run it with

    python train_pl.py --progress_bar

Lightning writes into ``--log_dir`` (default ``GAN_logs``), under ``lightning_logs/version_<n>/``:
the TensorBoard logs, a grid of samples and a grid of interpolations every ``--save_every`` epochs,
and a checkpoint in ``checkpoints/``. Look at the curves with ``tensorboard --logdir GAN_logs``.

The GAN game: the discriminator D learns to tell real images x from generated ones G(z), and the
generator G learns to make D call its images real. Each training step does, in this order:

    Generator step:      minimise  -log D(G(z))                        (non-saturating loss)
    Discriminator step:  minimise  -[log D(x) + log(1 - D(G(z)))] / 2

where D(.) = sigmoid(logit) is the probability that an image is real. Both losses are binary
cross-entropies on D's logits: ``BCEWithLogitsLoss`` against the label REAL_LABEL or FAKE_LABEL.

Two networks with two optimizers need Lightning's *manual optimization*: the model sets
``self.automatic_optimization = False`` and ``training_step`` calls backward (through
``self.manual_backward``) and steps each optimizer itself.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from torchvision.utils import make_grid, save_image

from gan_course.evaluate import log_to_tensorboard
from gan_course.lightning_graph import RecordTrainingStep
from mnist import DEFAULT_WORKERS, mnist
from models import DiscriminatorMLP, GeneratorMLP

REAL_LABEL = 1.0   # the discriminator's target for real images ...
FAKE_LABEL = 0.0   # ... and for generated ones
BETAS = (0.5, 0.999)   # Adam's averaging factors; beta1 = 0.5 keeps the GAN game stable
# The seed trains batches of 128 at lr 2e-4. On a GPU a step of these small networks waits for
# Python (kernel launches, Lightning's logging), not arithmetic: there train_gan records your
# training_step as a CUDA graph (RecordTrainingStep, below) and takes batches of 1024 at lr 6e-4:
# alone on an H100, 455 steps/s (3.1x the seed's plain loop) and 10 digits, 83 % recognisable in
# 30 s (docs/benchmarks.md). On a CPU it keeps the seed's batch of 128 at lr 4e-4: on both cores
# of a 2-core CPU, 10 digits and 80 % recognisable in 15 minutes (78 % at the seed's 2e-4).
DEFAULT_BATCH_SIZE, DEFAULT_LR = (1024, 6e-4) if torch.cuda.is_available() else (128, 4e-4)


class GAN(pl.LightningModule):
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
            Learning rate of both optimizers (see ``configure_optimizers``).
        """
        super().__init__()
        self.save_hyperparameters()          # self.hparams.z_dim, self.hparams.lr, ...
        self.automatic_optimization = False  # two optimizers: training_step steps them itself
        self.z_dim = z_dim
        self.generator = GeneratorMLP(z_dim=z_dim, hidden_dims=hidden_dims_gen, dp_rate=dp_rate_gen)
        self.discriminator = DiscriminatorMLP(hidden_dims=hidden_dims_disc, dp_rate=dp_rate_disc)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        """Two optimizers, one per network: each loss may only change its own network.

        Returns
        -------
        list
            ``[optimizer_gen, optimizer_disc]``: Adam over the generator's parameters and Adam over
            the discriminator's, both with learning rate ``self.hparams.lr`` and betas BETAS.
        """
        ### BEGIN SOLUTION
        optimizer_gen = torch.optim.Adam(self.generator.parameters(), lr=self.hparams.lr, betas=BETAS)
        optimizer_disc = torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr, betas=BETAS)
        return [optimizer_gen, optimizer_disc]
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        was_training = self.generator.training
        self.generator.eval()
        z = torch.randn(batch_size, self.z_dim, device=self.device)     # (B, z_dim)
        x = self.generator(z)                                            # (B, 1, 28, 28)
        self.generator.train(was_training)
        return x
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        num_points = interpolation_steps + 2
        z_start = torch.randn(batch_size, 1, self.z_dim, device=self.device)    # (B, 1, z_dim)
        z_end = torch.randn(batch_size, 1, self.z_dim, device=self.device)      # (B, 1, z_dim)
        t = torch.linspace(0.0, 1.0, num_points, device=self.device).view(1, num_points, 1)  # (1, P, 1)
        z = (1 - t) * z_start + t * z_end                                       # (B, P, z_dim)

        was_training = self.generator.training
        self.generator.eval()
        x = self.generator(z.flatten(0, 1))                                     # (B*P, 1, 28, 28)
        self.generator.train(was_training)
        return x.view(batch_size, num_points, *x.shape[1:])                     # (B, P, 1, 28, 28)
        ### END SOLUTION

    def generator_step(self, x_real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The generator's loss for one training step (non-saturating): minimise -log D(G(z)).

        Generate as many fake images as there are real ones (draw z with ``torch.randn``) and
        score them with the discriminator. The loss is the binary cross-entropy of those logits
        against REAL_LABEL (the generator wants its images called real), averaged over the batch:
        ``F.binary_cross_entropy_with_logits`` (or ``nn.BCEWithLogitsLoss``). ``training_step``
        runs backward and steps the generator's optimizer only.

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
            ``.item()`` makes Python wait for the GPU at every step, and ``self.log`` of a float
            copies it back to the GPU; Lightning reads logged tensors only when it writes them
            (every ``log_every_n_steps`` steps).
        """
        ### BEGIN SOLUTION
        z = torch.randn(x_real.shape[0], self.z_dim, device=x_real.device)    # (B, z_dim)
        x_fake = self.generator(z)                                            # (B, 1, 28, 28)
        logits_fake = self.discriminator(x_fake)                              # (B, 1)
        # -log D(G(z)): cross-entropy against the label "real"
        loss = F.binary_cross_entropy_with_logits(logits_fake, torch.full_like(logits_fake, REAL_LABEL))
        logging_dict = {   # 0-d tensors, detached (floats, loss.item(), are accepted too)
            "loss": loss.detach(),
            "d_fake_prob": torch.sigmoid(logits_fake).mean().detach(),   # D's belief that G(z) is real
        }
        return loss, logging_dict
        ### END SOLUTION

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
        ### BEGIN SOLUTION
        z = torch.randn(x_real.shape[0], self.z_dim, device=x_real.device)    # (B, z_dim)
        x_fake = self.generator(z).detach()                                   # (B, 1, 28, 28), no graph to G
        logits_real = self.discriminator(x_real)                              # (B, 1)
        logits_fake = self.discriminator(x_fake)                              # (B, 1)
        # -log D(x): real images against the label "real"
        loss_real = F.binary_cross_entropy_with_logits(logits_real, torch.full_like(logits_real, REAL_LABEL))
        # -log(1 - D(G(z))): fake images against the label "fake"
        loss_fake = F.binary_cross_entropy_with_logits(logits_fake, torch.full_like(logits_fake, FAKE_LABEL))
        loss = (loss_real + loss_fake) / 2
        accuracy_real = (logits_real > 0).float().mean()                      # 0-d tensors
        accuracy_fake = (logits_fake < 0).float().mean()
        logging_dict = {   # 0-d tensors, detached (floats, .item(), are accepted too)
            "loss": loss.detach(),
            "loss_real": loss_real.detach(),
            "loss_fake": loss_fake.detach(),
            "accuracy_real": accuracy_real,
            "accuracy_fake": accuracy_fake,
            "accuracy": (accuracy_real + accuracy_fake) / 2,
            "d_real_prob": torch.sigmoid(logits_real).mean().detach(),
            "d_fake_prob": torch.sigmoid(logits_fake).mean().detach(),
        }
        return loss, logging_dict
        ### END SOLUTION

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        """One generator step, then one discriminator step, on a batch of real images.

        ``batch`` is a tensor of real images, shape (B, 1, 28, 28). Get the two optimizers with
        ``optimizer_gen, optimizer_disc = self.optimizers()``. For each network in turn: compute its
        loss (``generator_step`` / ``discriminator_step``), zero its optimizer's gradients,
        ``self.manual_backward(loss)``, step its optimizer. Then log both logging dicts with
        ``self.log_dict`` under the prefixes ``generator/`` and ``discriminator/``.

        Zero each optimizer's gradients right before its backward pass: the generator's loss also
        leaves gradients in the discriminator, which must not leak into the discriminator's step
        (zeroing both optimizers once at the top is not enough). The logging is graded too:
        ``generator/loss`` and ``discriminator/loss`` once per batch.
        """
        x_real = batch                                                       # (B, 1, 28, 28)
        ### BEGIN SOLUTION
        optimizer_gen, optimizer_disc = self.optimizers()

        # Generator: minimise -log D(G(z))
        loss_gen, logging_gen = self.generator_step(x_real)
        optimizer_gen.zero_grad()
        self.manual_backward(loss_gen)
        optimizer_gen.step()

        # Discriminator: minimise -[log D(x) + log(1 - D(G(z)))] / 2
        loss_disc, logging_disc = self.discriminator_step(x_real)
        optimizer_disc.zero_grad()
        self.manual_backward(loss_disc)
        optimizer_disc.step()

        self.log_dict({f"generator/{key}": value for key, value in logging_gen.items()})
        self.log_dict({f"discriminator/{key}": value for key, value in logging_disc.items()})
        self.log_dict({"loss_gen": logging_gen["loss"], "loss_disc": logging_disc["loss"]},
                      prog_bar=True, logger=False)
        ### END SOLUTION


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Map images from the generator's range [-1, 1] to [0, 1] for saving and TensorBoard."""
    return ((images + 1) / 2).clamp(0, 1)


def log_folder(trainer: pl.Trainer) -> str:
    """The run's folder (``lightning_logs/version_<n>``), where the image grids are saved."""
    folder = trainer.log_dir or trainer.default_root_dir
    os.makedirs(folder, exist_ok=True)
    return folder


class GenerateCallback(pl.Callback):
    def __init__(self, batch_size: int = 64, every_n_epochs: int = 10, save_to_disk: bool = True):
        """Every ``every_n_epochs`` epochs (and before training), save a grid of samples.

        The grid goes to TensorBoard ("samples") and, with ``save_to_disk``, to
        ``samples_epoch_<epoch>.png`` in the run's folder.
        """
        super().__init__()
        self.batch_size = batch_size
        self.every_n_epochs = every_n_epochs
        self.save_to_disk = save_to_disk

    def on_train_start(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        self.sample_and_save(trainer, pl_module, 0)      # what the untrained generator makes

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        epoch = trainer.current_epoch + 1
        if epoch % self.every_n_epochs == 0 or epoch == trainer.max_epochs:
            self.sample_and_save(trainer, pl_module, epoch)

    def sample_and_save(self, trainer: pl.Trainer, pl_module: GAN, epoch: int) -> None:
        samples = to_unit_range(pl_module.sample(self.batch_size)).cpu()   # (B, 1, 28, 28) in [0, 1]
        grid = make_grid(samples, nrow=8, pad_value=0.5)                   # (3, H, W)
        if trainer.logger is not None:
            trainer.logger.experiment.add_image("samples", grid, global_step=epoch)
            # Did it learn? Distance to MNIST, digit shares and their figures under "evaluation/".
            log_to_tensorboard(trainer.logger.experiment, pl_module.generator, epoch)
        if self.save_to_disk:
            save_image(grid, os.path.join(log_folder(trainer), f"samples_epoch_{epoch:03d}.png"))


class InterpolationCallback(pl.Callback):
    def __init__(self, batch_size: int = 4, interpolation_steps: int = 5, every_n_epochs: int = 10,
                 save_to_disk: bool = True):
        """Every ``every_n_epochs`` epochs, save ``batch_size`` interpolations, one per row.

        The grid goes to TensorBoard ("interpolations") and, with ``save_to_disk``, to
        ``interpolations_epoch_<epoch>.png`` in the run's folder.
        """
        super().__init__()
        self.batch_size = batch_size
        self.interpolation_steps = interpolation_steps
        self.every_n_epochs = every_n_epochs
        self.save_to_disk = save_to_disk

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: GAN) -> None:
        epoch = trainer.current_epoch + 1
        if epoch % self.every_n_epochs == 0 or epoch == trainer.max_epochs:
            self.interpolate_and_save(trainer, pl_module, epoch)

    def interpolate_and_save(self, trainer: pl.Trainer, pl_module: GAN, epoch: int) -> None:
        images = pl_module.interpolate(self.batch_size, self.interpolation_steps)   # (B, P, 1, 28, 28)
        images = to_unit_range(images).cpu().flatten(0, 1)                          # (B*P, 1, 28, 28)
        grid = make_grid(images, nrow=self.interpolation_steps + 2, pad_value=0.5)  # (3, H, W)
        if trainer.logger is not None:
            trainer.logger.experiment.add_image("interpolations", grid, global_step=epoch)
        if self.save_to_disk:
            save_image(grid, os.path.join(log_folder(trainer), f"interpolations_epoch_{epoch:03d}.png"))


def train_gan(args: argparse.Namespace) -> GAN:
    """Build the GAN and a Lightning Trainer, and train for ``args.epochs`` epochs.

    Returns the trained model. A checkpoint is saved every ``args.save_every`` epochs into
    ``<log_dir>/lightning_logs/version_<n>/checkpoints/`` (the latest one is kept).
    """
    os.makedirs(args.log_dir, exist_ok=True)
    pl.seed_everything(args.seed)
    # On a GPU the images stay on it and each batch is cut there (mnist.py): no copy per step.
    device = torch.device("cuda") if torch.cuda.is_available() else None
    train_loader = mnist(root=args.data_dir, batch_size=args.batch_size, num_workers=args.num_workers,
                         device=device)

    trainer = pl.Trainer(
        default_root_dir=args.log_dir,
        accelerator="auto",
        devices=1,
        max_epochs=args.epochs,
        logger=TensorBoardLogger(args.log_dir, name="lightning_logs", default_hp_metric=False),
        callbacks=[
            ModelCheckpoint(every_n_epochs=args.save_every),
            GenerateCallback(every_n_epochs=args.save_every),
            InterpolationCallback(every_n_epochs=args.save_every),
            # On a GPU: your training_step, recorded once as a CUDA graph and replayed at every
            # batch; its logged values go to Lightning when it writes them (every 50 batches).
            # A step that cannot be recorded trains as written, after a one-line message.
            # On a CPU it does nothing. See gan_course/lightning_graph.py.
            RecordTrainingStep(),
        ],
        enable_progress_bar=args.progress_bar,
        log_every_n_steps=50,
    )

    model = GAN(
        hidden_dims_gen=args.hidden_dims_gen,
        hidden_dims_disc=args.hidden_dims_disc,
        dp_rate_gen=args.dp_rate_gen,
        dp_rate_disc=args.dp_rate_disc,
        z_dim=args.z_dim,
        lr=args.lr,
    )
    trainer.fit(model, train_loader)
    return model


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
                        help="Learning rate of both optimizers (the seed: 2e-4; 6e-4 on a GPU)")
    parser.add_argument("--batch_size", default=DEFAULT_BATCH_SIZE, type=int,
                        help="Images per batch (the seed: 128; 1024 on a GPU)")

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
    train_gan(get_parser().parse_args())
