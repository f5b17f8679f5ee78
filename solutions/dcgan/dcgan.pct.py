# %% [markdown]
# # A deep convolutional GAN (DCGAN)
#
# ### Goal
# Build and train a GAN whose generator and discriminator are **convolutional** networks, the
# DCGAN of Radford, Metz and Chintala (2016), on MNIST with PyTorch. It follows *Your first GAN*
# (`first_gan`): the noise, both losses and the generator's update are the same functions with
# the same contracts; what changes is the networks. A fully connected generator has to learn for
# every pixel on its own that neighbouring pixels belong together; a convolution reuses one small
# filter everywhere in the image, so the networks are smaller and learn faster.
#
# You write the parts marked `# TODO: your code here`. After each part there is a **self-check**
# cell: run it, and it tells you what is right and what to fix. Before you submit, run every cell
# from the top (Kernel → Restart & Run All), or check the whole notebook from a terminal:
#
# ```
# python -m autograder check dcgan dcgan.ipynb
# ```
#
# The grader checks more than the self-checks show (the same properties, on other inputs).
# The long training cell at the end does not run while grading, so keep your work in the
# marked cells.

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false}
import torch
from torch import nn
from tqdm.auto import tqdm

from autograder.selfcheck import check
from gan_course import default_device, is_grading
from gan_course.cuda_graph import capture
from gan_course.data import DeviceBatches, mnist_dataset
from gan_course.evaluate import Tracker, evaluate
from gan_course.plots import format_loss, plot_losses, show_generated_and_real

torch.manual_seed(0)  # Set for testing purposes, please do not change!

# %% [markdown]
# ## Images in [-1, 1]
# The generator ends with a [`tanh`](https://pytorch.org/docs/stable/generated/torch.nn.Tanh.html),
# so its pixels lie in (-1, 1); the real images must be in the same range, or the discriminator
# tells them apart by their brightness alone. The course's loader scales MNIST for you:
# `mnist_dataset("train", value_range=(-1.0, 1.0))` gives images `(1, 28, 28)` with black = -1
# and white = 1 (torchvision's `ToTensor()` then `Normalize((0.5,), (0.5,))`). The evaluation at
# the end reads the range from the generator's last `Tanh`.
#
# ## Generator
# The generator turns a noise vector `z` of length `z_dim` into an image `(1, 28, 28)`. It treats
# `z` as an image of `z_dim` channels and size 1 x 1, and each block makes the image larger and
# its channels fewer with a
# [transposed convolution](https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html).
# Without padding, a transposed convolution with kernel `k` and stride `s` maps a side of `H`
# pixels to `(H - 1) * s + k` pixels.
#
# Write `make_gen_block`: a block is
#
# * `nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride)` (no padding), then
#   `nn.BatchNorm2d(output_channels)` and `nn.ReLU`, for every block but the last;
# * the **last** block (`final_layer=True`): the transposed convolution, then `nn.Tanh()`: no
#   BatchNorm, no ReLU, pixels in (-1, 1).

# %% nbgrader={"grade": false, "grade_id": "make_gen_block", "locked": false, "schema_version": 3, "solution": true}
def make_gen_block(input_channels: int, output_channels: int, kernel_size: int = 3,
                   stride: int = 2, final_layer: bool = False) -> nn.Module:
    """One block of the generator.

    Parameters:
        input_channels, output_channels: the channels of the block's input and output
        kernel_size, stride: of the transposed convolution (no padding)
        final_layer: the generator's last block (Tanh instead of BatchNorm and ReLU)
    Returns:
        a module mapping (n, input_channels, H, H) -> (n, output_channels, H', H') with
        H' = (H - 1) * stride + kernel_size: values >= 0 (ReLU), or in (-1, 1) (final, Tanh)
    """
    ### BEGIN SOLUTION
    if not final_layer:
        return nn.Sequential(
            nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride),  # H -> H'
            nn.BatchNorm2d(output_channels),   # normalise each channel over the batch
            nn.ReLU(inplace=True),             # values >= 0
        )
    return nn.Sequential(
        nn.ConvTranspose2d(input_channels, output_channels, kernel_size, stride),      # H -> H'
        nn.Tanh(),                             # pixel values in (-1, 1), like the real images
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_make_gen_block", "locked": true, "points": 3, "schema_version": 3, "solution": false}
score = check("dcgan", "make_gen_block", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "make_gen_block", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# Now build the generator from four blocks. With `h = hidden_dim` the shapes are
#
# | block | `make_gen_block(...)` | output |
# | --- | --- | --- |
# | 1 | `(z_dim, 4h)`, kernel 3, stride 2 | `(n, 4h, 3, 3)` |
# | 2 | `(4h, 2h)`, kernel 4, stride 1 | `(n, 2h, 6, 6)` |
# | 3 | `(2h, h)`, kernel 3, stride 2 | `(n, h, 13, 13)` |
# | 4 | `(h, im_chan)`, kernel 4, stride 2, `final_layer=True` | `(n, im_chan, 28, 28)` in (-1, 1) |
#
# `forward` takes the noise as `(n, z_dim)`, like `first_gan`'s generator, and views it as
# `(n, z_dim, 1, 1)` before the first block. Keep `self.z_dim` (the evaluation at the end reads
# it). How you hold the blocks is yours: one `nn.Sequential`, or an `nn.ModuleList` that `forward`
# walks through. Leave the mode to the training loop: never call `self.eval()` inside the network.

# %% nbgrader={"grade": false, "grade_id": "Generator", "locked": false, "schema_version": 3, "solution": true}
class Generator(nn.Module):
    """Generator: noise (n, z_dim) -> images (n, im_chan, 28, 28) with values in (-1, 1).

    Values:
        z_dim: the dimension of the noise vector, a scalar
        im_chan: the number of channels of the output image (MNIST is black-and-white: 1)
        hidden_dim: the inner dimension h, a scalar
    """

    def __init__(self, z_dim: int = 10, im_chan: int = 1, hidden_dim: int = 64):
        super().__init__()
        self.z_dim = z_dim
        ### BEGIN SOLUTION
        self.gen = nn.Sequential(
            make_gen_block(z_dim, hidden_dim * 4),                                 # -> (n, 4h, 3, 3)
            make_gen_block(hidden_dim * 4, hidden_dim * 2, kernel_size=4, stride=1),  # -> (n, 2h, 6, 6)
            make_gen_block(hidden_dim * 2, hidden_dim),                            # -> (n, h, 13, 13)
            make_gen_block(hidden_dim, im_chan, kernel_size=4, final_layer=True),  # -> (n, c, 28, 28)
        )
        ### END SOLUTION

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """noise: (n, z_dim) -> generated images (n, im_chan, 28, 28) in (-1, 1)."""
        ### BEGIN SOLUTION
        x = noise.view(len(noise), self.z_dim, 1, 1)   # (n, z_dim, 1, 1): z as a 1 x 1 image
        return self.gen(x)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Generator", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("dcgan", "Generator", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "Generator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Noise
# As in `first_gan`: `n_samples` noise vectors of length `z_dim`, drawn from the **standard
# normal** distribution, all at once, directly on `device`.

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
score = check("dcgan", "get_noise", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "get_noise", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Discriminator
# The discriminator does the reverse: each block makes the image smaller and its channels more
# with a [convolution](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html). Without
# padding, a convolution with kernel `k` and stride `s` maps a side of `H` pixels to
# `(H - k) // s + 1` pixels. Write `make_disc_block`:
#
# * `nn.Conv2d(input_channels, output_channels, kernel_size, stride)` (no padding), then
#   `nn.BatchNorm2d(output_channels)` and `nn.LeakyReLU(0.2)` (a negative slope of **0.2**), for
#   every block but the last;
# * the **last** block (`final_layer=True`): the convolution alone. It gives the logit, the score
#   that the image is real: no BatchNorm, no activation, and **no sigmoid** (`nn.BCEWithLogitsLoss`
#   applies it for you).

# %% nbgrader={"grade": false, "grade_id": "make_disc_block", "locked": false, "schema_version": 3, "solution": true}
def make_disc_block(input_channels: int, output_channels: int, kernel_size: int = 4,
                    stride: int = 2, final_layer: bool = False) -> nn.Module:
    """One block of the discriminator.

    Parameters:
        input_channels, output_channels: the channels of the block's input and output
        kernel_size, stride: of the convolution (no padding)
        final_layer: the discriminator's last block (the convolution alone)
    Returns:
        a module mapping (n, input_channels, H, H) -> (n, output_channels, H', H') with
        H' = (H - kernel_size) // stride + 1
    """
    ### BEGIN SOLUTION
    if not final_layer:
        return nn.Sequential(
            nn.Conv2d(input_channels, output_channels, kernel_size, stride),  # H -> H'
            nn.BatchNorm2d(output_channels),    # normalise each channel over the batch
            nn.LeakyReLU(0.2, inplace=True),    # x if x > 0 else 0.2 * x
        )
    return nn.Sequential(
        nn.Conv2d(input_channels, output_channels, kernel_size, stride),      # logits, no activation
    )
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_make_disc_block", "locked": true, "points": 3, "schema_version": 3, "solution": false}
score = check("dcgan", "make_disc_block", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "make_disc_block", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# The discriminator has three blocks. With `h = hidden_dim`:
#
# | block | `make_disc_block(...)` | output |
# | --- | --- | --- |
# | 1 | `(im_chan, h)`, kernel 4, stride 2 | `(n, h, 13, 13)` |
# | 2 | `(h, 2h)`, kernel 4, stride 2 | `(n, 2h, 5, 5)` |
# | 3 | `(2h, 1)`, kernel 4, stride 2, `final_layer=True` | `(n, 1, 1, 1)` |
#
# `forward` takes images `(n, im_chan, 28, 28)` and returns **one logit per image**, shaped
# `(n, 1)` like `first_gan`'s discriminator: view the last block's `(n, 1, 1, 1)` as `(n, 1)`.

# %% nbgrader={"grade": false, "grade_id": "Discriminator", "locked": false, "schema_version": 3, "solution": true}
class Discriminator(nn.Module):
    """Discriminator: images (n, im_chan, 28, 28) -> logits (n, 1).

    Values:
        im_chan: the number of channels of the images (MNIST: 1)
        hidden_dim: the inner dimension h, a scalar
    """

    def __init__(self, im_chan: int = 1, hidden_dim: int = 16):
        super().__init__()
        ### BEGIN SOLUTION
        self.disc = nn.Sequential(
            make_disc_block(im_chan, hidden_dim),                      # -> (n, h, 13, 13)
            make_disc_block(hidden_dim, hidden_dim * 2),               # -> (n, 2h, 5, 5)
            make_disc_block(hidden_dim * 2, 1, final_layer=True),      # -> (n, 1, 1, 1)
        )
        ### END SOLUTION

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: (n, im_chan, 28, 28) -> logits (n, 1), real > 0 > fake."""
        ### BEGIN SOLUTION
        disc_pred = self.disc(image)                   # (n, 1, 1, 1)
        return disc_pred.view(len(disc_pred), -1)      # (n, 1)
        ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_Discriminator", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("dcgan", "Discriminator", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "Discriminator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## The weights' initialisation
# The DCGAN paper initialises every weight from a normal distribution with mean 0 and standard
# deviation 0.02: much smaller than PyTorch's defaults, so that no unit starts saturated. Write
# `weights_init(m)`, which initialises **one** layer in place; `net.apply(weights_init)` then
# calls it on every layer of a network. It must
#
# * draw the weights of every `nn.Conv2d` and `nn.ConvTranspose2d` from N(0, 0.02)
#   (`nn.init.normal_(m.weight, 0.0, 0.02)`); their biases may keep PyTorch's defaults;
# * draw the weights of every `nn.BatchNorm2d` from **N(1, 0.02)** and set its biases to 0, as
#   pytorch/examples' `dcgan/main.py` does, so that each BatchNorm starts close to the identity.
#   (Coursera's week-2 notebook draws them from N(0, 0.02) instead; the grader accepts that
#   too, and nothing else);
# * leave every other module alone.

# %% nbgrader={"grade": false, "grade_id": "weights_init", "locked": false, "schema_version": 3, "solution": true}
def weights_init(m: nn.Module) -> None:
    """Initialise one layer in place (use it as `net.apply(weights_init)`).

    Conv2d / ConvTranspose2d: weight ~ N(0, 0.02). BatchNorm2d: weight ~ N(1, 0.02), bias = 0.
    Any other module: unchanged.
    """
    ### BEGIN SOLUTION
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    if isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.constant_(m.bias, 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_weights_init", "locked": true, "points": 2, "schema_version": 3, "solution": false}
score = check("dcgan", "weights_init", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "weights_init", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## Training
# The parameters, those of the DCGAN paper and of pytorch/examples' `dcgan/main.py`:
#
# * `criterion`: the loss function, binary cross entropy on logits
# * `z_dim`: the dimension of the noise vector
# * `batch_size`: the number of images per forward/backward pass
# * `lr`, `betas`: Adam's learning rate 0.0002 and averaging factors (0.5, 0.999): a `beta1` of
#   0.5 instead of Adam's 0.9 lets each player react faster to the other's last move
# * `device`: where the networks run: a GPU (CUDA) when there is one, else the CPU
#
# and MNIST in [-1, 1], in batches. `DeviceBatches` copies MNIST to the device **once** and cuts
# shuffled batches there (see `first_gan` for why): the same `for real, _ in dataloader:` loop as
# a `DataLoader`, faster.

# %% nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
criterion = nn.BCEWithLogitsLoss()
z_dim = 64
batch_size = 128
lr = 0.0002
betas = (0.5, 0.999)
device = default_device()

REAL_LABEL = 1.0  # the discriminator's target for real images
FAKE_LABEL = 0.0  # ... and for generated ones

# MNIST as (image (1, 28, 28) in [-1, 1], label) pairs: the range of the generator's Tanh.
dataset = mnist_dataset("train", value_range=(-1.0, 1.0))
dataloader = DeviceBatches(dataset, batch_size, device=device)  # kept on `device`, shuffled

# %% [markdown]
# The training settings are yours to change (the grader does not use this cell):
#
# * `n_epochs`: the number of times you iterate through the entire dataset (one epoch is 469
#   steps of 128 images). The full run, on a GPU, is 100 epochs (46,900 steps), well under
#   3 minutes with the recorded step (figures: `docs/benchmarks.md`, "dcgan").
#   A convolutional step costs far more arithmetic than `first_gan`'s, so on a CPU the quick run
#   is a single epoch (469 steps), a minute or two on 2 cores; its pictures are still noise.
#   Training longer on a CPU makes them clearer.
# * `display_step`: how often (in steps) to show the generator's images next to real ones and
#   print the mean losses.

# %% nbgrader={"grade": false, "grade_id": "settings", "locked": false, "schema_version": 3, "solution": false}
FULL_RUN_EPOCHS = 100       # the full run, on a GPU
QUICK_CPU_RUN_EPOCHS = 1    # a quick run on a CPU (469 steps)
n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS
display_step = len(dataloader) if device.type == "cuda" else 100  # steps between pictures

# %% [markdown]
# Now make the generator, the discriminator and their optimizers (each optimizer takes the
# parameters of **one** model only), and initialise **both** networks with your `weights_init`:
# `gen = gen.apply(weights_init)` and the same for `disc` (`apply` returns the network). The
# grader checks that both networks of this cell start from N(0, 0.02).
#
# **Where this departs from Coursera's notebook.** Its discriminator has `hidden_dim = 16` (the
# class's default, kept above); this cell builds it with 64. Measured with the course's
# evaluator (`docs/benchmarks.md`, "dcgan"), the narrow one's samples stayed at 61 to 74 %
# clearly recognisable however long it trained, while with 64 they were still getting sharper
# after 30,000 steps (all ten digits, over 80 % recognisable). A stronger critic pushes the
# generator to cleaner strokes.

# %% nbgrader={"grade": false, "grade_id": "models", "locked": false, "schema_version": 3, "solution": true}
# capturable: on a GPU the training cell records each step as a CUDA graph (see first_gan)
on_gpu = device.type == "cuda"
gen = Generator(z_dim).to(device)
disc = Discriminator(hidden_dim=64).to(device)  # wider than Coursera's 16: see the text above
### BEGIN SOLUTION
gen = gen.apply(weights_init)
disc = disc.apply(weights_init)
### END SOLUTION
gen_opt = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas, capturable=on_gpu)
disc_opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas, capturable=on_gpu)

# %% nbgrader={"grade": true, "grade_id": "check_models", "locked": true, "points": 1, "schema_version": 3, "solution": false}
score = check("dcgan", "models", globals())
score

# %% [markdown]
# ## The losses
# Exactly as in `first_gan`. The discriminator's loss is the **average** of its loss on fresh
# fake images (target 0) and on the real images (target 1). Call `.detach()` on the generator's
# output there (or make the fakes inside `with torch.no_grad():`): only the discriminator may
# learn from its loss.
#
# $$\mathcal{L}_D = \tfrac12\big[\mathrm{BCE}(D(G(z)), 0) + \mathrm{BCE}(D(x), 1)\big]$$
#
# Return the loss as a **scalar tensor** (no `.item()`), and make the targets with
# `torch.ones_like` / `torch.zeros_like` (or pass `device=device`).

# %% nbgrader={"grade": false, "grade_id": "get_disc_loss", "locked": false, "schema_version": 3, "solution": true}
def get_disc_loss(gen, disc, criterion, real, num_images, z_dim, device):
    """Return the loss of the discriminator given inputs.

    Parameters:
        gen: the generator model, which returns images (n, 1, 28, 28) given noise (n, z_dim)
        disc: the discriminator model, which returns logits (n, 1) given images
        criterion: the loss function (BCEWithLogitsLoss: fake = 0, real = 1)
        real: a batch of real images, (num_images, 1, 28, 28) in [-1, 1]
        num_images: the number of images the generator should produce,
            which is also the length of the real images
        z_dim: the dimension of the noise vector, a scalar
        device: the device type
    Returns:
        disc_loss: a torch scalar loss value for the current batch
    """
    ### BEGIN SOLUTION
    noise = get_noise(num_images, z_dim, device)           # (n, z_dim)
    fake = gen(noise).detach()                              # (n, 1, 28, 28); no gradient into G
    pred_fake = disc(fake)                                  # (n, 1) logits
    fake_loss = criterion(pred_fake, torch.full_like(pred_fake, FAKE_LABEL))
    pred_real = disc(real)                                  # (n, 1) logits
    real_loss = criterion(pred_real, torch.full_like(pred_real, REAL_LABEL))
    disc_loss = (fake_loss + real_loss) / 2                 # average of the two halves
    ### END SOLUTION
    return disc_loss


# %% nbgrader={"grade": true, "grade_id": "check_get_disc_loss", "locked": true, "points": 5, "schema_version": 3, "solution": false}
score = check("dcgan", "get_disc_loss", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "get_disc_loss", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# The generator wants the discriminator to call its images real: its loss compares the
# discriminator's logits on **fresh** fakes with the **real** label, and its gradient flows back
# through the discriminator into the generator (no `.detach()`, no `torch.no_grad()`).
#
# $$\mathcal{L}_G = \mathrm{BCE}(D(G(z)), 1)$$

# %% nbgrader={"grade": false, "grade_id": "get_gen_loss", "locked": false, "schema_version": 3, "solution": true}
def get_gen_loss(gen, disc, criterion, num_images, z_dim, device):
    """Return the loss of the generator given inputs.

    Parameters:
        gen, disc, criterion: as for get_disc_loss
        num_images: the number of images the generator should produce
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
score = check("dcgan", "get_gen_loss", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "get_gen_loss", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# ## One update of each network
# Every batch, the discriminator is updated first (given below), then the generator. Write the
# generator's update in the same way: zero the gradients of **its** optimizer (`gen_opt`, the
# argument), compute the generator loss, backpropagate, step, and return the loss tensor itself
# (the training loop reads it).

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
score = check("dcgan", "update_generator", globals())
### BEGIN HIDDEN TESTS
score += check("dcgan", "update_generator", globals(), hidden=True)
### END HIDDEN TESTS
score

# %% [markdown]
# Finally, train. For every batch the cell updates the discriminator, then the generator. Every
# `display_step` steps it prints the mean losses and shows what the generator makes ("generated")
# beside the real batch ("real"); at the end it plots both losses and the tracker's figures. You
# can stop it at any time (Kernel → Interrupt): the networks keep what they have learnt. On a
# GPU, `capture` records one step as a CUDA graph and replays it (see `first_gan`); on a CPU it
# gives the step back unchanged. The cell does not run while your notebook is being graded.

# %% nbgrader={"grade": false, "grade_id": "training", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    first_weight = next(gen.parameters())  # the first layer's weights: does each update move them?

    def train_step(real):
        """One training step on a batch of real images (n, 1, 28, 28) in [-1, 1]: the
        discriminator's update, then the generator's. Returns both losses and whether the
        generator's weights stayed the same."""
        disc_loss = update_discriminator(gen, disc, disc_opt, criterion, real, len(real), z_dim, device)
        old_generator_weights = first_weight.detach().clone()
        gen_loss = update_generator(gen, disc, gen_opt, criterion, len(real), z_dim, device)
        unchanged = (first_weight.detach() == old_generator_weights).all()
        return gen_loss.detach(), disc_loss.detach(), unchanged

    first_batch = next(iter(dataloader))[0].to(device)  # (batch_size, 1, 28, 28)
    train_step = capture(train_step, first_batch)

    cur_step = 0
    # One row [generator, discriminator] per step, on the device, made once. (A new small tensor
    # kept at every step, in a list, made the process grow by gigabytes on a CPU: memory between
    # the step's large temporary buffers that the allocator could no longer reuse.)
    step_losses = torch.zeros(n_epochs * len(dataloader), 2, device=device)  # (steps, 2)
    weights_unchanged = torch.zeros((), dtype=torch.bool, device=device)
    error = False
    tracker = Tracker(every=display_step)  # digit shares and distance at every display
    for epoch in range(n_epochs):
        for real, _ in tqdm(dataloader, desc=f"epoch {epoch + 1}/{n_epochs}", leave=False):
            real = real.to(device)                       # (n, 1, 28, 28); already there: no copy
            gen_loss, disc_loss, unchanged = train_step(real)
            # The losses and the weight test stay on the device; read every display_step steps.
            step_losses[cur_step] = torch.stack([gen_loss, disc_loss])  # row cur_step, from 0
            weights_unchanged |= unchanged
            cur_step += 1
            tracker.update(gen, cur_step)  # digit shares and distance, every display_step steps

            if cur_step % display_step == 0:
                if bool(weights_unchanged):
                    error = True
                    print("Runtime tests have failed: a generator update left the generator's "
                          "weights unchanged")
                recent = step_losses[cur_step - display_step:cur_step]  # (display_step, 2)
                mean_generator_loss, mean_discriminator_loss = recent.mean(0).tolist()
                print(f"Epoch {epoch}, step {cur_step}: generator loss "
                      f"{format_loss(mean_generator_loss)}, discriminator loss "
                      f"{format_loss(mean_discriminator_loss)}")
                fake = gen(get_noise(len(real), z_dim, device=device))  # (n, 1, 28, 28)
                show_generated_and_real(fake, real, value_range=(-1, 1),
                                        title=f"epoch {epoch}, step {cur_step}")

    generator_losses, discriminator_losses = step_losses[:cur_step].T.tolist()  # (2, steps) -> 2 lists
    plot_losses({"generator": generator_losses, "discriminator": discriminator_losses},
                smooth=100)
    tracker.plot()

# %% [markdown]
# ## Did my GAN learn?
#
# `evaluate` draws 5000 samples from your trained generator and judges them with the course's
# MNIST classifier, as in `first_gan`: the Fréchet distance to MNIST-test (real digits score
# about 3; lower is better), each digit's share and how many of the ten digits appear, the share
# of clearly recognisable samples, a verdict in words, a grid of samples and a bar chart (also
# saved in `evaluation/`). It reads the range (-1, 1) from your generator's last `Tanh`. The cell
# also saves the generator's weights to `generator.pt`: from a terminal,
# `python -m autograder evaluate dcgan .` evaluates them again (in a sandbox).

# %% nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
if not is_grading():
    torch.save(gen.state_dict(), "generator.pt")  # the trained weights, for `autograder evaluate`
    result = evaluate(gen)  # 5000 samples: prints the figures, shows the grid and the chart
