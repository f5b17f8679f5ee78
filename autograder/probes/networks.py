"""Known networks and inputs: the grader's stand-ins for the student's (child and grader import them).

Loss checks call the student's loss functions with these stand-ins instead of the student's own
networks, so the expected loss can be computed exactly in the grader from the same seeds, and a
mistake in the student's networks cannot hide (or cause) a mistake in the loss.
"""

from __future__ import annotations

import torch
from torch import nn

from autograder.child import observe as ob
from autograder.probes import device
from autograder.probes.noise import fingerprint

MAX_RECORDS = 8          # calls a stand-in remembers (a hostile loop cannot flood the report)


class ConstantGenerator(nn.Module):
    """A generator whose images do not depend on the noise: ``sigmoid(image)`` repeated.

    It records the last noise it was given (shape, device) so checks can see how the student
    called it. Output: (n, im_dim) in (0, 1), or (n, *image_shape) when ``image_shape`` is set.
    """

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


class LinearDiscriminator(nn.Module):
    """A discriminator with known weights: logits ``x.flatten(1) @ w + b``, shape (n, 1).

    The weights are scaled so that logits are a few units away from 0, with both signs: a loss
    computed with swapped labels then differs clearly from the right one.
    """

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


def real_images(n: int, im_dim: int, seed: int, low: float = 0.0, high: float = 1.0,
                shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """A reproducible batch standing in for real images: (n, im_dim) or (n, *shape) in [low, high)."""
    g = torch.Generator().manual_seed(seed + 2)
    x = torch.rand(n, im_dim, generator=g) * (high - low) + low
    return x if shape is None else x.reshape(n, *shape)
