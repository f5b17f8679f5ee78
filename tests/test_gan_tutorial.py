"""gan_tutorial: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``), and the tests of its own (a GPU-only mistake, the reference notebook as students run it)."""

from __future__ import annotations

import math
import sys

import matplotlib
import pytest
import torch
from helpers import Mistake, by_name, grade_mistake, run_notebook, tiny_data_module

from autograder.paths import solution_dir

matplotlib.use("Agg")

A = "gan_tutorial"
LABELS = ["train_discriminator_labels", "train_discriminator_labels_hidden"]
TARGETS = ["train_generator_targets", "train_generator_targets_hidden"]
VALUES = ["train_loss_values", "train_loss_values_hidden"]
REAL_ROW = "torch.full((batch_size,), REAL_LABEL, device=device),  # (N,) of 1.0: real"
FAKE_ROW = "torch.full((batch_size,), FAKE_LABEL, device=device),  # (N,) of 0.0: fake"
G_LOSS = "g_loss = criterion(outputs, torch.full_like(outputs, REAL_LABEL))"
G_STEP_FAKES = ("            noise = torch.randn(batch_size, NOISE_DIM, device=device)  # (N, 100)\n"
                "            fake_images = generator(noise)        # (N, 1, 28, 28), graph reaches G\n")


def train_edit(old: str, new: str) -> tuple[str, str, str]:
    return ("cell:train", old, new)


MISTAKES = [
    Mistake("swapped_labels",
            [train_edit(REAL_ROW, REAL_ROW.replace("REAL_LABEL", "FAKE_LABEL")),
             train_edit(FAKE_ROW, FAKE_ROW.replace("FAKE_LABEL", "REAL_LABEL"))],
            LABELS + VALUES, ["swapped"]),
    Mistake("labels_of_shape_2n_1",
            [train_edit("torch.full((batch_size,), REAL_LABEL", "torch.full((batch_size, 1), REAL_LABEL"),
             train_edit("torch.full((batch_size,), FAKE_LABEL", "torch.full((batch_size, 1), FAKE_LABEL")],
            LABELS, ["shape", "exactly the logits' shape"]),
    Mistake("labels_of_a_fixed_size",  # right for full minibatches; the hidden check's last is 30
            [train_edit("torch.full((batch_size,), REAL_LABEL", "torch.full((100,), REAL_LABEL"),
             train_edit("torch.full((batch_size,), FAKE_LABEL", "torch.full((100,), FAKE_LABEL")],
            ["train_discriminator_labels_hidden"], ["images.size(0)", "smaller than 100"]),
    Mistake("generator_target_zeros",
            [train_edit(G_LOSS, G_LOSS.replace("REAL_LABEL", "FAKE_LABEL"))],
            TARGETS + VALUES, ["FAKE label", "call its fakes real"]),
    Mistake("generator_target_is_the_labels",
            [train_edit(G_LOSS, "g_loss = criterion(outputs, labels)")],
            TARGETS, ["reuse the discriminator's labels"]),
    Mistake("no_detach_in_discriminator_step",
            [train_edit("torch.cat([images, fake_images.detach()])", "torch.cat([images, fake_images])")],
            ["train_gradients", "train_updates_hidden"], [".detach()"]),
    Mistake("generator_step_with_d_optimizer",
            [train_edit("            g_optimizer.zero_grad()\n", "            d_optimizer.zero_grad()\n"),
             train_edit("            g_optimizer.step()", "            d_optimizer.step()")],
            ["train_step_isolation", "train_updates_hidden"], ["d_optimizer", "g_optimizer.step()"]),
    Mistake("no_zero_grad_in_discriminator_step",
            [train_edit("            d_optimizer.zero_grad()\n", "")],
            ["train_gradients", "train_updates_hidden"], ["d_optimizer.zero_grad()"]),
    Mistake("no_zero_grad_in_generator_step",
            [train_edit("            g_optimizer.zero_grad()\n", "")],
            ["train_gradients", "train_updates_hidden"], ["g_optimizer.zero_grad()"]),
    Mistake("generator_loss_scaled_by_the_batch_size",
            [train_edit(G_LOSS, G_LOSS + " * batch_size")],
            VALUES, ["batch", "criterion's result"]),
    Mistake("generator_step_reuses_the_discriminator_steps_fakes",
            [train_edit(G_STEP_FAKES, "")],
            ["train_generator_fresh_fakes", "train_updates_hidden"], ["fresh", "fake_images"]),
    Mistake("generator_step_reuses_the_discriminator_steps_noise",
            [train_edit(G_STEP_FAKES, G_STEP_FAKES.split("\n", 1)[1])],
            ["train_generator_fresh_fakes", "train_updates_hidden"], ["SAME noise"]),
    Mistake("sigmoid_before_bce_with_logits",
            [train_edit("d_loss = criterion(d_outputs, labels)",
                        "d_loss = criterion(torch.sigmoid(d_outputs), labels)")],
            VALUES, ["sigmoid", "raw logits"]),
]


# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "no_grad_instead_of_detach": [
        train_edit("            fake_images = generator(noise)                              # (N, 1, 28, 28)\n",
                   "            with torch.no_grad():\n                fake_images = generator(noise)\n"),
        train_edit("torch.cat([images, fake_images.detach()])", "torch.cat([images, fake_images])")],
    "labels_from_ones_and_zeros": [
        train_edit(REAL_ROW, "torch.ones(batch_size, device=device),"),
        train_edit(FAKE_ROW, "torch.zeros(batch_size, device=device),")],
    "generator_targets_from_ones_like": [
        train_edit(G_LOSS, "g_loss = criterion(outputs, torch.ones_like(outputs))")],
    "the_seeds_data_loader": [  # the seed's loader instead of DeviceBatches: the same batches
        train_edit("train_loader = DeviceBatches(mnist_data, batch_size=100, device=device)",
                   "train_loader = torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)")],
    # Sizes as numpy ints (np.prod gives a numpy.int64): correct code, which once killed the
    # grader's child (issue 27). The networks are provided cells (the release's copy runs), so
    # the sizes the student writes are the labels'.
    "np_prod_label_sizes": [
        train_edit("def train(", "import numpy as np\n\n\ndef train("),
        train_edit(REAL_ROW, "torch.full((np.prod([batch_size]),), REAL_LABEL, device=device),"),
        train_edit(FAKE_ROW, "torch.full((np.prod([batch_size]),), FAKE_LABEL, device=device),")],
}




@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_labels_created_on_the_cpu_fail_on_cuda(tmp_path):
    """Only a GPU shows this mistake: the checks run train a second time on "cuda".

    The grader's child must see the GPU: on the H100 tried, CUDA failed inside the jail
    (cudaGetDeviceCount error 304) and this test passed with GAN_COURSE_NO_JAIL=1.
    """
    mistake = Mistake("labels_on_the_cpu",
                      [train_edit(REAL_ROW, REAL_ROW.replace(", device=device", "")),
                       train_edit(FAKE_ROW, FAKE_ROW.replace(", device=device", ""))],
                      ["train_discriminator_labels"], ["On CUDA", "device=device"])
    checks = by_name(grade_mistake(A, mistake, tmp_path))
    assert not checks["train_discriminator_labels"].passed
    for word in mistake.says:
        assert word in checks["train_discriminator_labels"].message


def test_reference_notebook_trains_for_students(monkeypatch):
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module())
    torch.manual_seed(0)
    edits = {"settings": [
        ("num_epochs = FULL_RUN_EPOCHS if torch.cuda.is_available() else QUICK_CPU_RUN_EPOCHS",
         "num_epochs = 2"),
    ], "training": [
        ("    history = train(",
         "    initial = [p.detach().clone() for p in generator.parameters()]\n"
         "    history = train("),
    ]}
    ns = run_notebook(solution_dir(A) / "gan_tutorial.ipynb", edits)
    history = ns["history"]
    assert len(history["d_loss"]) == len(history["g_loss"]) == 2
    assert all(math.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    after = [p.detach().cpu() for p in ns["generator"].parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(after, ns["initial"], strict=True)), (
        "the generator's weights did not change during training")
