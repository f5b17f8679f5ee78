"""The two networks of the GAN: a generator and a discriminator, both fully connected (MLPs).

The generator turns a latent vector z of shape (B, z_dim) into an image of shape (B, 1, 28, 28)
with values in [-1, 1], the range of the MNIST images from ``mnist.py``. The discriminator turns
an image of shape (B, 1, 28, 28) into one logit per image, shape (B, 1): a large positive value
means "real", a large negative one "fake". It returns logits, not probabilities, because the
losses use ``BCEWithLogitsLoss``, which applies the sigmoid itself in a numerically stable way.

Suggested architectures (the ones the defaults describe):

    Generator:      z (B, 32)
                    -> [Linear -> LeakyReLU(0.2) -> Dropout(dp_rate)] for 128, 256, 512 units
                    -> Linear(512, 784) -> Tanh -> reshape to (B, 1, 28, 28)
    Discriminator:  x (B, 1, 28, 28) -> Flatten (B, 784)
                    -> [Linear -> LeakyReLU(0.2) -> Dropout(dp_rate)] for 512, 256 units
                    -> Linear(256, 1): logits (B, 1), no sigmoid

The architecture is a suggestion (activations, extra layers are yours to choose). What the grader
checks: one nn.Linear per entry of hidden_dims with those sizes, the ends (Tanh; logits), and
dropout's behaviour with rate dp_rate: on in train() mode, off in eval() mode. nn.Dropout(dp_rate)
does that, and so does F.dropout(h, self.dp_rate, training=self.training).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

LEAKY_SLOPE = 0.2   # negative slope of every LeakyReLU


class GeneratorMLP(nn.Module):
    def __init__(
        self,
        z_dim: int = 32,
        hidden_dims: Sequence[int] = (128, 256, 512),
        output_shape: Sequence[int] = (1, 28, 28),
        dp_rate: float = 0.1,
    ):
        """Generator: a multi-layer perceptron from a latent vector to an image.

        Parameters
        ----------
        z_dim:
            Length of the latent vector z.
        hidden_dims:
            Units of each hidden layer, in order. Each hidden layer is
            Linear -> LeakyReLU(0.2) -> Dropout(dp_rate).
        output_shape:
            Shape of one generated image, (channels, height, width).
        dp_rate:
            Dropout probability after each hidden layer.

        After the hidden layers, a Linear layer maps to prod(output_shape) = 784 values and a Tanh
        squashes them into [-1, 1].
        """
        super().__init__()
        self.z_dim = z_dim
        self.hidden_dims = list(hidden_dims)      # copies: the caller's list is never shared
        self.output_shape = tuple(output_shape)   # (C, H, W)
        self.dp_rate = dp_rate
        ### BEGIN SOLUTION
        layers: list[nn.Module] = []
        in_dim = z_dim
        for hidden_dim in self.hidden_dims:
            layers += [
                nn.Linear(in_dim, hidden_dim),        # (B, in_dim) -> (B, hidden_dim)
                nn.LeakyReLU(LEAKY_SLOPE),
                nn.Dropout(dp_rate),
            ]
            in_dim = hidden_dim
        layers += [
            nn.Linear(in_dim, math.prod(self.output_shape)),  # (B, in_dim) -> (B, C*H*W)
            nn.Tanh(),                                        # values in [-1, 1]
        ]
        self.layers = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Generate images from latent vectors.

        Parameters
        ----------
        z:
            Latent vectors, shape (B, z_dim).

        Returns
        -------
        torch.Tensor
            Images of shape (B, C, H, W) = (B, 1, 28, 28), values in [-1, 1].
        """
        ### BEGIN SOLUTION
        x = self.layers(z)                                  # (B, C*H*W), in [-1, 1]
        return x.view(z.shape[0], *self.output_shape)       # (B, C, H, W)
        ### END SOLUTION

    @property
    def device(self) -> torch.device:
        """The device the generator's parameters are on."""
        return next(self.parameters()).device


class DiscriminatorMLP(nn.Module):
    def __init__(
        self,
        input_dims: int = 784,
        hidden_dims: Sequence[int] = (512, 256),
        dp_rate: float = 0.3,
    ):
        """Discriminator: a multi-layer perceptron from an image to one logit.

        Parameters
        ----------
        input_dims:
            Number of values in one image, C*H*W = 784. The image is flattened first, so the
            network accepts images of shape (B, 1, 28, 28).
        hidden_dims:
            Units of each hidden layer, in order. Each hidden layer is
            Linear -> LeakyReLU(0.2) -> Dropout(dp_rate).
        dp_rate:
            Dropout probability after each hidden layer.

        A final Linear layer maps to a single logit per image. Do not add a sigmoid.
        """
        super().__init__()
        self.input_dims = input_dims
        self.hidden_dims = list(hidden_dims)
        self.dp_rate = dp_rate
        ### BEGIN SOLUTION
        layers: list[nn.Module] = [nn.Flatten()]           # (B, 1, 28, 28) -> (B, 784)
        in_dim = input_dims
        for hidden_dim in self.hidden_dims:
            layers += [
                nn.Linear(in_dim, hidden_dim),              # (B, in_dim) -> (B, hidden_dim)
                nn.LeakyReLU(LEAKY_SLOPE),
                nn.Dropout(dp_rate),
            ]
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, 1))                 # (B, in_dim) -> (B, 1): logits
        self.layers = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score images: how real each one looks.

        Parameters
        ----------
        x:
            Images, shape (B, 1, 28, 28), values in [-1, 1].

        Returns
        -------
        torch.Tensor
            Logits of shape (B, 1), any real value (not probabilities: no sigmoid). A positive
            logit means the discriminator thinks the image is more likely real than fake.
        """
        ### BEGIN SOLUTION
        return self.layers(x)                               # (B, 1)
        ### END SOLUTION

    @property
    def device(self) -> torch.device:
        """The device the discriminator's parameters are on."""
        return next(self.parameters()).device
