# ---
# jupyter:
#   jupytext:
#     formats: ipynb,.pct.py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A GAN with dropout
#
# A generative adversarial network (GAN) is a system of two networks, a **generator** and a
# **discriminator**. The generator makes fake data; the discriminator decides whether the data it
# is shown is real or fake. The discriminator exists only to let the generator get better at making
# fake data that resembles the real data: the discriminator tries to reduce its loss when it tells
# real from fake, and the generator tries to trick the discriminator into thinking its data is real.
# (This [video](https://www.youtube.com/watch?v=R9VOZnKEBE0&t=591s) explains how a GAN works.)
#
# In this notebook you build both networks as fully connected networks with **dropout** in their
# hidden layers, write one training step for each, and train them on MNIST.
#
# You write the parts marked `# TODO: your code here`; the contract you must meet is in the
# docstring above each one. After each part there is a **self-check** cell: run it, and it tells
# you what is right and what to fix. Two questions near the end are answered in words, in the
# marked cells. Before you submit, run every cell from the top (Kernel → Restart & Run All), or
# check the whole notebook from a terminal:
#
# ```
# python -m autograder check dropout_gan dropout_gan.ipynb
# ```
#
# The grader checks more than the self-checks show (the same properties, on other inputs).
# The long training cell at the end does not run while grading, so keep your work in the
# marked cells.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision.utils import make_grid
from tqdm.auto import tqdm

from autograder.selfcheck import check
from gan_course import default_device, is_grading
from gan_course.cuda_graph import capture
from gan_course.data import DeviceBatches, mnist_dataset
from gan_course.plots import format_loss, plot_losses, show_generated_and_real
from gan_course.evaluate import Tracker, evaluate

torch.manual_seed(0)  # reproducible weights, noise and batch order


def show_images(images: torch.Tensor, title: str = "", nrow: int = 8) -> None:
    """Plot a batch of images in a grid, nrow per row.

    images: (n, 1, 28, 28), values in [-1, 1] (the data's and the generator's range).
    """
    grid = make_grid(images.detach().cpu(), nrow=nrow, normalize=True, value_range=(-1, 1))  # (3, H, W)
    plt.imshow(grid.permute(1, 2, 0).numpy())  # (H, W, 3) in [0, 1]
    plt.title(title)
    plt.axis("off")
    plt.show()


# %% [markdown]
# ## Settings and data
#
# * `latent_dim`: the length of the noise vector the generator turns into an image
# * `REAL_LABEL`, `FAKE_LABEL`: the discriminator's targets for real and generated images
# * `batch_size`, `lr`, `betas`: the training settings (explained with the training loop at the
#   end); `n_epochs`, the length of the run, is yours to set just before the training cell
# * `device`: where the networks run: a GPU (CUDA) when there is one, else the CPU
#
# The images come from MNIST, 60,000 handwritten digits of 28 x 28 pixels, through the course
# loader `gan_course.data` (set `GAN_COURSE_DATA` to a folder holding the four `.gz` files, or it
# downloads them). The pixel values are scaled into **[-1, 1]**, the range of the generator's
# final `nn.Tanh`, so that real and fake images live in the same range.

# %% nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
latent_dim = 100       # length of the generator's input noise vector z
REAL_LABEL = 1.0       # the discriminator's target for real images ...
FAKE_LABEL = 0.0       # ... and for generated ones

batch_size = 128       # real images per step (and as many generated ones)
lr = 4e-4              # Adam's step size, for both networks (DCGAN used 2e-4: see the training loop)
betas = (0.5, 0.999)   # Adam's averaging factors (beta1 = 0.5, see the training loop)
device = default_device()  # CUDA when it is available, otherwise the CPU

# TensorDataset of (image (1, 28, 28) float32 in [-1, 1], label int64) pairs.
dataset = mnist_dataset("train", value_range=(-1.0, 1.0))
# All of MNIST (188 MB) is copied to `device` once, and each shuffled batch is cut there: a
# DataLoader would build every batch on the CPU and copy it to the GPU at each step, which takes
# longer than the step itself for networks this small. The usual way, equally correct:
# dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
dataloader = DeviceBatches(dataset, batch_size, device=device)

# %% [markdown]
# ## The discriminator
#
# The discriminator maps an image to **one** number: how real it thinks the image is. Build it as
# a fully connected network `784 → 1024 → 512 → 256 → 1`, stored as an `nn.Sequential` in the
# attribute `self.discriminator`:
#
# * each hidden layer is an `nn.Linear` followed by an `nn.LeakyReLU()` (default negative slope,
#   0.01) and an `nn.Dropout(p=0.2)`,
# * the last layer is `nn.Linear(256, 1)` and nothing after it: no sigmoid.
#
# The output is a **logit** $f(x)$, any real number; the probability that $x$ is real is
# $D(x) = \sigma(f(x)) = 1 / (1 + e^{-f(x)})$. The sigmoid is applied inside the loss (see
# "Updating the weights" below), which is more accurate than applying it here.
#
# `forward(x)` first flattens each image: the batch may come as `(B, 1, 28, 28)`, `(B, 28, 28)`
# or already flat `(B, 784)`, and `x.reshape(x.shape[0], -1)` turns each into the `(B, 784)` the
# first layer expects. Take `B` from the batch itself (`x.shape[0]`), not from the notebook's
# global `batch_size` (128): the last batch of an epoch, and the grader's batches, are smaller.
#
# The layers are prescribed, as in the seed: the grader checks these modules (`nn.Linear`,
# `nn.LeakyReLU()`, `nn.Dropout(p=0.2)`) in this order, and that dropout is on in `train()`
# mode and off in `eval()` mode.
#
# *Why LeakyReLU?* A ReLU whose input is negative passes no gradient back, and the generator
# learns **only** through the gradient that comes back through the discriminator. The small slope
# below zero keeps that gradient flowing.
#
# *Why dropout?* During training each `nn.Dropout(p=0.2)` sets a random 20% of its inputs to
# zero (and scales the rest by 1 / 0.8), so the network cannot rely on any single feature. In
# `eval()` mode it does nothing. A question at the end asks what this does to a GAN.

# %% nbgrader={"grade": false, "grade_id": "MNISTDiscriminator", "locked": false, "schema_version": 3, "solution": true}
class MNISTDiscriminator(nn.Module):
    """Discriminator: images (B, 1, 28, 28), (B, 28, 28) or (B, 784) -> logits (B, 1).

    Attribute:
        discriminator: nn.Sequential, 784 -> 1024 -> 512 -> 256 -> 1; each hidden layer is
            Linear, LeakyReLU() (default slope), Dropout(p=0.2); the last is Linear(256, 1)
            with no activation. A logit f(x) > 0 means "more likely real than fake".
    """

    def __init__(self):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, 28, 28), (B, 28, 28) or (B, 784) -> logits (B, 1)."""
        # TODO: your code here
        raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_MNISTDiscriminator", "locked": true, "points": 4, "schema_version": 3, "solution": false}
score = check("dropout_gan", "MNISTDiscriminator", globals())
score


# %% [markdown]
# ## The generator
#
# The generator turns `latent_dim` (100) numbers of noise into an image. Build it as a fully
# connected network `latent_dim → 256 → 512 → 1024 → 784`, stored as an `nn.Sequential` in the
# attribute `self.generator`:
#
# * each hidden layer is an `nn.Linear` followed by an `nn.LeakyReLU()` and an
#   `nn.Dropout(p=0.2)`,
# * the last layer is `nn.Linear(1024, 784)` followed by an `nn.Tanh()`, which squeezes every
#   value into [-1, 1], the range of the real images.
#
# `forward(noise)` takes a `(B, latent_dim)` batch of noise and returns the images reshaped to
# `(B, 1, 28, 28)`, the shape of the real images from the data loader.

# %% nbgrader={"grade": false, "grade_id": "MNISTGenerator", "locked": false, "schema_version": 3, "solution": true}
class MNISTGenerator(nn.Module):
    """Generator: noise (B, latent_dim) -> images (B, 1, 28, 28) with values in [-1, 1].

    Parameters:
        latent_dim: the length of each noise vector
    Attribute:
        generator: nn.Sequential, latent_dim -> 256 -> 512 -> 1024 -> 784; each hidden layer is
            Linear, LeakyReLU() (default slope), Dropout(p=0.2); the last is Linear(1024, 784)
            then Tanh.
    """

    def __init__(self, latent_dim: int):
        super().__init__()
        # TODO: your code here
        raise NotImplementedError()

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """noise: (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1]."""
        # TODO: your code here
        raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_MNISTGenerator", "locked": true, "points": 4, "schema_version": 3, "solution": false}
score = check("dropout_gan", "MNISTGenerator", globals())
score


# %% [markdown]
# Try your networks on random noise, and look at what an untrained generator produces: noise, of
# course. The cell also shows dropout at work: in `train()` mode the same input gives a different
# output each time, in `eval()` mode it gives the same one. (This cell does not run while
# grading: the grader checks your classes itself.)

# %% nbgrader={"grade": false, "grade_id": "try_networks", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    G = MNISTGenerator(latent_dim)
    D = MNISTDiscriminator()
    z = torch.randn(16, latent_dim)  # (16, latent_dim)
    fakes = G(z)                      # (16, 1, 28, 28)
    logits = D(fakes)                 # (16, 1)
    print("generator:    ", tuple(z.shape), "->", tuple(fakes.shape),
          f"values in [{fakes.min().item():.3f}, {fakes.max().item():.3f}]")
    print("discriminator:", tuple(fakes.shape), "->", tuple(logits.shape))
    assert fakes.shape == (16, 1, 28, 28), "the generator should return (B, 1, 28, 28) images"
    assert fakes.abs().max() <= 1, "the generator's output should lie in [-1, 1]: end in nn.Tanh"
    assert logits.shape == (16, 1), "the discriminator should return one logit per image, (B, 1)"
    assert D(fakes.reshape(16, 784)).shape == (16, 1), "the discriminator should accept (B, 784)"
    assert not torch.equal(G(z), G(z)), "in train() mode dropout should make two calls differ"
    G.eval()
    assert torch.equal(G(z), G(z)), "in eval() mode the generator should be deterministic"
    show_images(fakes, "an untrained generator's output")

# %% [markdown]
# ## Updating the weights
#
# The generator and the discriminator are trained one at a time: their objectives are opposite,
# so each step updates one network and leaves the other one alone. Each network has its own
# optimizer, which holds only that network's parameters.
#
# The discriminator is trained to minimize a **binary cross entropy** (BCE): for a predicted
# probability $p$ and a target $y$ (1 for real, 0 for fake),
# $\mathrm{BCE}(p, y) = -[y \log p + (1 - y) \log(1 - p)]$, averaged over the batch.
#
# **A choice about the loss.** PyTorch's `nn.BCELoss` expects probabilities in [0, 1], but our
# discriminator returns logits, any real number. This notebook therefore uses
# `nn.BCEWithLogitsLoss`, which is exactly `nn.BCELoss` applied after a sigmoid,
# $\mathrm{BCE}(\sigma(f), y)$, computed in one numerically stable formula: a separate sigmoid
# rounds to exactly 0 or 1 for large logits, and the log of that is infinite.

# %% nbgrader={"grade": false, "grade_id": "loss", "locked": true, "schema_version": 3, "solution": false}
# loss_func(logits, targets) == nn.BCELoss()(torch.sigmoid(logits), targets), computed stably.
loss_func = nn.BCEWithLogitsLoss()

# %% [markdown]
# ## Training the discriminator
#
# The discriminator wants to **maximize** $\log D(x) + \log(1 - D(G(z)))$: call real images real
# and fake images fake. That is the same as minimizing the average of two BCE losses,
#
# $$\mathcal{L}_D = \tfrac12\big[\mathrm{BCE}(D(x), 1) + \mathrm{BCE}(D(G(z)), 0)\big].$$
#
# Write `discriminator_step`:
#
# 1. draw a batch of noise `(B, latent_dim)` with `torch.randn`, as many vectors as there are
#    real images, on the same device as `images`,
# 2. generate the fake images and **detach** them: `generated_images = generator(noise).detach()`
#    (making them inside `with torch.no_grad():` works as well; the grader accepts either),
# 3. get the discriminator's predictions on the real images (`real_discriminator_pred`) and on
#    the fake ones (`gen_discriminator_pred`),
# 4. `real_loss` compares the real predictions with targets `REAL_LABEL` (ones), `fake_loss`
#    compares the fake predictions with `FAKE_LABEL` (zeros); use `torch.full_like`,
#    `torch.ones_like` or `torch.zeros_like` so the targets have the predictions' shape and device,
# 5. `disc_loss = (real_loss + fake_loss) / 2`,
# 6. `disc_optimizer.zero_grad()`, `disc_loss.backward()`, `disc_optimizer.step()`,
# 7. return the loss value: `disc_loss.detach()`, a 0-d tensor, or `disc_loss.item()`, a Python
#    float. Both are accepted.
#
# The reference returns the tensor. `.item()` copies the number from the GPU to Python, so
# Python waits for the GPU at every step, and the training step can't be recorded as a CUDA graph
# (see the training loop at the end). The loop still trains with a float, just step by step.
#
# Draw new noise on every call (never reuse a noise tensor from an earlier call), and leave
# the networks' modes alone: the training loop puts both in `train()` mode, and a step that
# switches one to `eval()` must put it back before returning.

# %% nbgrader={"grade": false, "grade_id": "discriminator_step", "locked": false, "schema_version": 3, "solution": true}
def discriminator_step(generator: nn.Module, discriminator: nn.Module, images: torch.Tensor,
                       disc_optimizer: torch.optim.Optimizer, loss_func: nn.Module,
                       latent_dim: int) -> float | torch.Tensor:
    """One update of the discriminator on a batch of real images and as many fake ones.

    Parameters:
        generator: maps noise (B, latent_dim) to images (B, 1, 28, 28); its weights and
            gradients must not change
        discriminator: maps images to logits (B, 1)
        images: real images (B, 1, 28, 28) in [-1, 1], on the networks' device
        disc_optimizer: optimizer over the discriminator's parameters (only)
        loss_func: nn.BCEWithLogitsLoss(), loss_func(logits, targets)
        latent_dim: the length of each noise vector
    Returns:
        disc_loss = (real_loss + fake_loss) / 2 of this batch (before the update): a 0-d
        tensor (disc_loss.detach()) or a Python float (disc_loss.item())
    """
    # TODO: your code here
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_discriminator_step", "locked": true, "points": 6, "schema_version": 3, "solution": false}
score = check("dropout_gan", "discriminator_step", globals())
score


# %% [markdown]
# ## Training the generator
#
# The generator wants the discriminator to call its images real. The textbook objective is to
# minimize $\log(1 - D(G(z)))$, but early in training the discriminator easily spots the fakes,
# $D(G(z)) \approx 0$, where that function is flat and the generator gets almost no gradient.
# Instead, as in the original GAN paper, the generator **maximizes** $\log D(G(z))$ (same goal,
# strong gradient exactly there), which is the BCE of its fakes against the **real** label:
#
# $$\mathcal{L}_G = \mathrm{BCE}(D(G(z)), 1) = -\log D(G(z)).$$
#
# Write `generator_step`:
#
# 1. draw fresh noise `(batch_size, latent_dim)` on `device`,
# 2. generate images, **without** `.detach()`: the loss must reach the generator through the
#    discriminator,
# 3. get the discriminator's prediction on them,
# 4. the loss compares that prediction with targets `REAL_LABEL` (ones),
# 5. `gen_optimizer.zero_grad()`, `backward()`, `gen_optimizer.step()`,
# 6. return the loss value, a 0-d tensor (`generator_loss.detach()`) or a Python float
#    (`.item()`), as in `discriminator_step`.
#
# As in `discriminator_step`: fresh noise on every call, and both networks left in the mode
# they were in (`train()` while training).
#
# The backward pass also writes gradients into the discriminator's `.grad`, but `gen_optimizer`
# holds only the generator's parameters, so only the generator's weights change (and
# `discriminator_step` zeroes those gradients before it uses its own).

# %% nbgrader={"grade": false, "grade_id": "generator_step", "locked": false, "schema_version": 3, "solution": true}
def generator_step(generator: nn.Module, discriminator: nn.Module, batch_size: int,
                   gen_optimizer: torch.optim.Optimizer, loss_func: nn.Module, latent_dim: int,
                   device: torch.device | str) -> float | torch.Tensor:
    """One update of the generator: maximize log D(G(z)), i.e. minimize BCE(D(G(z)), 1).

    Parameters:
        generator: maps noise (B, latent_dim) to images (B, 1, 28, 28)
        discriminator: maps images to logits (B, 1); its weights must not change
        batch_size: the number of images to generate, B
        gen_optimizer: optimizer over the generator's parameters (only)
        loss_func: nn.BCEWithLogitsLoss(), loss_func(logits, targets)
        latent_dim: the length of each noise vector
        device: where to create the noise (the networks' device)
    Returns:
        generator_loss of this batch (before the update): a 0-d tensor or a Python float
    """
    # TODO: your code here
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_generator_step", "locked": true, "points": 6, "schema_version": 3, "solution": false}
score = check("dropout_gan", "generator_step", globals())
score


# %% [markdown]
# ## Questions
#
# Answer each question in a few sentences in the cell below it.
#
# **Dropout.** Both networks here have dropout after every hidden layer. How can dropout in the
# discriminator help a GAN train, and how can it hurt? What does dropout in the *generator* do,
# and why are the samples at the end made with the generator in `eval()` mode?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_dropout", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# **Detaching.** In `discriminator_step` the fake images are made with
# `generator(noise).detach()`. What would happen without `.detach()`, and why is it *not* used in
# `generator_step`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_detach", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ## Training the GAN
#
# The training loop below uses your two steps. For every batch of real images it first updates
# the discriminator, then the generator (the order is not essential, but there must be two
# separate stages, each updating one network), and it records the mean loss of each network per
# epoch in `generator_epoch_losses` and `discriminator_epoch_losses`. After each epoch it shows
# what the generator makes of the same 64 noise vectors, and at the end it plots the losses.
#
# The networks are in `train()` mode while they learn (dropout on) and the generator is switched
# to `eval()` mode (dropout off) to draw the samples.
#
# The optimizers: **Adam** with `betas=(0.5, 0.999)`, as in the DCGAN paper (Radford et al.,
# 2015), which found Adam's default `beta1 = 0.9` to make training oscillate: a shorter memory of
# past gradients lets each network react faster to the other one's moves. The paper's learning
# rate was `2e-4` (it found `1e-3` too unstable); this course uses **`4e-4`**, because with these
# networks `2e-4` settled into a partial mode collapse: on a GPU, runs at `2e-4` from this
# notebook's seed had 8 or 9 of the ten digits after 20,000 steps, and 1s made 40 % of the
# samples. At `4e-4` all ten digits were there from about 6,000 steps, and the 50-epoch run ended
# with all ten and 89 % of the samples clearly recognisable, from two different seeds
# (`docs/benchmarks.md`).
#
# A GAN's losses do not go to zero: each network's loss goes up when the other one improves. A
# discriminator loss near $\log 2 \approx 0.69$ means it can hardly tell real from fake. Judge
# progress by the pictures. Expect a bumpy ride: in one 15-epoch run on a CPU (at DCGAN's rate
# `2e-4`) the samples were noisy blobs for the first epochs, then all 64 became the same stroke
# around epochs 7 to 9 (**mode collapse**: the generator had settled on one image, the
# discriminator learnt to reject it, and the generator's loss jumped above 10), and by epoch 15
# they were recognizable digits, mostly 1s with some 3s and 9s.
#
# On a GPU an epoch takes a few seconds. On a CPU it depends on the machine: about 20 seconds
# per epoch (469 batches) on the course's 2-core test machine with both cores, so the quick CPU
# run of 24 epochs takes about 8 minutes (measured: 9 of the 10 digits, 83 % clearly
# recognisable; at `2e-4` it was 78 %). The next cell sets the length of the run: it is yours to
# change (the grader does not use it). You can also stop the training at any time (Kernel →
# Interrupt): the networks keep what they have learnt.
#
# **Why `capture`?** The networks are so small that a GPU spends most of a step waiting for
# Python to launch its many tiny kernels. `capture(train_step, first_images)` (from
# `gan_course.cuda_graph`) records the launches of one step once, as a *CUDA graph*, and then
# each step replays them with one call: the same arithmetic, several times faster. That is why
# the optimizers are made with `capturable=True` on a GPU, and why the loop keeps the losses on
# the device and reads them once per epoch. Dropout's random masks are drawn afresh at every
# replay (they come from torch's generator on the GPU). On a CPU, `capture` gives `train_step`
# back unchanged. Your two steps need nothing special to be recorded: return the loss as a
# tensor, make every tensor on the device with torch (`torch.randn(..., device=...)`), and
# read nothing back to Python (no `.item()`, `print(loss)` or numpy). If a step can't be
# recorded (for example it returns `loss.item()`), `capture` says so in one line and the loop
# trains step by step: the same training, slower.

# %% nbgrader={"grade": false, "grade_id": "settings", "locked": false, "schema_version": 3, "solution": false}
FULL_RUN_EPOCHS = 50       # passes over the 60,000 training images (a GPU: a few minutes)
QUICK_CPU_RUN_EPOCHS = 24  # a quick run on a CPU (about 8 minutes on 2 cores)
n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS

# %% nbgrader={"grade": false, "grade_id": "training", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    on_gpu = device.type == "cuda"  # capturable: on a GPU the step is recorded (see above)
    generator = MNISTGenerator(latent_dim).to(device)
    discriminator = MNISTDiscriminator().to(device)
    gen_optimizer = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas, capturable=on_gpu)
    disc_optimizer = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas,
                                      capturable=on_gpu)

    def as_loss(value) -> torch.Tensor:
        """A step's loss value (a 0-d tensor or a Python float) as a 0-d tensor on the device."""
        return torch.as_tensor(value, dtype=torch.float32, device=device).detach().reshape(())

    def train_step(images):
        """One training step on real images (B, 1, 28, 28): the discriminator's update, then the
        generator's. Returns both losses, 0-d tensors on the device."""
        # Discriminator: maximize log D(x) + log(1 - D(G(z))).
        disc_loss = discriminator_step(generator, discriminator, images, disc_optimizer,
                                       loss_func, latent_dim)
        # Generator: maximize log D(G(z)).
        gen_loss = generator_step(generator, discriminator, images.shape[0], gen_optimizer,
                                  loss_func, latent_dim, device)
        return as_loss(gen_loss), as_loss(disc_loss)

    # On a GPU: record the step once as a CUDA graph and replay it (on a CPU: the step as it is).
    # The networks are in train() mode (dropout on) while it is recorded, as while they learn.
    first_images = next(iter(dataloader))[0].to(device)  # (batch_size, 1, 28, 28)
    train_step = capture(train_step, first_images)

    fixed_noise = torch.randn(64, latent_dim, device=device)  # the same z every epoch
    generator_epoch_losses, discriminator_epoch_losses = [], []
    tracker = Tracker(every=200)  # digit shares and distance every 200 steps
    for epoch in range(1, n_epochs + 1):
        generator.train()        # dropout on while learning
        discriminator.train()
        batch_losses = []        # one (2,) tensor [generator, discriminator] per step, on the device
        for images, _ in tqdm(dataloader, desc=f"epoch {epoch}/{n_epochs}"):
            images = images.to(device)  # (B, 1, 28, 28) in [-1, 1]; already there: no copy
            gen_loss, disc_loss = train_step(images)  # the last, smaller batch: step by step
            # Reading a GPU number makes Python wait for the GPU: the losses stay on the device
            # (stacked, a copy: a replay overwrites the graph's outputs) and are read per epoch.
            batch_losses.append(torch.stack([gen_loss, disc_loss]))
            tracker.update(generator)
        mean_generator_loss, mean_discriminator_loss = torch.stack(batch_losses).mean(0).tolist()
        generator_epoch_losses.append(mean_generator_loss)
        discriminator_epoch_losses.append(mean_discriminator_loss)
        print(f"epoch {epoch}: generator loss {format_loss(generator_epoch_losses[-1])}, "
              f"discriminator loss {format_loss(discriminator_epoch_losses[-1])}")

        generator.eval()         # dropout off for sampling
        with torch.no_grad():    # the same 64 noise vectors each epoch, beside real digits
            show_generated_and_real(generator(fixed_noise), images, value_range=(-1, 1),
                                    title=f"epoch {epoch}", num_images=64, nrow=8)

    plot_losses({"generator, BCE(D(G(z)), 1)": generator_epoch_losses,
                 "discriminator, (real + fake) / 2": discriminator_epoch_losses},
                xlabel="epoch", reference=float(np.log(2)), title="mean loss per epoch")
    tracker.plot()

# %% [markdown]
# ## Did my GAN learn?
#
# `evaluate` draws 5000 samples from your trained generator and judges them with a small MNIST
# classifier that ships with the course (`gan_course.classifier`, 99 % accurate on MNIST-test):
#
# * the **Fréchet distance** between your samples and MNIST-test in the classifier's feature
#   space (real MNIST digits score about 3, noise about 2500; lower is better);
# * each digit's **share** of the samples, and how many of the ten digits appear with at least
#   2 %: a generator that makes only a few of them suffers from **mode collapse**;
# * the share of samples the classifier recognises with a probability above 0.9 (blurry or
#   unrecognisable samples lower it);
# * a verdict in words, a grid of samples and a bar chart of the digit shares (both also saved
#   in `evaluation/`).
#
# The cell also saves the generator's weights to `generator.pt`: from a terminal,
# `python -m autograder evaluate dropout_gan .` evaluates them again (in a sandbox). Like the
# training cell, this cell does not run while grading.

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    torch.save(generator.state_dict(), "generator.pt")  # the trained weights, for `autograder evaluate`
    result = evaluate(generator)  # 5000 samples: prints the figures, shows the grid and the chart
