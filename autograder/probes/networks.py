"""Known networks and inputs: the grader's stand-ins for the student's (child and grader import them).

Loss checks call the student's loss functions with these stand-ins instead of the student's own
networks, so the expected loss can be computed exactly in the grader from the same seeds, and a
mistake in the student's networks cannot hide (or cause) a mistake in the loss.

Every stand-in is a :class:`StandIn`, which makes it behave like a network a student writes
(``tests/test_standins.py`` runs each one through what correct code may do with it):

* its output is a fresh tensor, never a view and never a tensor its backward needs, so
  ``fake = gen(noise); fake.detach_()`` and in-place activations (``torch.relu_(out)``) work;
* ``module.forward(x)`` is the same call as ``module(x)``: it runs the forward hooks and records
  what it was given, so an observer never misses a call;
* it has what the course's template classes offer: ``parameters()``, ``train()`` / ``eval()``,
  ``.to(device)``, and ``.device`` where the template has one (:meth:`StandIn.like_template`);
  any other attribute fails with words that say what the student's code met.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.probes import device
from autograder.probes.noise import fingerprint

MAX_RECORDS = 8          # calls a stand-in remembers (a hostile loop cannot flood the report)
IMAGE = (1, 28, 28)      # an MNIST image as gan_project's networks give it
PIXELS = 28 * 28


def _fresh(out):
    """``out`` as a new tensor of its own (a clone: same values, same graph)."""
    return out.clone() if isinstance(out, torch.Tensor) else out


def _as_a_call(forward):
    """``forward`` that, called directly (``module.forward(x)``), goes through ``module(x)``."""
    @functools.wraps(forward)
    def called_like_a_module(self, *args, **kwargs):
        if not self.__dict__.get("_in_call"):
            return self(*args, **kwargs)          # hooks and records see it as module(x)
        return _fresh(forward(self, *args, **kwargs))
    return called_like_a_module


class StandIn(nn.Module):
    """The base of every stand-in network (see the module docstring).

    A subclass writes ``forward`` as usual; it is wrapped when the class is made. ``example()``
    gives an instance and an input for ``tests/test_standins.py`` (every subclass has its own).
    """

    role = "network"            # what it stands in for, in messages

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls.forward = _as_a_call(cls.__dict__["forward"])

    def _call_impl(self, *args, **kwargs):
        depth = self.__dict__.get("_in_call", 0)
        self.__dict__["_in_call"] = depth + 1
        try:
            return super()._call_impl(*args, **kwargs)
        finally:
            self.__dict__["_in_call"] = depth

    def like_template(self, template: str, device: bool = False, **attributes) -> StandIn:
        """Offer what the course's class ``template`` offers: ``.device`` when ``device``, and
        ``attributes`` (``z_dim=8``: the template's ``self.z_dim``)."""
        self.__dict__["_template"] = template
        self.__dict__["_has_device"] = device
        self.__dict__["_offers"] = sorted(attributes)
        for name, value in attributes.items():
            setattr(self, name, value)
        return self

    @property
    def device(self) -> torch.device:
        """The device of the parameters, where the template's network has this property."""
        if not self.__dict__.get("_has_device"):
            raise AttributeError("device")          # reworded by __getattr__
        return next(self.parameters()).device

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            raise AttributeError(self._no_attribute(name)) from None

    def _no_attribute(self, name: str) -> str:
        template = self.__dict__.get("_template")
        offers = [*self.__dict__.get("_offers", ()), "parameters()", "train()", "eval()",
                  ".to(device)"] + ([".device"] if self.__dict__.get("_has_device") else [])
        yours = f"your {template}" if template else f"your {self.role}"
        return (f"the grader's known {self.role}, which stands in for {yours} while this check "
                f"runs, has no attribute '{name}': use only what the course's template offers "
                f"({', '.join(offers)})")

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        """(an instance, an input batch) of this class: every subclass defines its own."""
        raise NotImplementedError(f"{cls.__name__} has no example(): define one")


class ConstantGenerator(StandIn):
    """A generator whose images do not depend on the noise: ``sigmoid(image)`` repeated.

    It records the last noise it was given (shape, device) so checks can see how the student
    called it. Output: (n, im_dim) in (0, 1), or (n, *image_shape) when ``image_shape`` is set.
    """

    role = "generator"

    def __init__(self, im_dim: int, seed: int, image_shape: tuple[int, ...] | None = None):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.image = nn.Parameter(torch.randn(im_dim, generator=g) * 2.0)
        self.image_shape = image_shape
        self.noise_shapes: list[list[int]] = []
        self.noise_devices: list[str] = []

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        device.seen_input(noise)  # on `meta`, the device probe names where CPU noise was made
        self.noise_shapes.append(list(noise.shape))
        self.noise_devices.append(noise.device.type)
        n = noise.shape[0]
        out = torch.sigmoid(self.image).unsqueeze(0).expand(n, -1)   # (n, im_dim)
        if self.image_shape is not None:
            out = out.reshape(n, *self.image_shape)
        return out

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        return cls(PIXELS, 0, image_shape=IMAGE), torch.randn(3, 5)


class NoiseRecordingGenerator(ConstantGenerator):
    """:class:`ConstantGenerator` that also reports the noise it got, in ``self.noise``.

    One ``tensor_info`` per call (at most ``MAX_RECORDS``); with ``details``, also the noise's
    fingerprint (``hash``) and the generator's mode (``training``). With ``signed`` its images
    are ``2 * sigmoid(image) - 1``, in (-1, 1).
    """

    def __init__(self, im_dim: int, seed: int, image_shape: tuple[int, ...] | None = None,
                 details: bool = False, signed: bool = False):
        super().__init__(im_dim, seed, image_shape=image_shape)
        self.details, self.signed = details, signed
        self.noise: list[dict] = []

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        if len(self.noise) < MAX_RECORDS:
            info = ob.tensor_info(ob.as_tensor(noise, "the generator's input noise"))
            if self.details:
                info["hash"] = fingerprint(noise)
                info["training"] = bool(self.training)
            self.noise.append(info)
        images = super().forward(noise)
        return images * 2 - 1 if self.signed else images

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        return cls(PIXELS, 0, image_shape=IMAGE, details=True, signed=True), torch.randn(3, 5)


class LinearGenerator(StandIn):
    """A generator with known weights: images ``z @ W`` (optionally through tanh), any batch dims.

    ``(..., z_dim) -> (..., *image)``. Without tanh it is linear, so images generated along a
    straight line in latent space lie on a straight line too, and the latent vectors can be read
    back from the images (:meth:`latents`). It records its inputs and its mode at each call.
    """

    role = "generator"

    def __init__(self, z_dim: int, seed: int, tanh: bool = False,
                 image: tuple[int, ...] = IMAGE):
        super().__init__()
        g = torch.Generator().manual_seed(seed + 5)
        self.pixels = 1
        for size in image:
            self.pixels *= size
        self.weight = nn.Parameter(torch.randn(z_dim, self.pixels, generator=g) / z_dim ** 0.5)
        self.tanh, self.image = tanh, tuple(image)
        self.calls: list[dict] = []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = ob.as_tensor(z, "the generator's input z")
        device.seen_input(z)  # on `meta`, the device probe names where a CPU z was made
        if len(self.calls) < MAX_RECORDS:
            self.calls.append({**ob.tensor_info(z), "training": bool(self.training)})
        x = z @ self.weight                                              # (..., pixels)
        if self.tanh:
            x = torch.tanh(x)
        return x.reshape(*z.shape[:-1], *self.image)                      # (..., *image)

    def latents(self, images: torch.Tensor) -> torch.Tensor:
        """The z that produced ``images`` (..., *image) (no tanh): least squares on W."""
        flat = images.detach().double().reshape(-1, self.pixels).cpu()    # (N, pixels)
        w = self.weight.detach().double().cpu()                           # (z_dim, pixels)
        return torch.linalg.lstsq(w.T, flat.T).solution.T                 # (N, z_dim)

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        return cls(5, 0, tanh=True), torch.randn(3, 5)


class PlaceholderNetwork(StandIn):
    """Stands in for a course network class (``GeneratorMLP(...)``) while a model is built.

    It takes any arguments, keeps the keyword ones as attributes (``self.z_dim``, as the template
    does), has ``.device`` and one parameter; its forward multiplies by it (checks replace it with
    a known network before any step runs, but code that calls it still works).
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        kept = {k: v for k, v in kwargs.items()
                if isinstance(k, str) and k.isidentifier() and not k.startswith("_")
                and not hasattr(type(self), k) and k != "weight"}
        self.like_template("network of models.py", device=True, **kept)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        return cls(5, hidden_dims=[8]), torch.randn(3, 5)


class LinearDiscriminator(StandIn):
    """A discriminator with known weights: logits ``x.flatten(1) @ w + b``, shape (n, 1).

    The weights are scaled so that logits are a few units away from 0, with both signs: a loss
    computed with swapped labels then differs clearly from the right one.
    """

    role = "discriminator"

    def __init__(self, im_dim: int, seed: int, squeeze: bool = False, sigmoid: bool = False):
        super().__init__()
        g = torch.Generator().manual_seed(seed + 1)
        self.linear = nn.Linear(im_dim, 1)
        with torch.no_grad():
            self.linear.weight.copy_(torch.randn(1, im_dim, generator=g) * (6.0 / im_dim ** 0.5))
            self.linear.bias.fill_(0.7)
        self.squeeze = squeeze
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear(x.reshape(x.shape[0], -1))                   # (n, 1) logits
        if self.sigmoid:
            out = torch.sigmoid(out)                                   # (n, 1) probabilities
        return out.squeeze(1) if self.squeeze else out

    @classmethod
    def example(cls) -> tuple[StandIn, torch.Tensor]:
        return cls(PIXELS, 0, squeeze=True, sigmoid=True), torch.rand(3, *IMAGE)


def real_images(n: int, im_dim: int, seed: int, low: float = 0.0, high: float = 1.0,
                shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """A reproducible batch standing in for real images: (n, im_dim) or (n, *shape) in [low, high)."""
    g = torch.Generator().manual_seed(seed + 2)
    x = torch.rand(n, im_dim, generator=g) * (high - low) + low
    return x if shape is None else x.reshape(n, *shape)
