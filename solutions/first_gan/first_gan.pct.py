# %% [markdown]
# # Your first GAN: generating handwritten digits
#
# ### Goal
# Build and train a generative adversarial network (GAN) that generates hand-written digits
# (0-9) with PyTorch.
#
# You write the parts marked `# TODO: your code here`. After each part there is a **self-check**
# cell: run it, and it tells you what is right and what to fix. Before you submit, run every cell
# from the top (Kernel → Restart & Run All), or check the whole notebook from a terminal:
#
# ```
# python -m autograder check first_gan first_gan.ipynb
# ```
#
# The grader checks more than the self-checks show (the same properties, on other inputs).
# The long training cell at the end does not run while grading, so keep your work in the
# marked cells.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import matplotlib.pyplot as plt
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

torch.manual_seed(0)  # Set for testing purposes, please do not change!


def show_tensor_images(image_tensor, num_images=25, size=(1, 28, 28)):
    """Plot the first `num_images` images of a batch in a uniform 5-wide grid.

    image_tensor: (n, 784) or (n, 1, 28, 28), values in [0, 1].
    """
    image_unflat = image_tensor.detach().cpu().view(-1, *size)  # (n, 1, 28, 28)
    image_grid = make_grid(image_unflat[:num_images], nrow=5)   # (3, H, W)
    plt.imshow(image_grid.permute(1, 2, 0).squeeze().numpy())
    plt.axis("off")
    plt.show()


# %% [markdown]
# #### MNIST Dataset
# The training images your discriminator will be using come from a dataset called
# [MNIST](http://yann.lecun.com/exdb/mnist/). It contains 60,000 images of handwritten digits,
# from 0 to 9. The images are small (28 x 28 pixels) and black-and-white, so only one "colour
# channel" is needed to represent them. The course loader `gan_course.data` finds MNIST on your
# disk (set `GAN_COURSE_DATA` to a folder holding the four `.gz` files) or downloads it.
#
# ## Generator
# The first step is to build the generator component.
#
# Start with a function that makes a single layer/block of the generator's neural network. Each
# block is a [linear transformation](https://pytorch.org/docs/stable/generated/torch.nn.Linear.html)
# to map to another shape, a
# [batch normalization](https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html) for
# stabilization, and a non-linear activation function (a
# [ReLU](https://pytorch.org/docs/stable/generated/torch.nn.ReLU.html)) so the output can be
# transformed in complex ways.

# %% nbgrader={"grade": false, "grade_id": "get_generator_block", "locked": false, "schema_version": 3, "solution": true}
def get_generator_block(input_dim: int, output_dim: int) -> nn.Sequential:
    """Return one block of the generator: Linear -> BatchNorm1d -> ReLU.

    Parameters:
        input_dim: the dimension of the input vector, a scalar
        output_dim: the dimension of the output vector, a scalar
    Returns:
        nn.Sequential mapping (n, input_dim) -> (n, output_dim), values >= 0
    """
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Linear(input_dim, output_dim),  # (n, input_dim) -> (n, output_dim)
        nn.BatchNorm1d(output_dim),        # normalise each feature over the batch
        nn.ReLU(inplace=True),             # non-linearity, values >= 0
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_get_generator_block", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("first_gan", "get_generator_block", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "get_generator_block", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# Now build the generator class. It takes 3 values:
#
# * the noise vector dimension `z_dim`
# * the image dimension `im_dim` (MNIST: 28 x 28 = 784)
# * the initial hidden dimension `hidden_dim`
#
# Starting from the noise vector, the generator applies four blocks until the tensor is wide
# enough, then a final layer maps it to the size of an image. Fill in that **final layer**: it
# needs no normalization or activation, but its output must be scaled into (0, 1) with a
# [sigmoid](https://pytorch.org/docs/stable/generated/torch.nn.Sigmoid.html), like MNIST pixels.
#
# The layers are prescribed (the grader checks them): four generator blocks, then `nn.Linear`
# and `nn.Sigmoid`. Leave the mode to the training loop: never call `self.eval()` inside the
# network; in `train()` mode BatchNorm normalises with each batch's statistics and updates its
# running statistics, which the grader checks too.

# %% nbgrader={"grade": false, "grade_id": "Generator", "locked": false, "schema_version": 3, "solution": true}
class Generator(nn.Module):
    """Generator: noise (n, z_dim) -> flattened images (n, im_dim) with values in (0, 1).

    Values:
        z_dim: the dimension of the noise vector, a scalar
        im_dim: the dimension of the images, fitted for the dataset used, a scalar
            (MNIST images are 28 x 28 = 784 so that is your default)
        hidden_dim: the inner dimension, a scalar
    """

    def __init__(self, z_dim: int = 10, im_dim: int = 784, hidden_dim: int = 128):
        super().__init__()
        layers = [
            get_generator_block(z_dim, hidden_dim),               # (n, z_dim) -> (n, h)
            get_generator_block(hidden_dim, hidden_dim * 2),      # (n, h)  -> (n, 2h)
            get_generator_block(hidden_dim * 2, hidden_dim * 4),  # (n, 2h) -> (n, 4h)
            get_generator_block(hidden_dim * 4, hidden_dim * 8),  # (n, 4h) -> (n, 8h)
        ]
        # Append the final layer(s): (n, 8h) -> (n, im_dim), values in (0, 1).
        ### BEGIN SOLUTION
        layers += [
            nn.Linear(hidden_dim * 8, im_dim),  # (n, 8h) -> (n, im_dim)
            nn.Sigmoid(),                       # pixel values in (0, 1)
        ]
        ### END SOLUTION
        self.gen = nn.Sequential(*layers)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """noise: (n, z_dim) -> generated images (n, im_dim) in (0, 1)."""
        return self.gen(noise)

    def get_gen(self) -> nn.Sequential:
        """Returns: the sequential model."""
        return self.gen


# %% nbgrader={"grade": true, "grade_id": "check_Generator", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("first_gan", "Generator", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "Generator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Noise
# To use the generator you need noise vectors. The noise vector z makes sure that images
# generated from the same class don't all look the same: think of it as a random seed. Sample it
# from the **standard normal** distribution, all `n_samples` vectors at once, directly on `device`.

# %% nbgrader={"grade": false, "grade_id": "get_noise", "locked": false, "schema_version": 3, "solution": true}
def get_noise(n_samples: int, z_dim: int, device="cpu") -> torch.Tensor:
    """Noise vectors for the generator.

    Parameters:
        n_samples: the number of samples to generate, a scalar
        z_dim: the dimension of the noise vector, a scalar
        device: the device type ("cpu", "cuda" or a torch.device)
    Returns:
        float32 tensor (n_samples, z_dim) on `device`, entries drawn from N(0, 1)
    """
    ### BEGIN SOLUTION
    return torch.randn(n_samples, z_dim, device=device)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_get_noise", "locked": true, "points": 3, "schema_version": 3, "solution": false}
score = check("first_gan", "get_noise", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "get_noise", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Discriminator
# The second component is the discriminator. As for the generator, start with a function that
# builds one block: a linear transformation followed by an
# [`nn.LeakyReLU`](https://pytorch.org/docs/stable/generated/torch.nn.LeakyReLU.html) with a
# negative slope of **0.2**.
#
# *Note: leaky ReLUs prevent the "dying ReLU" problem: parameters stop changing when a ReLU
# always receives negative values, because its gradient there is zero.*

# %% nbgrader={"grade": false, "grade_id": "get_discriminator_block", "locked": false, "schema_version": 3, "solution": true}
def get_discriminator_block(input_dim: int, output_dim: int) -> nn.Sequential:
    """Return one block of the discriminator: Linear -> LeakyReLU(0.2).

    Parameters:
        input_dim: the dimension of the input vector, a scalar
        output_dim: the dimension of the output vector, a scalar
    Returns:
        nn.Sequential mapping (n, input_dim) -> (n, output_dim)
    """
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Linear(input_dim, output_dim),  # (n, input_dim) -> (n, output_dim)
        nn.LeakyReLU(0.2, inplace=True),   # x if x > 0 else 0.2 * x
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_get_discriminator_block", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("first_gan", "get_discriminator_block", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "get_discriminator_block", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# Now use these blocks to make the discriminator. It starts from a flattened image (n, 784) and
# ends with **one number per image**: a *logit*, the score that the image is real. Do not add a
# sigmoid after the final layer: the loss `nn.BCEWithLogitsLoss` applies it for you, in a
# numerically stable way. Fill in the final layer.

# %% nbgrader={"grade": false, "grade_id": "Discriminator", "locked": false, "schema_version": 3, "solution": true}
class Discriminator(nn.Module):
    """Discriminator: flattened images (n, im_dim) -> logits (n, 1).

    Values:
        im_dim: the dimension of the images, fitted for the dataset used, a scalar
            (MNIST images are 28x28 = 784 so that is your default)
        hidden_dim: the inner dimension, a scalar
    """

    def __init__(self, im_dim: int = 784, hidden_dim: int = 128):
        super().__init__()
        layers = [
            get_discriminator_block(im_dim, hidden_dim * 4),          # (n, im_dim) -> (n, 4h)
            get_discriminator_block(hidden_dim * 4, hidden_dim * 2),  # (n, 4h) -> (n, 2h)
            get_discriminator_block(hidden_dim * 2, hidden_dim),      # (n, 2h) -> (n, h)
        ]
        # Append the final layer: (n, h) -> (n, 1) logits, no activation.
        ### BEGIN SOLUTION
        layers += [nn.Linear(hidden_dim, 1)]  # (n, h) -> (n, 1) logits
        ### END SOLUTION
        self.disc = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: flattened images (n, im_dim) -> logits (n, 1), real > 0 > fake."""
        return self.disc(image)

    def get_disc(self) -> nn.Sequential:
        """Returns: the sequential model."""
        return self.disc


# %% nbgrader={"grade": true, "grade_id": "check_Discriminator", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("first_gan", "Discriminator", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "Discriminator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Training
# Now put it all together. First, the parameters:
#
# * `criterion`: the loss function
# * `z_dim`: the dimension of the noise vector
# * `batch_size`: the number of images per forward/backward pass
# * `lr`, `betas`: Adam's learning rate and averaging factors
# * `device`: where the networks run: a GPU (CUDA) when there is one, else the CPU
#
# and MNIST, in batches.
#
# **Where this departs from the original assignment.** It used `lr = 0.00001` with Adam's default
# `betas = (0.9, 0.999)` for 200 epochs (94,000 steps). Measured with the course's evaluator
# (`docs/benchmarks.md`), that recipe still made only 6 of the 10 digits after 55,000 steps. With
# `lr = 0.00015` and `beta1 = 0.5` the same networks make all ten digits within about 10,000
# steps, and over 80 % of the samples are clearly recognisable after about 25,000 steps: a lower
# `beta1` lets each player react faster to the other's last move (the DCGAN paper, Radford et
# al. 2015, uses 0.5 too). `lr = 0.0001` needs about 40,000 steps for that; `lr = 0.0002` learns
# as fast at first, but then keeps losing and finding digits.
#
# **The data path.** The usual way to feed a network is a `DataLoader`:
# `DataLoader(dataset, batch_size=batch_size, shuffle=True)` builds each batch on the CPU and the
# loop copies it to the GPU with `.to(device)`. For networks as small as these, that copy and the
# Python work behind it take longer than the training step itself. MNIST is small (60,000 x 784
# floats, 188 MB), so `DeviceBatches` copies it to the device **once** and then cuts shuffled
# batches there: the same `for real, _ in dataloader:` loop, several times faster on a GPU (and a
# little faster on a CPU). Both give batches of `(image (1, 28, 28) in [0, 1], label)`.

# %% nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
criterion = nn.BCEWithLogitsLoss()
z_dim = 64
batch_size = 128
lr = 0.00015           # the seed: 0.00001 (see above)
betas = (0.5, 0.999)   # the seed: Adam's default (0.9, 0.999)
device = default_device()

REAL_LABEL = 1.0  # the discriminator's target for real images
FAKE_LABEL = 0.0  # ... and for generated ones

# MNIST as (image (1, 28, 28) in [0, 1], label) pairs, like torchvision's ToTensor.
dataset = mnist_dataset("train")
dataloader = DeviceBatches(dataset, batch_size, device=device)  # kept on `device`, shuffled
# The same batches the usual way (copied from the CPU every step):
# dataloader = DataLoader(dataset, batch_size=batch_size, shuffle=True)

# %% [markdown]
# The training settings are yours to change (the grader does not use this cell):
#
# * `n_epochs`: the number of times you iterate through the entire dataset when training (one
#   epoch is 469 steps). The full run is 80 epochs: under a minute on a GPU (52 s on an NVIDIA
#   H100), for all ten digits, 88 % of them clearly recognisable. Train much longer and watch
#   the tracker: at a ten times smaller rate than the seed's, GANs like this one start to drop
#   digits after some 60,000 steps (mode collapse, see "Did my GAN learn?" below). On a CPU the
#   quick run is 55 epochs (25,795 steps): 13 minutes on a 2-core machine (measured), and it ends
#   with all ten digits, 85 % of them clearly recognisable. (The original assignment trained 200 epochs at a
#   fifteen times smaller learning rate, see above.)
# * `display_step`: how often (in steps, one step per batch) to show the generator's images next
#   to real ones and print the mean losses. One epoch is `len(dataloader)` = 469 steps at
#   `batch_size` 128, so the default shows one picture per epoch.

# %% nbgrader={"grade": false, "grade_id": "settings", "locked": false, "schema_version": 3, "solution": false}
FULL_RUN_EPOCHS = 80        # the full run (a GPU: under a minute)
QUICK_CPU_RUN_EPOCHS = 55   # a quick run on a CPU (about 14 minutes on 2 cores)
n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS
display_step = len(dataloader)  # steps between pictures: one epoch (469 batches of 128)

# %% [markdown]
# Now initialize the generator, the discriminator and their optimizers. Each optimizer takes
# the parameters of **one** model only, since each optimizer updates only its own model.

# %% nbgrader={"grade": false, "grade_id": "models", "locked": true, "schema_version": 3, "solution": false}
# capturable: on a GPU the training cell records each step as a CUDA graph (see there)
on_gpu = device.type == "cuda"
gen = Generator(z_dim).to(device)
gen_opt = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas, capturable=on_gpu)
disc = Discriminator().to(device)
disc_opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas, capturable=on_gpu)

# %% [markdown]
# Before training, write the functions that compute the discriminator's loss and the
# generator's loss. The generator is needed to compute the discriminator's loss, so call
# `.detach()` on the generator's output there: only the discriminator may learn from its loss.
# (Making the fakes inside `with torch.no_grad():` works as well; the grader accepts either.)
#
# Both functions return the loss as a **scalar tensor**, not a Python float (no `.item()`):
# the update functions call `.backward()` on it.
#
# Use the `criterion` you are given, and `torch.ones_like` / `torch.zeros_like` for the targets
# (if you use `torch.ones` or `torch.zeros`, pass `device=device`). The discriminator's loss is
# the **average** of its loss on the fake images and on the real images:
#
# $$\mathcal{L}_D = \tfrac12\big[\mathrm{BCE}(D(G(z)), 0) + \mathrm{BCE}(D(x), 1)\big]$$

# %% nbgrader={"grade": false, "grade_id": "get_disc_loss", "locked": false, "schema_version": 3, "solution": true}
def get_disc_loss(gen, disc, criterion, real, num_images, z_dim, device):
    """Return the loss of the discriminator given inputs.

    Parameters:
        gen: the generator model, which returns an image given z-dimensional noise
        disc: the discriminator model, which returns a single-dimensional prediction of real/fake
        criterion: the loss function, which should be used to compare the discriminator's
            predictions to the ground truth reality of the images (e.g. fake = 0, real = 1)
        real: a batch of real images, (num_images, 784)
        num_images: the number of images the generator should produce,
            which is also the length of the real images
        z_dim: the dimension of the noise vector, a scalar
        device: the device type
    Returns:
        disc_loss: a torch scalar loss value for the current batch
    """
    ### BEGIN SOLUTION
    noise = get_noise(num_images, z_dim, device)           # (n, z_dim)
    fake = gen(noise).detach()                              # (n, 784); no gradient into G
    pred_fake = disc(fake)                                  # (n, 1) logits
    fake_loss = criterion(pred_fake, torch.full_like(pred_fake, FAKE_LABEL))
    pred_real = disc(real)                                  # (n, 1) logits
    real_loss = criterion(pred_real, torch.full_like(pred_real, REAL_LABEL))
    disc_loss = (fake_loss + real_loss) / 2                 # average of the two halves
    ### END SOLUTION
    return disc_loss


# %% nbgrader={"grade": true, "grade_id": "check_get_disc_loss", "locked": true, "points": 5, "schema_version": 3, "solution": false}
score = check("first_gan", "get_disc_loss", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "get_disc_loss", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# The generator wants the discriminator to call its images real, so its loss compares the
# discriminator's prediction on fresh fake images with the **real** label:
#
# $$\mathcal{L}_G = \mathrm{BCE}(D(G(z)), 1)$$
#
# Here the gradient must flow back through the discriminator into the generator: no `.detach()`
# (and no `torch.no_grad()`). Draw **fresh noise on every call** with `get_noise`: reusing one
# noise tensor would show the generator the same inputs at every step.

# %% nbgrader={"grade": false, "grade_id": "get_gen_loss", "locked": false, "schema_version": 3, "solution": true}
def get_gen_loss(gen, disc, criterion, num_images, z_dim, device):
    """Return the loss of the generator given inputs.

    Parameters:
        gen: the generator model, which returns an image given z-dimensional noise
        disc: the discriminator model, which returns a single-dimensional prediction of real/fake
        criterion: the loss function, which should be used to compare the discriminator's
            predictions to the ground truth reality of the images (e.g. fake = 0, real = 1)
        num_images: the number of images the generator should produce,
            which is also the length of the real images
        z_dim: the dimension of the noise vector, a scalar
        device: the device type
    Returns:
        gen_loss: a torch scalar loss value for the current batch
    """
    ### BEGIN SOLUTION
    noise = get_noise(num_images, z_dim, device)  # (n, z_dim)
    pred_fake = disc(gen(noise))                   # (n, 1) logits, graph reaches G
    gen_loss = criterion(pred_fake, torch.full_like(pred_fake, REAL_LABEL))
    ### END SOLUTION
    return gen_loss


# %% nbgrader={"grade": true, "grade_id": "check_get_gen_loss", "locked": true, "points": 6, "schema_version": 3, "solution": false}
score = check("first_gan", "get_gen_loss", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "get_gen_loss", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## One update of each network
# Every batch, the discriminator is updated first, then the generator. The discriminator's
# update is given below. Write the generator's update in the same way:
#
# 1. zero out the gradients of the generator's optimizer,
# 2. compute the generator loss,
# 3. backpropagate and take an optimizer step,
# 4. return the loss.
#
# Use only the optimizer you are given (`gen_opt`), never the discriminator's (nor the
# notebook's global `disc_opt` or `gen_opt`: use the arguments). Return the loss tensor itself,
# not `gen_loss.item()`: the training loop calls `.item()` on it.

# %% nbgrader={"grade": false, "grade_id": "update_discriminator", "locked": true, "schema_version": 3, "solution": false}
def update_discriminator(gen, disc, disc_opt, criterion, real, num_images, z_dim, device):
    """One discriminator update: maximize log D(x) + log(1 - D(G(z))). Returns the loss."""
    disc_opt.zero_grad()        # forget the gradients of the previous batch
    disc_loss = get_disc_loss(gen, disc, criterion, real, num_images, z_dim, device)
    disc_loss.backward()        # gradients for the discriminator only (fakes are detached)
    disc_opt.step()             # update the discriminator's weights
    return disc_loss


# %% nbgrader={"grade": false, "grade_id": "update_generator", "locked": false, "schema_version": 3, "solution": true}
def update_generator(gen, disc, gen_opt, criterion, num_images, z_dim, device):
    """One generator update: maximize log D(G(z)). Returns the loss (a scalar tensor).

    Parameters:
        gen, disc: the generator and discriminator models
        gen_opt: the optimizer of the generator's parameters
        criterion, num_images, z_dim, device: as for get_gen_loss
    """
    ### BEGIN SOLUTION
    gen_opt.zero_grad()
    gen_loss = get_gen_loss(gen, disc, criterion, num_images, z_dim, device)
    gen_loss.backward()
    gen_opt.step()
    ### END SOLUTION
    return gen_loss


# %% nbgrader={"grade": true, "grade_id": "check_update_generator", "locked": true, "points": 5, "schema_version": 3, "solution": false}
score = check("first_gan", "update_generator", globals())
### BEGIN HIDDEN TESTS
score += check("first_gan", "update_generator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# Finally, put everything together! For each epoch, process the entire dataset in batches. For
# every batch, update the discriminator and then the generator using their losses. You may see
# a loss greater than 1: binary cross entropy can be any positive number for a sufficiently
# confident wrong guess.
#
# The discriminator often outperforms the generator, especially at the start, because its job is
# easier. Neither may get too good (near-perfect accuracy), or the whole model stops learning.
#
# Every `display_step` steps the cell prints the mean losses of those steps and shows what the
# generator makes (left, "generated") beside the batch of real digits it was trained on (right,
# "real"); at the end it plots both losses over the whole run. You can stop it at any time
# (Kernel → Interrupt): the networks keep what they have learnt. The cell does not run while your
# notebook is being graded.
#
# **Why `capture`?** The networks are so small that a GPU spends most of a step waiting for
# Python to launch its three hundred or so tiny kernels. `capture(train_step, first_batch)`
# (from `gan_course.cuda_graph`) records the launches of one step once, as a *CUDA graph*, and
# then each step replays them with one call: the same arithmetic, several times faster (on an
# NVIDIA H100, about 100 steps a second step by step, and about 720 replayed). That is why
# the optimizers above are made with `capturable=True` on a GPU, and why the loop keeps the
# losses on the device instead of calling `.item()` every step. On a CPU, `capture` gives
# `train_step` back unchanged: a 2-core CPU does about 33 steps a second (an epoch in about
# 14 s). Your `update_generator` needs nothing special: if it cannot be recorded (for example
# it calls `.item()`), `capture` says so and the loop trains step by step.

# %% nbgrader={"grade": false, "grade_id": "training", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    def train_step(real):
        """One training step on a batch of real images (n, 784): the discriminator's update, then
        the generator's. Returns both losses and whether the generator's weights stayed the same."""
        ### Update discriminator ###
        disc_loss = update_discriminator(gen, disc, disc_opt, criterion, real, len(real), z_dim, device)

        # For testing purposes, to keep track of the generator weights
        old_generator_weights = gen.gen[0][0].weight.detach().clone()

        ### Update generator ###
        gen_loss = update_generator(gen, disc, gen_opt, criterion, len(real), z_dim, device)

        # For testing purposes, to check that your code changes the generator weights
        unchanged = (gen.gen[0][0].weight.detach() == old_generator_weights).all()
        return gen_loss.detach(), disc_loss.detach(), unchanged

    # On a GPU: record the step once as a CUDA graph and replay it (on a CPU: the step as it is).
    first_batch = next(iter(dataloader))[0].view(batch_size, -1).to(device)  # (batch_size, 784)
    train_step = capture(train_step, first_batch)

    cur_step = 0
    # One row [generator, discriminator] per step, on the device, made once. (A new small tensor
    # kept at every step, in a list, made the process grow by gigabytes on a CPU: memory between
    # the step's large temporary buffers that the allocator could no longer reuse.)
    step_losses = torch.zeros(n_epochs * len(dataloader), 2, device=device)  # (steps, 2)
    weights_unchanged = torch.zeros((), dtype=torch.bool, device=device)  # any step without change?
    error = False
    tracker = Tracker(every=display_step)  # digit shares and distance at every display
    for epoch in range(n_epochs):
        # DeviceBatches (or a DataLoader) returns the batches
        for real, _ in tqdm(dataloader, desc=f"epoch {epoch + 1}/{n_epochs}", leave=False):
            real = real.view(len(real), -1).to(device)  # (n, 784); already there: no copy
            gen_loss, disc_loss, unchanged = train_step(real)

            # Reading a GPU number (.item()) makes Python wait for the GPU, so the losses and the
            # weight test stay on the device and are read only every display_step steps.
            step_losses[cur_step] = torch.stack([gen_loss, disc_loss])  # row cur_step, from 0
            weights_unchanged |= unchanged

            cur_step += 1
            tracker.update(gen, cur_step)  # digit shares and distance, every display_step steps

            ### Visualization code ###
            if cur_step % display_step == 0:  # after every display_step steps
                if bool(weights_unchanged):
                    error = True
                    print("Runtime tests have failed: a generator update left the generator's "
                          "weights unchanged")
                # The mean losses of the last display_step steps
                recent = step_losses[cur_step - display_step:cur_step]  # (display_step, 2)
                mean_generator_loss, mean_discriminator_loss = recent.mean(0).tolist()
                print(f"Epoch {epoch}, step {cur_step}: generator loss "
                      f"{format_loss(mean_generator_loss)}, discriminator loss "
                      f"{format_loss(mean_discriminator_loss)}")
                fake = gen(get_noise(len(real), z_dim, device=device))  # (n, 784)
                show_generated_and_real(fake, real, title=f"epoch {epoch}, step {cur_step}")

    # One float per step, read from the device once, after the run.
    generator_losses, discriminator_losses = step_losses[:cur_step].T.tolist()  # (2, steps) -> 2 lists
    # The losses of single batches are noisy: the curves are running means over 100 steps.
    plot_losses({"generator": generator_losses, "discriminator": discriminator_losses},
                smooth=100)
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
# `python -m autograder evaluate first_gan .` evaluates them again (in a sandbox). Like the
# training cell, this cell does not run while grading.

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    torch.save(gen.state_dict(), "generator.pt")  # the trained weights, for `autograder evaluate`
    result = evaluate(gen)  # 5000 samples: prints the figures, shows the grid and the chart
