"""Device bugs are caught on a CPU-only grader (the `meta` probe), and correct styles pass.

`tests/test_matching.py` covers first_gan's four device checks; here the other assignments, and
correct code written in other styles that must keep its points.
"""

from __future__ import annotations

import shutil

import pytest
from helpers import by_name, submission_from

from autograder.grading.grade import grade
from autograder.paths import solution_dir

# (assignment, target, old, new, the failing check, words the feedback must contain)
BUGS = [
    ("training_a_gan", "cell:make_real_and_fake", "torch.full((N, 1), REAL_LABEL, device=device)",
     "torch.full((N, 1), REAL_LABEL)", "make_real_and_fake_device", "torch.full((N, 1), REAL_LABEL)"),
    ("training_a_gan", "cell:make_real_and_fake", "sample_mnist(N).to(device)", "sample_mnist(N)",
     "make_real_and_fake_device", "still on the CPU"),
    ("training_a_gan", "cell:make_real_and_fake", "torch.randn(N, noise_dim, device=device)",
     "torch.randn(N, noise_dim)", "make_real_and_fake_device", "torch.randn(N, noise_dim)"),
    ("dropout_gan", "cell:discriminator_step",
     "torch.randn(batch_size, latent_dim, device=images.device)",
     "torch.randn(batch_size, latent_dim)", "discriminator_step_device",
     "torch.randn(batch_size, latent_dim)"),
    ("dropout_gan", "cell:generator_step", "torch.full_like(gen_discriminator_pred, REAL_LABEL)",
     "torch.ones(batch_size, 1)", "generator_step_device", "torch.ones(batch_size, 1)"),
    ("gan_tutorial", "cell:train", "noise = torch.randn(batch_size, NOISE_DIM, device=device)",
     "noise = torch.randn(batch_size, NOISE_DIM)", "train_device", "noise on the CPU"),
    # DeviceBatches already puts each batch on `device`: the bug is the seed's DataLoader (CPU
    # batches) without the move. Two edits in one cell: old and new are tuples, paired in order.
    ("gan_tutorial", "cell:train",
     ("DeviceBatches(mnist_data, batch_size=100, device=device)", "images = images.to(device)"),
     ("torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)", "images = images"),
     "train_device", "still on the CPU"),
    ("gan_project", "file:train_torch.py",
     "z = torch.randn(batch_size, self.z_dim, device=self.device)",
     "z = torch.randn(batch_size, self.z_dim)", "sample_device", "torch.randn(batch_size, self.z_dim)"),
    ("gan_project", "file:train_torch.py",
     "z = torch.randn(x_real.shape[0], self.z_dim, device=x_real.device)",
     "z = torch.randn(x_real.shape[0], self.z_dim)", "generator_step_device", "x_real.shape[0]"),
]
# The same line stands in both steps of gan_project: both lose their device check.
ALSO = {"generator_step_device": {"discriminator_step_device"}}


@pytest.mark.parametrize("assignment, target, old, new, check, says", BUGS,
                         ids=[f"{b[0]}-{b[4]}-{i}" for i, b in enumerate(BUGS)])
def test_device_bug_loses_the_device_check(assignment, target, old, new, check, says, tmp_path):
    edits = list(zip([target] * len(old), old, new)) if isinstance(old, tuple) else [(target, old, new)]
    result = grade(assignment, submission_from(assignment, tmp_path / "s", edits))
    checks = by_name(result)
    assert not checks[check].passed, f"{check} should fail"
    assert says in checks[check].message, checks[check].message
    assert "meta" in checks[check].message
    others = {c.name for c in result.checks if not c.passed} - {check} - ALSO.get(check, set())
    assert not {n for n in others if n.endswith("_device")}, others


# Correct code in other styles: make on the CPU and move, take the device from a tensor, copy to
# the CPU for a plot, read .item() for a log.
STYLES = [
    ("first_gan", "cell:get_disc_loss", "torch.full_like(pred_fake, FAKE_LABEL)",
     "torch.zeros(num_images, 1).to(device)"),
    ("first_gan", "cell:get_gen_loss", "torch.full_like(pred_fake, REAL_LABEL)",
     "torch.ones(pred_fake.shape, device=pred_fake.device)"),
    ("first_gan", "cell:update_generator", "    gen_opt.step()\n",
     "    gen_opt.step()\n    print(f'{gen_loss.item():.3f}', gen(get_noise(2, z_dim, device)).cpu().shape)\n"),
    ("dropout_gan", "cell:generator_step", "torch.full_like(gen_discriminator_pred, REAL_LABEL)",
     "torch.ones(batch_size, 1).to(device)"),
    # DeviceBatches already cut each batch on `device`: the move is redundant, not needed
    ("gan_tutorial", "cell:train", "images = images.to(device)", "images = images"),
    # the seed's DataLoader with the move: CPU batches reach `device` each step
    ("gan_tutorial", "cell:train", "DeviceBatches(mnist_data, batch_size=100, device=device)",
     "torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)"),
]


@pytest.mark.parametrize("assignment, target, old, new", STYLES,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(STYLES)])
def test_correct_device_styles_keep_full_marks(assignment, target, old, new, tmp_path):
    edits = list(zip([target] * len(old), old, new)) if isinstance(old, tuple) else [(target, old, new)]
    result = grade(assignment, submission_from(assignment, tmp_path / "s", edits))
    failed = {c.name: c.message for c in result.checks if not c.passed}
    assert not failed, failed


def test_gan_project_names_the_graded_file(tmp_path):
    dest = tmp_path / "s"
    shutil.copytree(solution_dir("gan_project"), dest)
    path = dest / "train_torch.py"
    path.write_text(path.read_text().replace(
        "torch.linspace(0.0, 1.0, num_points, device=self.device)",
        "torch.linspace(0.0, 1.0, num_points)"))
    check = by_name(grade("gan_project", dest))["interpolate_device"]
    assert not check.passed and "train_torch.py" in check.message, check.message
