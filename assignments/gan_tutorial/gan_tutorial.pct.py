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
# # Generative Adversarial Networks
#
# Thus far, we have discussed several **generative** models. A generative model learns the
# *structure* of a set of input data. In doing so, the model learns to *generate* new data that
# it has never seen before in the training data.
#
# A Generative Adversarial Network (GAN) is an example of a generative model.
#
# You write the parts marked `# TODO: your code here` and the answers marked `YOUR ANSWER HERE`.
# Before you submit, run every cell from the top (Kernel → Restart & Run All), or check the
# notebook from a terminal in the course's root folder:
#
# ```
# python -m autograder check gan_tutorial gan_tutorial.ipynb
# ```
#
# The long training cell (Q2 part (b)) does not run while grading, so keep your code in the
# marked places.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
from tqdm.auto import tqdm

from autograder.selfcheck import check
from gan_course import is_grading
from gan_course.cuda_graph import capture
from gan_course.data import DeviceBatches, mnist_dataset
from gan_course.plots import plot_losses, show_generated_and_real
from gan_course.evaluate import Tracker, evaluate

_ = torch.manual_seed(0)  # reproducible weights, noise and batch order
tracker = Tracker(every=200)  # train() reports digit shares and distance every 200 steps

# %% [markdown]
# This notebook runs on a CPU, and faster on a GPU when there is one (on Google Colab: "Runtime"
# → "Change runtime type" → "GPU"). You do not need to download anything by hand: the course
# loader `gan_course.data` finds MNIST on your disk (set the environment variable
# `GAN_COURSE_DATA` to a folder holding the four `.gz` files) or downloads it the first time.
#
# Then, let's begin by loading the MNIST training data. As with torchvision's
# `transforms.ToTensor()`, every image is a float tensor of shape `(1, 28, 28)` with pixel values
# in `[0, 1]`.

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false}
mnist_data = mnist_dataset("train")  # 60000 pairs (image (1, 28, 28) float32 in [0, 1], label)

# %% [markdown]
# The constants used throughout: the length of the generator's noise vector, and the labels of
# the two classes the discriminator tells apart.

# %% nbgrader={"grade": false, "grade_id": "constants", "locked": true, "schema_version": 3, "solution": false}
NOISE_DIM = 100     # length of the generator's input noise vector z

REAL_LABEL = 1.0    # the discriminator's target for real images ...
FAKE_LABEL = 0.0    # ... and for generated ones

# %% [markdown]
# ## Q1. Model
#
# A generative adversarial network (GAN) model consists of two models:
#
# - A **Generator** network $G$ that takes in a latent embedding (usually random noise) and
#   generates an image like those that exist in the training data
# - A **Discriminator** network $D$ that tries to distinguish between real images from the
#   training data, and fake images produced by the generator
#
# In essence, we have two neural networks that are adversaries: the generator wants to fool the
# discriminator, and the discriminator wants to avoid being fooled.
#
# Let's set up a simple generator and a discriminator to start. Read them carefully (the comments
# give the shape each layer produces for a batch of `N`): the questions below are about them.
#
# *What changed from the seed.* This tutorial's original networks (a generator with one hidden
# layer of 300, and a discriminator that reads pixels in `[0, 1]`) learn a few digit types and
# then stay with them: after its 20 epochs the seed's GAN made 7 of the 10 digits, with only two
# samples in three clearly a digit, and longer runs lost more digits. Two changes, both "other
# techniques" the seed invites below, make it learn all ten digits in about 3 minutes on a GPU:
#
# 1. the generator has **three hidden layers** (256, 512 and 1024 units) instead of one of 300:
#    more room to draw ten different shapes;
# 2. the discriminator **rescales its input**: `x * 2 - 1` maps the pixels from `[0, 1]` to
#    `[-1, 1]` (centred on 0), the range most GAN recipes feed their discriminators (DCGAN's
#    too). We measured what it does rather than why: without it the deeper generator never got
#    started (its discriminator won at once and it drew one blob); with it, the generator made
#    all ten digits within the first minute on a GPU.
#
# Everything else (the layers' kinds, the leaky ReLUs, the sigmoid, the shapes going in and out,
# the loss and the optimizer's settings) is the seed's.

# %% nbgrader={"grade": false, "grade_id": "Discriminator", "locked": true, "schema_version": 3, "solution": false}
class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(28 * 28, 300),          # (N, 784) -> (N, 300)
            nn.LeakyReLU(0.2, inplace=True),  # (N, 300)
            nn.Linear(300, 100),              # (N, 300) -> (N, 100)
            nn.LeakyReLU(0.2, inplace=True),  # (N, 100)
            nn.Linear(100, 1),                # (N, 100) -> (N, 1), a logit: no sigmoid
        )

    def forward(self, x):
        x = x.view(x.size(0), -1)             # (N, 1, 28, 28) -> (N, 784), pixels in [0, 1]
        x = x * 2 - 1                         # (N, 784), pixels in [-1, 1]: centred on 0
        out = self.model(x)                   # (N, 1)
        return out.view(x.size(0))            # (N,)


# %% nbgrader={"grade": false, "grade_id": "Generator", "locked": true, "schema_version": 3, "solution": false}
class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Linear(NOISE_DIM, 256),        # (N, 100) -> (N, 256)
            nn.LeakyReLU(0.2, inplace=True),  # (N, 256)
            nn.Linear(256, 512),              # (N, 256) -> (N, 512)
            nn.LeakyReLU(0.2, inplace=True),  # (N, 512)
            nn.Linear(512, 1024),             # (N, 512) -> (N, 1024)
            nn.LeakyReLU(0.2, inplace=True),  # (N, 1024)
            nn.Linear(1024, 28 * 28),         # (N, 1024) -> (N, 784)
            nn.Sigmoid(),                     # (N, 784), pixel values in (0, 1)
        )

    def forward(self, x):
        out = self.model(x).view(x.size(0), 1, 28, 28)  # (N, 100) -> (N, 1, 28, 28)
        return out


# %% [markdown]
# To make the GAN faster to train, both the Discriminator and Generator are fully-connected
# networks. You can use convolutional layers and other techniques we discussed.
#
# One difference between these models and the previous models we've built is that we are using
# a `nn.LeakyReLU` activation. Leaky ReLU is a variation of the ReLU activation that lets some
# information through, even when its input is less than 0. The layer
# `nn.LeakyReLU(0.2, inplace=True)` performs the computation: `x if x > 0 else 0.2 * x`.
#
# ### Part (a)
#
# What tensor shape does the discriminator take as input? What does it produce as an output?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_discriminator_shapes", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ### Part (b)
#
# What tensor shape does the generator take as input? What does it produce as an output?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_generator_shapes", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ### Part (c)
#
# Explain what might be an advantage of using the leaky ReLU activation, compared to a ReLU
# activation.

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_leaky_relu", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ## Q2. Training a GAN
#
# To train a GAN, we need to find a suitable loss function. Consider the following quantity:
#
# `P(D correctly identifies real image) + P(D correctly identifies image generated by G)`
#
# A good **discriminator** would want to *maximize* the above quantity by altering its
# parameters.
#
# Likewise, a good **generator** would want to *minimize* the above quantity. Actually, the only
# term that the generator controls is `P(D correctly identifies image generated by G)`. So, the
# best thing for the generator to do is alter its parameters to generate images that can fool D.
#
# Since we are looking at class probabilities, we will use binary cross entropy loss. With
# labels $y$ and the discriminator's probability $D(x) = \sigma(\text{logit})$ it is
#
# $$\mathrm{BCE} = -\operatorname{mean}\big[\,y \log D(x) + (1 - y)\log(1 - D(x))\,\big],$$
#
# so minimizing it with label `1` for real images and `0` for fake ones is the same as the
# discriminator maximizing $\log D(x) + \log(1 - D(G(z)))$. `nn.BCEWithLogitsLoss` takes the
# discriminator's logits and applies the sigmoid itself.
#
# Here is a rudimentary training loop to train a GAN. For every minibatch of data, we train the
# discriminator for one iteration, and then we train the generator for one iteration.
#
# For the discriminator, we use the label `1` (`REAL_LABEL`) to represent a **real** image, and
# `0` (`FAKE_LABEL`) to represent a fake image.
#
# ### Part (a)
#
# Fill in the training code below. There are two places marked `# TODO: your code here`:
#
# 1. the discriminator's `labels`: one label per row of `inputs`, which holds the `N` real images
#    first and then the `N` fake ones. Make it a float tensor of shape `(2N,)` (the shape of the
#    discriminator's output) on `device`.
# 2. the generator's loss `g_loss`: `criterion` applied to the discriminator's logits `outputs`
#    for the fake images, and the right targets. What does the generator want the discriminator
#    to say about its images? Use the criterion's result as it is (the mean over the
#    minibatch): no factor such as `batch_size`, since the loop backpropagates and reports
#    `g_loss` itself.
#
# The rest is given. Note the `fake_images.detach()` in the discriminator step: the discriminator
# step should update the discriminator only, so we cut the graph back to the generator and
# `d_loss.backward()` computes no gradients for the generator's weights (the comment in the code
# says why that matters). In the generator step there is no `.detach()`: the generator learns
# through the gradient that flows back through the discriminator. The generator step makes
# **fresh** fakes from new noise, after the discriminator's update; keep those lines (do not
# reuse the discriminator step's `fake_images`).
#
# `train` returns the mean discriminator and generator loss of each epoch, so you can plot them.
#
# **Why a `train_step`, and `capture`?** The work of one minibatch (both steps) is the local
# function `train_step(images)`, and the loop calls it once per minibatch. The networks are so
# small that a GPU spends most of a step waiting for Python to launch its many tiny kernels. On
# a GPU, `capture(train_step, first_images)` (from `gan_course.cuda_graph`) records the launches
# of one step once, as a *CUDA graph*, and each minibatch of 100 then replays them with one call:
# the same arithmetic, faster (the last, smaller minibatch of an epoch runs step by step). That
# is why the optimizers are made with `capturable=True` on a GPU, and why `train_step` returns
# its losses as 0-d tensors (`d_loss.detach()`) that the loop adds up on the device and reads
# (`.item()`) once per epoch: reading a number makes Python wait for the GPU, and a step that
# waits cannot be recorded. Returning Python floats (`d_loss.item()`) gives the same history;
# so does a loop without a `train_step` at all. If your step cannot be recorded (it calls
# `.item()`, or makes a tensor on the CPU and moves it), `capture` says so in one line and
# `train` trains step by step: the same training, slower. On a CPU nothing is recorded.

# %% nbgrader={"grade": false, "grade_id": "train", "locked": false, "schema_version": 3, "solution": true}
def train(generator: nn.Module, discriminator: nn.Module, device: torch.device | str,
          lr: float = 0.001, num_epochs: int = 5) -> dict[str, list[float]]:
    """Train the GAN on `mnist_data`: per minibatch, one discriminator step, then one generator step.

    Parameters:
        generator: maps noise (N, 100) to images (N, 1, 28, 28) with values in (0, 1)
        discriminator: maps images (N, 1, 28, 28) to logits (N,)
        device: where the networks and every tensor live, e.g. "cpu" or "cuda"
        lr: Adam's learning rate, for both networks
        num_epochs: number of passes over the training data
    Returns:
        history: {"d_loss": [...], "g_loss": [...]}, each a list of num_epochs Python floats, the
        mean discriminator / generator loss over the minibatches of each epoch
    """
    # We will use the binary cross-entropy loss (on logits: it applies the sigmoid itself)
    criterion = nn.BCEWithLogitsLoss()

    # Move generator and discriminator weights to the GPU (when device is "cuda")
    generator = generator.to(device)
    discriminator = discriminator.to(device)

    # From: https://colab.research.google.com/github/smartgeometry-ucl/dl4g/blob/master/gan.ipynb#scrollTo=-o7DOryPkUOb
    # GAN training can be unstable. In this case, the strong momentum
    # for the gradient prevents convergence. One possible explanation is that the
    # strong momentum does not allow the two players in the adversarial game to react
    # to each other quickly enough. Decreasing beta1 (the exponential decay for the
    # gradient moving average in [0,1], lower is faster decay) from the default 0.9
    # to 0.5 allows for quicker reactions.
    # capturable: on a GPU the step is recorded as a CUDA graph (see the text above)
    on_gpu = torch.device(device).type == "cuda"
    d_optimizer = optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999), capturable=on_gpu)
    g_optimizer = optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999), capturable=on_gpu)

    # Use the MNIST data as training data: shuffled minibatches of 100 images, (100, 1, 28, 28).
    # DeviceBatches copies the whole dataset to `device` once and cuts each minibatch there, where
    # the seed's torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True) builds each
    # one on the CPU, image by image, and the loop copies it over; both give the same minibatches
    # (the last one of an epoch smaller), and either works here.
    train_loader = DeviceBatches(mnist_data, batch_size=100, device=device)

    # We will track 16 noise vectors, and what image the generator creates
    # from these 16 noise vectors.
    num_test_samples = 16
    test_noise = torch.randn(num_test_samples, NOISE_DIM, device=device)  # (16, 100)

    def train_step(images):
        """One minibatch of real images (N, 1, 28, 28) on device: the discriminator's step, then
        the generator's. Returns d_loss, g_loss, D(x) and D(G(z)) as 0-d tensors on device."""
        batch_size = images.size(0)  # N (the last batch of an epoch may be smaller)

        # === Train the Discriminator: maximize log D(x) + log(1 - D(G(z))) ===
        noise = torch.randn(batch_size, NOISE_DIM, device=device)  # (N, 100)
        fake_images = generator(noise)                              # (N, 1, 28, 28)
        # .detach() cuts the graph back to the generator: d_loss.backward() then stops at the
        # fake images and computes no gradients for the generator's weights. Without it, the
        # backward pass also runs through the whole generator (wasted work), and the gradients
        # it leaves in the generator's .grad point the wrong way for the generator (they help
        # D to spot fakes); only the g_optimizer.zero_grad() below keeps them out of the
        # generator's update.
        inputs = torch.cat([images, fake_images.detach()])  # (2N, 1, 28, 28): real, then fake
        # labels: (2N,) float on device, REAL_LABEL for the N real rows then FAKE_LABEL for
        # the N fake rows, in the same order as inputs
        # TODO: your code here
        raise NotImplementedError()

        d_outputs = discriminator(inputs)     # (2N,) logits
        d_loss = criterion(d_outputs, labels)  # BCE of D's scores against real=1 / fake=0
        d_optimizer.zero_grad()
        d_loss.backward()                     # gradients for the discriminator only
        d_optimizer.step()

        # === Train the Generator: maximize log D(G(z)), i.e. make D call the fakes real ===
        noise = torch.randn(batch_size, NOISE_DIM, device=device)  # (N, 100)
        fake_images = generator(noise)        # (N, 1, 28, 28), graph reaches G
        outputs = discriminator(fake_images)  # (N,) logits, no .detach(): gradients flow into G

        # g_loss: criterion of outputs against the targets the generator wants (N,)
        # TODO: your code here
        raise NotImplementedError()
        g_optimizer.zero_grad()
        g_loss.backward()  # also leaves gradients in D; d_optimizer.zero_grad() clears them
        g_optimizer.step()  # updates the generator's weights only

        # D's mean probability that the real and the fake images of this minibatch are real
        scores = torch.sigmoid(d_outputs.detach())  # (2N,)
        real_score = scores[:batch_size].mean()     # D(x), a 0-d tensor
        fake_score = scores[batch_size:].mean()     # D(G(z))
        return d_loss.detach(), g_loss.detach(), real_score, fake_score

    # On a GPU: record the step once as a CUDA graph and replay it for every minibatch of 100
    # (on a CPU the step stays as it is, so the CPU run is not touched).
    if on_gpu:
        first_images = next(iter(train_loader))[0].to(device)  # (100, 1, 28, 28)
        train_step = capture(train_step, first_images)

    history = {"d_loss": [], "g_loss": []}  # mean loss of each epoch

    for epoch in range(num_epochs):
        # put the generator/discriminator in training mode
        generator.train()
        discriminator.train()
        # The sums of this epoch's losses, kept as tensors on the device: reading a GPU number
        # (.item()) makes Python wait for the GPU, so we read them once per epoch.
        d_loss_sum = torch.zeros((), device=device)
        g_loss_sum = torch.zeros((), device=device)

        for images, _ in tqdm(train_loader, desc=f"epoch {epoch + 1}/{num_epochs}", leave=False):
            images = images.to(device)  # (N, 1, 28, 28) real images in [0, 1] (no copy if there)
            d_loss, g_loss, real_score, fake_score = train_step(images)
            tracker.update(generator)  # every 200 steps: which digits, how close to MNIST

            d_loss_sum += d_loss  # 0-d tensors (a Python float from .item() adds as well)
            g_loss_sum += g_loss

        # The epoch's mean losses, as Python floats
        history["d_loss"].append((d_loss_sum / len(train_loader)).item())
        history["g_loss"].append((g_loss_sum / len(train_loader)).item())

        # Report the losses and D's scores of the last minibatch
        print(f"Epoch [{epoch + 1}/{num_epochs}], d_loss: {float(d_loss):.4f}, "
              f"g_loss: {float(g_loss):.4f}, D(x): {float(real_score):.2f}, "
              f"D(G(z)): {float(fake_score):.2f}")

        # Plot images generated from the 16 noise vectors, beside 16 real ones
        generator.eval()
        discriminator.eval()
        with torch.no_grad():
            test_images = generator(test_noise).cpu()  # (16, 1, 28, 28)
        show_generated_and_real(test_images, images[:num_test_samples],
                                title=f"epoch {epoch + 1}/{num_epochs}: the same 16 noise vectors",
                                num_images=num_test_samples, nrow=8)

    return history


# %% [markdown]
# **Self-check.** The next cell runs `train` for a moment on a few stand-in images (the training
# run of part (b) is not needed) and tells you what to fix. The grader asks the same questions on
# other inputs.

# %% nbgrader={"grade": true, "grade_id": "check_train", "locked": true, "points": 17, "schema_version": 3, "solution": false}
score = check("gan_tutorial", "train", globals())
score

# %% [markdown]
# ### Part (b)
#
# Train the network for at least 20 epochs: the full run is 60 epochs (36,000 steps), because
# the seed's 20 are not enough for the deeper generator (it has all ten digits by then, but only
# about two samples in three are clearly a digit). Measured with `bench/training.py`: under
# 3 minutes on an NVIDIA H100 GPU, about 10 minutes on a 2-core CPU. In a hurry on a CPU? 30
# epochs (about 5 minutes) already make all ten digits, most of them recognisable. The next cell
# sets the length of the run: it is yours to change (the grader does not use it). The training
# cell after it does not run while grading. You can stop the training at any time (Kernel →
# Interrupt): the networks keep what they have learnt.

# %% nbgrader={"grade": false, "grade_id": "settings", "locked": false, "schema_version": 3, "solution": false}
FULL_RUN_EPOCHS = 60       # 36,000 steps: under 3 minutes on a GPU
QUICK_CPU_RUN_EPOCHS = 60  # on a CPU too: about 10 minutes on 2 cores (30: about 5, most digits)
num_epochs = FULL_RUN_EPOCHS if torch.cuda.is_available() else QUICK_CPU_RUN_EPOCHS
learning_rate = 0.0002     # Adam's step size, for both networks (part (b) of the seed)

# %% nbgrader={"grade": false, "grade_id": "training", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    discriminator = Discriminator()
    generator = Generator()

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    history = train(generator, discriminator, device, lr=learning_rate, num_epochs=num_epochs)

    plot_losses({"discriminator": history["d_loss"], "generator": history["g_loss"]},
                xlabel="epoch", title="mean loss per epoch")
    tracker.plot()  # digit shares and distance during training: watch for mode collapse

# %% [markdown]
# ### Part (c)
#
# GANs are notoriously difficult to train. One difficulty is that a training curve is no longer
# as helpful as it was for a supervised learning problem! The generator and discriminator losses
# tend to bounce up and down, since both the generator and discriminator are changing over time.
# Tuning hyperparameters is also much more difficult, because we don't have the training curve
# to guide us. Newer GAN models like Wasserstein GAN try to alleviate some of these issues, but
# are beyond the scope of this course.
#
# To compound the difficulty of hyperparameter tuning, GANs also take a long time to train. It is
# tempting to stop training early, but the effects of hyperparameters may not be noticeable
# until later on in training.
#
# Discuss what trend you notice in the discriminator and generator loss.

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_loss_trends", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ### Part (d)
#
# You might have noticed in the images generated by our simple GAN that the model seems to only
# output a small number of digit types. This phenomenon is called **mode collapse**. Explain if
# mode collapse manifested in your GAN. If so, how? Why does mode collapse occur in a GAN?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_mode_collapse", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# YOUR ANSWER HERE

# %% [markdown]
# ## Other GAN Implementations
#
# - https://github.com/prcastro/pytorch-gan/blob/master/MNIST%20GAN.ipynb
# - https://github.com/BeierZhu/GAN-MNIST-Pytorch
# - https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html

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
# `python -m autograder evaluate gan_tutorial .` evaluates them again (in a sandbox). Like the
# training cell, this cell does not run while grading.

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    torch.save(generator.state_dict(), "generator.pt")  # the trained weights, for `autograder evaluate`
    result = evaluate(generator)  # 5000 samples: prints the figures, shows the grid and the chart
