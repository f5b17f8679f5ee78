"""Checks for ``gan_project`` (seed 002, "Assignment 3, Part 2": ``.py`` templates).

Students write ``models.py`` (``GeneratorMLP``, ``DiscriminatorMLP``) and ONE of the two training
files: ``train_torch.py`` (plain PyTorch: the ``GAN`` module, ``train_gan`` and the optimizers in
``main``) or ``train_pl.py`` (the same ``GAN`` as a Lightning module: ``configure_optimizers`` and
``training_step`` with manual optimisation). The grader grades the complete file when only one
is complete, else the only one started; when both are started it grades the training checks on
each and keeps the file with more points
(:func:`~autograder.assignments.gan_project.files.graded_file`). That choice runs the checks'
judges in the child, next to the student's code: a submission that fools it can only make the
grader pick the other of its own two files, whose observations are then judged here as usual.
The 0-point check ``training_file`` says which file was graded, and why. Every check has the
same points either way, and failures name the graded file.

Every ``observe_*`` function runs in the child beside the student's modules (``ns`` maps module
name -> module) and reports plain data; every ``judge_*`` function runs in the grader and
decides, recomputing the expected values from the known stubs of
:mod:`autograder.assignments.gan_project.files` and :mod:`autograder.probes.networks`. One module
per part: ``networks`` (models.py), ``sampling``, ``steps`` and ``training``; this one lists them.
The GAN's methods are checked on stub networks (installed as ``model.generator`` /
``model.discriminator``), so a mistake in ``models.py`` neither hides nor causes a mistake in the
training file; ``training_smoke`` then runs everything together, on CUDA too when CUDA is
available. Hidden checks ask the same questions with other sizes and seeds.
"""

from __future__ import annotations

from autograder.assignments.gan_project.files import judge_training_file, observe_training_file, trainer_checks
from autograder.assignments.gan_project.networks import judge_discriminator, judge_generator, observe_network
from autograder.assignments.gan_project.sampling import (
    judge_interpolate,
    judge_interpolate_mode,
    judge_sample,
    observe_interpolate,
    observe_interpolate_mode,
    observe_sample,
)
from autograder.assignments.gan_project.steps import (
    _device_check,
    judge_discriminator_detach,
    judge_generator_gradient,
    judge_logging,
    judge_step_hidden,
    judge_step_loss,
    judge_steps_noise,
    observe_logging,
    observe_step,
    observe_steps_noise,
)
from autograder.assignments.gan_project.training import (
    judge_isolation,
    judge_logging_of_training,
    judge_optimizers,
    judge_smoke,
    observe_isolation,
    observe_optimizers,
    observe_smoke,
)
from autograder.checks import HIDDEN, Check
from autograder.probes.trained import trained_generator_check

MODULES = {"models.py": "student", "train_torch.py": "student", "train_pl.py": "student",
           "mnist.py": "provided", "utils.py": "provided"}


# --- the list --------------------------------------------------------------------------

def _network(name: str, cls: str, title: str, seed: int, n: int, kwargs: dict, input_shape: list,
             scale: float, judge, points: float = 1.0, visibility: str = "visible") -> Check:
    return Check(name, cls, title, points, observe_network, judge,
                 {"class": cls, "seed": seed, "n": n, "kwargs": kwargs, "input": input_shape,
                  "input_scale": scale}, visibility)


def _step(method: str, seed: int, n: int, z_dim: int) -> dict:
    return {"method": method, "seed": seed, "n": n, "z_dim": z_dim}


def _training(seed: int, images: int, batch: int) -> dict:
    return {"seed": seed, "images": images, "batch": batch, "z_dim": 8, "lr": 2e-4,
            "hidden_gen": [16, 32], "hidden_disc": [32, 16]}


CHECKS: list[Check] = [
    _network("GeneratorMLP_structure", "GeneratorMLP",
             "GeneratorMLP: layers from the arguments, dropout, Tanh, images (B, 1, 28, 28) in [-1, 1]",
             1, 6, {"z_dim": 8, "hidden_dims": [16, 24], "output_shape": [1, 28, 28], "dp_rate": 0.25},
             [8], 50.0, judge_generator, 2.0),
    _network("GeneratorMLP_structure_hidden", "GeneratorMLP", "GeneratorMLP with other sizes",
             2, 5, {"z_dim": 5, "hidden_dims": [7, 9, 11], "output_shape": [1, 14, 14], "dp_rate": 0.15},
             [5], 50.0, judge_generator, 1.0, HIDDEN),
    _network("DiscriminatorMLP_structure", "DiscriminatorMLP",
             "DiscriminatorMLP: image batches (B, 1, 28, 28) in, logits (B, 1) out, no Sigmoid",
             3, 6, {"input_dims": 784, "hidden_dims": [20, 12], "dp_rate": 0.35},
             [1, 28, 28], 20.0, judge_discriminator, 2.0),
    _network("DiscriminatorMLP_structure_hidden", "DiscriminatorMLP",
             "DiscriminatorMLP with other sizes", 4, 9,
             {"input_dims": 36, "hidden_dims": [10], "dp_rate": 0.1},
             [1, 6, 6], 20.0, judge_discriminator, 1.0, HIDDEN),
    Check("training_file", "training", "which training file is graded (train_torch.py or "
          "train_pl.py)", 0.0, observe_training_file, judge_training_file, {}, timeout=60.0),
    Check("sample", "sample", "sample: (B, 1, 28, 28), fresh randn z, eval mode, no gradient", 1.0,
          observe_sample, judge_sample, {"seed": 5, "n": 16, "z_dim": 8}),
    Check("sample_hidden", "sample", "sample with other sizes", 1.0,
          observe_sample, judge_sample, {"seed": 6, "n": 9, "z_dim": 13}, HIDDEN),
    Check("interpolate", "interpolate",
          "interpolate: (B, steps + 2, 1, 28, 28), both endpoints, equal steps on a line, no gradient",
          1.0, observe_interpolate, judge_interpolate, {"seed": 7, "n": 3, "steps": 4, "z_dim": 16}),
    Check("interpolate_mode", "interpolate",
          "interpolate: the generator in eval mode, the caller's mode (train or eval) restored",
          1.0, observe_interpolate_mode, judge_interpolate_mode,
          {"seed": 7, "n": 2, "steps": 1, "z_dim": 16}),
    Check("interpolate_hidden", "interpolate", "interpolate with other sizes", 1.0,
          observe_interpolate, judge_interpolate, {"seed": 8, "n": 4, "steps": 1, "z_dim": 12},
          HIDDEN),
    Check("generator_step_loss", "generator_step",
          "generator_step: -log D(G(z)) (REAL_LABEL target) on known networks", 1.0,
          observe_step, judge_step_loss, _step("generator_step", 9, 10, 5)),
    Check("generator_step_gradient", "generator_step",
          "generator_step: the loss's gradient reaches the generator", 1.0,
          observe_step, judge_generator_gradient, _step("generator_step", 10, 10, 5)),
    Check("generator_step_hidden", "generator_step", "generator_step on another batch", 1.0,
          observe_step, judge_step_hidden, _step("generator_step", 11, 17, 7), HIDDEN),
    Check("discriminator_step_loss", "discriminator_step",
          "discriminator_step: mean of the real (label 1) and fake (label 0) losses", 1.0,
          observe_step, judge_step_loss, _step("discriminator_step", 12, 10, 5)),
    Check("discriminator_step_detach", "discriminator_step",
          "discriminator_step: no gradient reaches the generator (detach)", 2.0,
          observe_step, judge_discriminator_detach, _step("discriminator_step", 13, 10, 5)),
    Check("discriminator_step_hidden", "discriminator_step", "discriminator_step on another batch",
          1.0, observe_step, judge_step_hidden, _step("discriminator_step", 14, 23, 6), HIDDEN),
    _device_check("sample", 20),
    _device_check("interpolate", 21),
    _device_check("generator_step", 22),
    _device_check("discriminator_step", 23),
    Check("steps_fresh_noise", "generator_step",
          "generator_step and discriminator_step draw fresh z on every call", 1.0,
          observe_steps_noise, judge_steps_noise, {"seed": 20, "n": 6, "z_dim": 4}),
    Check("logging_dicts", "generator_step",
          "generator_step and discriminator_step return logging dicts of numbers (floats or 0-d "
          "tensors) with 'loss'", 1.0,
          observe_logging, judge_logging, {"seed": 15, "n": 6, "z_dim": 4}),
    Check("optimizers", "optimizers",
          "two separate Adam optimizers (main / configure_optimizers), one per network, with the "
          "learning rate of the arguments", 1.0,
          observe_optimizers, judge_optimizers, dict(_training(16, 16, 8), lr=3e-3)),
    Check("training_isolation", "training",
          "one epoch (train_gan / training_step): each step changes only its own network", 2.0,
          observe_isolation, judge_isolation, _training(17, 16, 8), timeout=60.0),
    Check("training_isolation_hidden", "training", "one epoch with other batch sizes", 1.0,
          observe_isolation, judge_isolation, _training(18, 15, 5), HIDDEN, timeout=60.0),
    Check("training_logging", "training",
          "one epoch: each step's logging dict goes to its own logger (train_torch) or prefix "
          "(Lightning), once per batch", 1.0,
          observe_isolation, judge_logging_of_training, _training(17, 16, 8), timeout=60.0),
    Check("training_smoke", "training",
          "a short training run with your networks and optimizers: finite losses, both networks "
          "learn (on CUDA too when available)", 1.0,
          observe_smoke, judge_smoke, _training(19, 16, 8), timeout=60.0,
          uses=("GeneratorMLP", "DiscriminatorMLP", "sample", "generator_step",
                "discriminator_step", "optimizers")),
    # The submitted checkpoint (GAN_logs/checkpoint.pt), loaded weights-only in the sandbox and
    # judged by the course's classifier: partial credit for loading, digits and distance.
    trained_generator_check("gan_project", points=4.0),
]

CHECKS = trainer_checks(CHECKS)  # the checks that grade the training file, also on both files

# Credit only for code that works (checks.gate): secondary check -> the main check of its method.
GATED = {
    "GeneratorMLP_structure_hidden": "GeneratorMLP_structure",
    "DiscriminatorMLP_structure_hidden": "DiscriminatorMLP_structure",
    "sample_hidden": "sample", "sample_device": "sample",
    "interpolate_hidden": "interpolate", "interpolate_device": "interpolate",
    "interpolate_mode": "interpolate",
    "generator_step_hidden": "generator_step_loss", "generator_step_device": "generator_step_loss",
    "steps_fresh_noise": "generator_step_loss",
    "discriminator_step_hidden": "discriminator_step_loss",
    "discriminator_step_device": "discriminator_step_loss",
    "training_isolation_hidden": "training_isolation",
}
