"""Self-checks for the GAN project (provided). Run them with

    python unittests.py

They test ``models.py`` and the training file you implemented: ``train_torch.py`` or
``train_pl.py``. A training file whose GAN methods all still raise ``NotImplementedError`` counts
as not implemented and is skipped, as long as the other one is implemented (when neither is,
``train_torch.py`` is tested). Passing these tests does not prove your GAN trains well, but a
failing one points at a real bug. Each message says what was expected and what your code did.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import traceback
import unittest
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models import DiscriminatorMLP, GeneratorMLP

# A small GAN: the tests run in seconds on a CPU.
SMALL = {"hidden_dims_gen": [16, 32], "hidden_dims_disc": [32, 16], "dp_rate_gen": 0.1,
         "dp_rate_disc": 0.3, "z_dim": 8, "lr": 2e-4}
IMAGE_SHAPE = (1, 28, 28)


# --------------------------------------------------------------------------------------------
# Reporting a TODO as a failure that names it, instead of a crash
# --------------------------------------------------------------------------------------------

def where_raised(err: BaseException) -> tuple[str, str]:
    """(file name, "Class.method") of the innermost frame of an exception's traceback."""
    frame, _ = list(traceback.walk_tb(err.__traceback__))[-1]
    name = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    if owner is not None:
        name = f"{type(owner).__name__}.{name}"
    return Path(frame.f_code.co_filename).name, name


def report_todos(cls: type) -> type:
    """Class decorator: a test that hits a ``NotImplementedError`` fails with a message naming it."""
    def wrap(test):
        @functools.wraps(test)
        def wrapped(self):
            try:
                test(self)
                return
            except NotImplementedError as err:
                file, name = where_raised(err)
            self.fail(f"{name} in {file} is not implemented yet: replace its "
                      "'# TODO: your code here' and 'raise NotImplementedError()' with your code.")
        return wrapped

    for attr, value in list(vars(cls).items()):
        if (attr.startswith("test") or attr == "setUp") and callable(value):
            setattr(cls, attr, wrap(value))
    return cls


# --------------------------------------------------------------------------------------------
# Helpers: stand-in networks whose outputs are known exactly
# --------------------------------------------------------------------------------------------

def snapshot(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def changed(module: nn.Module, before: list[torch.Tensor]) -> bool:
    return any(not torch.equal(p.detach(), b) for p, b in zip(module.parameters(), before, strict=True))


class LatentEchoGenerator(nn.Module):
    """Stand-in generator: writes z into the first z_dim pixels of an otherwise black image.

    The tests read z back from the images, so they can check how ``sample``/``interpolate`` draw z.
    """

    def __init__(self, z_dim: int):
        super().__init__()
        self.z_dim = z_dim
        self.scale = nn.Parameter(torch.ones(()))
        self.input_shapes: list[tuple[int, ...]] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.input_shapes.append(tuple(z.shape))
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise AssertionError(f"the generator expects z of shape (batch_size, z_dim={self.z_dim}), "
                                 f"got {tuple(z.shape)}")
        x = torch.zeros(z.shape[0], 28 * 28, device=z.device)
        x[:, : self.z_dim] = z * self.scale
        return x.view(-1, *IMAGE_SHAPE)                                     # (B, 1, 28, 28)

    @staticmethod
    def latents(images: torch.Tensor, z_dim: int) -> torch.Tensor:
        return images.flatten(-3)[..., :z_dim]                              # (..., z_dim)


class ConstantGenerator(nn.Module):
    """Stand-in generator: every image is all -1 (black), whatever z is."""

    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(torch.zeros(()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.full((z.shape[0], *IMAGE_SHAPE), -1.0, device=z.device) + self.offset


class ConstantDiscriminator(nn.Module):
    """Stand-in discriminator: the same logit for every image (gradients still flow to the input)."""

    def __init__(self, logit: float):
        super().__init__()
        self.logit = nn.Parameter(torch.tensor(logit))
        self.batch_sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(x.shape[0])
        return x.flatten(1)[:, :1] * 0 + self.logit                        # (B, 1)


class MeanDiscriminator(nn.Module):
    """Stand-in discriminator: logit = weight * mean pixel value + bias."""

    def __init__(self, weight: float, bias: float):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(weight))
        self.bias = nn.Parameter(torch.tensor(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * x.flatten(1).mean(1, keepdim=True) + self.bias    # (B, 1)


class RecordingLogger:
    """Stand-in for utils.TensorBoardLogger: remembers what was logged."""

    def __init__(self):
        self.logged: list[dict] = []

    def add_values(self, log_dict: dict) -> None:
        self.logged.append(dict(log_dict))


def is_one_number(value) -> bool:
    """A Python number, or a 0-d floating tensor: what a logging dict's value may be."""
    if isinstance(value, torch.Tensor):
        return value.dim() == 0 and value.is_floating_point()
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def as_float(value) -> float:
    return value.detach().item() if isinstance(value, torch.Tensor) else float(value)


def linear_units(module: nn.Module) -> list[int]:
    return [m.out_features for m in module.modules() if isinstance(m, nn.Linear)]


# --------------------------------------------------------------------------------------------
# models.py
# --------------------------------------------------------------------------------------------

@report_todos
class TestGeneratorMLP(unittest.TestCase):
    longMessage = False   # show only the messages below, not unittest's own

    def setUp(self):
        torch.manual_seed(0)

    def test_output_shape(self):
        for kwargs, batch_size in [({}, 5), ({"z_dim": 8, "hidden_dims": [16]}, 3)]:
            generator = GeneratorMLP(**kwargs)
            z = torch.randn(batch_size, kwargs.get("z_dim", 32))
            x = generator(z)
            self.assertEqual(tuple(x.shape), (batch_size, *IMAGE_SHAPE),
                             f"GeneratorMLP({kwargs}) turned z of shape {tuple(z.shape)} into {tuple(x.shape)}; "
                             f"expected (batch_size, 1, 28, 28). Reshape the last layer's output with "
                             f"x.view(batch_size, *output_shape).")

    def test_output_range(self):
        generator = GeneratorMLP().eval()
        x = generator(100 * torch.randn(256, 32))          # large z: the last activation saturates
        self.assertTrue(bool(((x >= -1) & (x <= 1)).all()),
                        f"generated values should lie in [-1, 1] (the data's range), found "
                        f"[{x.min().item():.3f}, {x.max().item():.3f}]: end the generator with nn.Tanh().")
        self.assertLess(x.min().item(), -0.9,
                        "the generator's values never get close to -1 (the background of MNIST in [-1, 1]): "
                        "end it with nn.Tanh(), not a sigmoid.")

    def test_hidden_dims(self):
        generator = GeneratorMLP(z_dim=8, hidden_dims=[16, 24, 40])
        self.assertEqual(linear_units(generator), [16, 24, 40, 784],
                         "GeneratorMLP(hidden_dims=[16, 24, 40]) should have Linear layers with 16, 24, 40 and "
                         "finally 784 (= 1*28*28) output units.")

    def test_dropout(self):
        generator = GeneratorMLP(dp_rate=0.5)
        z = torch.randn(16, 32)
        generator.train()
        self.assertFalse(torch.equal(generator(z), generator(z)),
                         "in train mode, GeneratorMLP(dp_rate=0.5) gave the same output twice: "
                         "add nn.Dropout(dp_rate) after each hidden layer.")
        generator.eval()
        self.assertTrue(torch.equal(generator(z), generator(z)),
                        "in eval mode the generator should be deterministic.")


@report_todos
class TestDiscriminatorMLP(unittest.TestCase):
    longMessage = False   # show only the messages below, not unittest's own

    def setUp(self):
        torch.manual_seed(0)

    def test_output_shape(self):
        discriminator = DiscriminatorMLP()
        x = torch.rand(7, *IMAGE_SHAPE) * 2 - 1
        y = discriminator(x)
        self.assertEqual(tuple(y.shape), (7, 1),
                         f"images of shape {tuple(x.shape)} gave predictions of shape {tuple(y.shape)}; "
                         "expected (7, 1). Flatten the images first (nn.Flatten()) and end with nn.Linear(..., 1).")

    def test_returns_logits(self):
        discriminator = DiscriminatorMLP().eval()
        y = discriminator(100 * torch.randn(256, *IMAGE_SHAPE))
        self.assertTrue(bool(((y < 0) | (y > 1)).any()),
                        "every output lies in [0, 1]: it looks like probabilities. Return logits (remove "
                        "the final sigmoid): the losses use BCEWithLogits, which applies the sigmoid itself.")

    def test_hidden_dims(self):
        discriminator = DiscriminatorMLP(hidden_dims=[40, 24])
        self.assertEqual(linear_units(discriminator), [40, 24, 1],
                         "DiscriminatorMLP(hidden_dims=[40, 24]) should have Linear layers with 40, 24 and "
                         "finally 1 output units.")


# --------------------------------------------------------------------------------------------
# train_torch.py / train_pl.py: the GAN class
# --------------------------------------------------------------------------------------------

@report_todos
class GANTests:
    """Tests shared by both training files; ``module`` is the imported file."""

    longMessage = False   # show only the messages below, not unittest's own
    module = None

    def setUp(self):
        torch.manual_seed(0)
        self.gan = self.module.GAN(**SMALL)
        self.z_dim = SMALL["z_dim"]

    # --- sample ---

    def test_sample_shape_and_range(self):
        x = self.gan.sample(5)
        self.assertEqual(tuple(x.shape), (5, *IMAGE_SHAPE),
                         f"sample(5) returned shape {tuple(x.shape)}; expected (5, 1, 28, 28).")
        self.assertTrue(bool(((x >= -1) & (x <= 1)).all()), "samples should lie in [-1, 1].")
        self.assertFalse(x.requires_grad,
                         "sample() returned a tensor that tracks gradients: decorate it with @torch.no_grad().")

    def test_sample_draws_standard_normal_z(self):
        self.gan.generator = LatentEchoGenerator(self.z_dim)
        z = LatentEchoGenerator.latents(self.gan.sample(2000), self.z_dim)   # (2000, z_dim)
        mean, std = z.mean().item(), z.std().item()
        self.assertTrue(abs(mean) < 0.05 and abs(std - 1) < 0.05,
                        f"sample() fed the generator latent vectors with mean {mean:.3f} and standard deviation "
                        f"{std:.3f}; expected z ~ N(0, I) (mean 0, std 1): use torch.randn(batch_size, z_dim).")

    def test_sample_uses_eval_mode(self):
        for train_mode in (True, False):
            self.gan.train(train_mode)
            torch.manual_seed(1)
            x = self.gan.sample(16)
            self.assertEqual(self.gan.generator.training, train_mode,
                             f"after sample() the generator's mode changed (training was {train_mode}): "
                             "remember the mode and put it back, e.g. self.generator.train(was_training).")
            if train_mode:
                x_train = x
        self.assertTrue(torch.allclose(x_train, x),
                        "sample() gave different images in train mode and in eval mode for the same seed: "
                        "put the generator in eval mode (dropout off) while sampling.")

    # --- interpolate ---

    def test_interpolate_shape(self):
        x = self.gan.interpolate(3, 4)
        self.assertEqual(tuple(x.shape), (3, 6, *IMAGE_SHAPE),
                         f"interpolate(3, 4) returned shape {tuple(x.shape)}; expected (3, 4 + 2, 1, 28, 28): "
                         "the two ends plus 4 steps between them, per row.")
        self.assertTrue(bool(((x >= -1) & (x <= 1)).all()), "interpolated images should lie in [-1, 1].")
        self.assertFalse(x.requires_grad,
                         "interpolate() returned a tensor that tracks gradients: decorate it with @torch.no_grad().")

    def test_interpolate_endpoints_and_spacing(self):
        self.gan.generator = LatentEchoGenerator(self.z_dim)
        steps = 5
        z = LatentEchoGenerator.latents(self.gan.interpolate(1000, steps), self.z_dim)   # (1000, 7, z_dim)
        points = steps + 2
        self.assertFalse(torch.allclose(z[:, 0], z[:, -1]),
                         "the first and last image of each row come from the same z: draw two latent vectors.")
        self.assertFalse(torch.allclose(z[0, 0], z[1, 0]),
                         "two rows start from the same z: draw new latent vectors for every row.")
        for k in range(points):
            t = k / (points - 1)
            expected = (1 - t) * z[:, 0] + t * z[:, -1]
            self.assertTrue(torch.allclose(z[:, k], expected, atol=1e-5),
                            f"image {k} of each row is not generated from (1 - t) z_start + t z_end with "
                            f"t = {k}/{points - 1}: the points should be equally spaced on the straight line.")
        for k, name in [(0, "first"), (points - 1, "last")]:
            std = z[:, k].std().item()
            self.assertLess(abs(std - 1), 0.05,
                            f"the {name} image of each row comes from latent vectors with standard deviation "
                            f"{std:.3f}, not 1: the ends of the line should be z_start and z_end themselves "
                            "(~ N(0, I)); include both endpoints (t = 0 and t = 1).")

    # --- generator_step ---

    def real_batch(self, batch_size: int = 16) -> torch.Tensor:
        return torch.rand(batch_size, *IMAGE_SHAPE) * 2 - 1                  # (B, 1, 28, 28) in [-1, 1]

    def test_generator_step_loss(self):
        logit = 2.0                                        # D says "real" with probability sigmoid(2)
        self.gan.discriminator = ConstantDiscriminator(logit)
        loss, logging_dict = self.gan.generator_step(self.real_batch(16))
        expected = F.softplus(torch.tensor(-logit)).item()    # -log sigmoid(2) = 0.127
        got = as_float(loss)
        hints = [
            (F.softplus(torch.tensor(logit)).item(), "That is the cross-entropy against FAKE_LABEL; the generator "
             "wants its images called real: use REAL_LABEL (the non-saturating loss -log D(G(z)))."),
            (-F.softplus(torch.tensor(logit)).item(), "That is the saturating loss log(1 - D(G(z))); use the "
             "non-saturating -log D(G(z)): BCE against REAL_LABEL."),
            (16 * expected, "That is 16 times too large: average over the batch, do not sum."),
        ]
        hint = next((h for value, h in hints if abs(got - value) < 1e-4), "")
        self.assertAlmostEqual(got, expected, places=4,
                               msg=f"with a discriminator that outputs the logit {logit} for every image, the "
                                   f"generator's loss should be -log(sigmoid({logit})) = {expected:.4f}; got "
                                   f"{got:.4f}. {hint}")
        self.assertEqual(self.gan.discriminator.batch_sizes[:1], [16],
                         "generator_step should score as many fake images as there are real ones (16).")
        self.assertIsInstance(logging_dict, dict, "generator_step should return (loss, logging_dict).")

    def test_generator_step_updates_generator_only(self):
        generator_before, discriminator_before = snapshot(self.gan.generator), snapshot(self.gan.discriminator)
        loss, _ = self.gan.generator_step(self.real_batch())
        self.assertEqual(loss.dim(), 0, f"the generator's loss should be a scalar, got shape {tuple(loss.shape)}.")
        self.assertTrue(loss.requires_grad,
                        "the generator's loss has no gradient: do not detach G(z) or use torch.no_grad() "
                        "(or sample()) in generator_step.")
        optimizer = torch.optim.SGD(self.gan.generator.parameters(), lr=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        self.assertTrue(changed(self.gan.generator, generator_before),
                        "a step of the generator's optimizer on its loss did not change the generator: "
                        "the loss must be computed from D(G(z)) without detaching G(z).")
        self.assertFalse(changed(self.gan.discriminator, discriminator_before),
                         "generator_step changed the discriminator's weights: it should only compute the loss.")

    # --- discriminator_step ---

    def test_discriminator_step_loss(self):
        # Real images are all +1 and fake ones all -1: the logits are 1.5 + 0.5 = 2 and -1.5 + 0.5 = -1.
        self.gan.generator = ConstantGenerator()
        self.gan.discriminator = MeanDiscriminator(weight=1.5, bias=0.5)
        loss, logging_dict = self.gan.discriminator_step(torch.ones(16, *IMAGE_SHAPE))
        loss_real = F.softplus(torch.tensor(-2.0)).item()     # -log sigmoid(2)
        loss_fake = F.softplus(torch.tensor(-1.0)).item()     # -log(1 - sigmoid(-1))
        expected = (loss_real + loss_fake) / 2
        got = as_float(loss)
        swapped = (F.softplus(torch.tensor(2.0)).item() + F.softplus(torch.tensor(1.0)).item()) / 2
        hints = [
            (2 * expected, "That is the sum of the two terms; take their mean."),
            (swapped, "The labels are swapped: real images go with REAL_LABEL (1), fake ones with FAKE_LABEL (0)."),
            ((F.softplus(torch.tensor(2.0)).item() + loss_fake) / 2,
             "The real images were compared with FAKE_LABEL: real images go with REAL_LABEL (1)."),
            ((loss_real + F.softplus(torch.tensor(1.0)).item()) / 2,
             "The fake images were compared with REAL_LABEL: fake images go with FAKE_LABEL (0)."),
            (loss_real, "That is only the loss on real images; add the loss on fake images."),
            (loss_fake, "That is only the loss on fake images; add the loss on real images."),
        ]
        hint = next((h for value, h in hints if abs(got - value) < 1e-4), "")
        self.assertAlmostEqual(got, expected, places=4,
                               msg=f"with real logits 2 and fake logits -1, the discriminator's loss should be "
                                   f"(-log sigmoid(2) - log(1 - sigmoid(-1))) / 2 = {expected:.4f}; got {got:.4f}. "
                                   f"{hint}")
        self.assertIsInstance(logging_dict, dict, "discriminator_step should return (loss, logging_dict).")

    def test_discriminator_step_updates_discriminator_only(self):
        generator_before, discriminator_before = snapshot(self.gan.generator), snapshot(self.gan.discriminator)
        loss, _ = self.gan.discriminator_step(self.real_batch())
        self.assertEqual(loss.dim(), 0, f"the discriminator's loss should be a scalar, got shape {tuple(loss.shape)}.")
        loss.backward()
        leaked = [name for name, p in self.gan.generator.named_parameters()
                  if p.grad is not None and p.grad.abs().sum() > 0]
        self.assertFalse(leaked,
                         f"the discriminator's loss sends gradients into the generator ({', '.join(leaked)}): "
                         "detach the fake images, x_fake = self.generator(z).detach().")
        torch.optim.SGD(self.gan.parameters(), lr=0.1).step()    # one optimizer over both networks
        self.assertFalse(changed(self.gan.generator, generator_before),
                         "a step on the discriminator's loss changed the generator: did you forget .detach()?")
        self.assertTrue(changed(self.gan.discriminator, discriminator_before),
                        "a step on the discriminator's loss did not change the discriminator.")

    def test_logging_dicts(self):
        for step in ("generator_step", "discriminator_step"):
            _, logging_dict = getattr(self.gan, step)(self.real_batch())
            self.assertIn("loss", logging_dict, f"the logging dict of {step} should contain 'loss'.")
            for key, value in logging_dict.items():
                self.assertTrue(is_one_number(value),
                                f"{step}'s logging dict has {key!r} = {describe(value)}; log one number per "
                                "key: a Python float (value.item()) or a 0-d floating tensor (value.detach(); "
                                ".mean() of a batch).")


# --------------------------------------------------------------------------------------------
# Which training file to test
# --------------------------------------------------------------------------------------------

IMPLEMENTED = "implemented"
TODO = "not implemented yet"
WAITING = "not checked until models.py is implemented"


def implementation_status(module_name: str) -> tuple[object, str]:
    """(module or None, status) with status one of:

    IMPLEMENTED: at least one GAN method runs (or fails) without NotImplementedError from this file;
    TODO: every probed method raises this file's NotImplementedError;
    WAITING: models.py is not implemented yet, so the file cannot be probed;
    "cannot be imported: ...": the file cannot be imported.
    """
    try:
        module = importlib.import_module(module_name)
    except Exception as err:   # a syntax error or a missing package: report, do not crash
        return None, f"cannot be imported: {type(err).__name__}: {err}"
    own_file = f"{module_name}.py"
    try:
        torch.manual_seed(0)
        gan = module.GAN(**SMALL)
    except NotImplementedError:
        return module, WAITING
    except Exception:
        return module, IMPLEMENTED
    x = torch.zeros(2, *IMAGE_SHAPE)
    probes = [lambda: gan.sample(2), lambda: gan.interpolate(1, 1),
              lambda: gan.generator_step(x), lambda: gan.discriminator_step(x)]
    if module_name == "train_pl":
        probes.append(gan.configure_optimizers)
    status = TODO
    for probe in probes:
        try:
            probe()
        except NotImplementedError as err:
            if where_raised(err)[0] != own_file:
                status = WAITING
            continue
        except Exception:
            return module, IMPLEMENTED
        return module, IMPLEMENTED
    return module, status


train_torch, TORCH_STATUS = implementation_status("train_torch")
train_pl, PL_STATUS = implementation_status("train_pl")
TEST_PL = PL_STATUS == IMPLEMENTED
TEST_TORCH = train_torch is not None and (TORCH_STATUS == IMPLEMENTED or not TEST_PL)
NOT_BOTH = "you only need to implement one of train_torch.py and train_pl.py"


@unittest.skipUnless(TEST_TORCH, f"train_torch.py: {TORCH_STATUS} ({NOT_BOTH})")
@report_todos
class TestTrainTorch(GANTests, unittest.TestCase):
    module = train_torch

    def test_train_gan_updates_both_networks(self):
        generator_before, discriminator_before = snapshot(self.gan.generator), snapshot(self.gan.discriminator)
        logger_gen, logger_disc = RecordingLogger(), RecordingLogger()
        loader = [self.real_batch(), self.real_batch()]                     # two batches
        self.module.train_gan(self.gan, loader, logger_gen, logger_disc,
                              torch.optim.SGD(self.gan.generator.parameters(), lr=0.1),
                              torch.optim.SGD(self.gan.discriminator.parameters(), lr=0.1))
        self.assertTrue(changed(self.gan.generator, generator_before),
                        "train_gan did not change the generator: backward its loss and step optimizer_gen.")
        self.assertTrue(changed(self.gan.discriminator, discriminator_before),
                        "train_gan did not change the discriminator: backward its loss and step optimizer_disc.")
        for name, logger in [("logger_gen", logger_gen), ("logger_disc", logger_disc)]:
            self.assertEqual(len(logger.logged), 2,
                             f"train_gan called {name}.add_values {len(logger.logged)} times for 2 batches; "
                             "expected once per batch.")


@unittest.skipUnless(TEST_PL, f"train_pl.py: {PL_STATUS} ({NOT_BOTH})")
@report_todos
class TestTrainPL(GANTests, unittest.TestCase):
    module = train_pl

    def test_configure_optimizers(self):
        optimizers = self.gan.configure_optimizers()
        self.assertIsInstance(optimizers, (list, tuple), "configure_optimizers should return a list of two optimizers.")
        self.assertEqual(len(optimizers), 2, f"configure_optimizers returned {len(optimizers)} items; expected two "
                                             "optimizers: [optimizer_gen, optimizer_disc].")
        for optimizer, network in zip(optimizers, ("generator", "discriminator"), strict=True):
            params = {id(p) for group in optimizer.param_groups for p in group["params"]}
            expected = {id(p) for p in getattr(self.gan, network).parameters()}
            self.assertEqual(params, expected, f"the {network}'s optimizer should hold exactly the {network}'s "
                                               f"parameters (self.{network}.parameters()).")
            self.assertIsInstance(optimizer, torch.optim.Adam, f"use Adam for the {network}.")
            self.assertEqual(tuple(optimizer.param_groups[0]["betas"]), (0.5, 0.999),
                             f"the {network}'s Adam should use betas=(0.5, 0.999).")
            self.assertAlmostEqual(optimizer.param_groups[0]["lr"], SMALL["lr"],
                                   msg=f"the {network}'s learning rate should be self.hparams.lr.")

    def test_training_step_updates_both_networks(self):
        import lightning.pytorch as pl

        generator_before, discriminator_before = snapshot(self.gan.generator), snapshot(self.gan.discriminator)
        loader = torch.utils.data.DataLoader(self.real_batch(32), batch_size=16)   # two batches of images
        logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)     # no banner about GPUs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                                   # nor about data loader workers
            trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=1, logger=False,
                                 enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
            trainer.fit(self.gan, loader)
        self.assertFalse(self.gan.automatic_optimization,
                         "two optimizers need manual optimization: keep self.automatic_optimization = False.")
        self.assertTrue(changed(self.gan.generator, generator_before),
                        "training_step did not change the generator: self.manual_backward(loss_gen), then "
                        "step the generator's optimizer.")
        self.assertTrue(changed(self.gan.discriminator, discriminator_before),
                        "training_step did not change the discriminator: self.manual_backward(loss_disc), then "
                        "step the discriminator's optimizer.")


if __name__ == "__main__":
    tested = [name for name, test in [("train_torch.py", TEST_TORCH), ("train_pl.py", TEST_PL)] if test]
    print(f"Testing models.py and {' and '.join(tested) or 'no training file'} "
          f"(train_torch.py: {TORCH_STATUS}; train_pl.py: {PL_STATUS}).", file=sys.stderr)
    unittest.main(verbosity=2)
