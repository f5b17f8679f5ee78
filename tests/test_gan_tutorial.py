"""gan_tutorial: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``), and the tests of its own (a GPU-only mistake, the reference notebook as students run it)."""

from __future__ import annotations

import json
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
G_STEP_FAKES = ("        noise = torch.randn(batch_size, NOISE_DIM, device=device)  # (N, 100)\n"
                "        fake_images = generator(noise)        # (N, 1, 28, 28), graph reaches G\n")
D_STEP_FAKES = "        fake_images = generator(noise)                              # (N, 1, 28, 28)"
D_STEP_NOISE = "        noise = torch.randn(batch_size, NOISE_DIM, device=device)  # (N, 100)\n"
STEP_RETURN = "return d_loss.detach(), g_loss.detach(), real_score, fake_score"


# The seed's shape of train: the whole minibatch written out inside the loop, no train_step and
# no capture, each loss kept in a list and averaged once per epoch (the reference before issue 29).
SEED_STYLE_LOOP = """\
    history = {"d_loss": [], "g_loss": []}  # mean loss of each epoch

    for epoch in range(num_epochs):
        # put the generator/discriminator in training mode
        generator.train()
        discriminator.train()
        # The loss of each minibatch of this epoch, kept as tensors on the device: reading a GPU
        # number (.item()) makes Python wait for the GPU, so we read them once per epoch.
        d_losses, g_losses = [], []

        for images, _ in tqdm(train_loader, desc=f"epoch {epoch + 1}/{num_epochs}", leave=False):
            images = images.to(device)  # (N, 1, 28, 28) real images in [0, 1] (no copy if there)
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
            labels = torch.cat([
                torch.full((batch_size,), REAL_LABEL, device=device),  # (N,) of 1.0: real
                torch.full((batch_size,), FAKE_LABEL, device=device),  # (N,) of 0.0: fake
            ])                                                         # (2N,)

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
            # The generator wants D to label its fakes as real: target REAL_LABEL for every fake.
            # This is -mean log D(G(z)), the "non-saturating" generator loss.
            g_loss = criterion(outputs, torch.full_like(outputs, REAL_LABEL))
            g_optimizer.zero_grad()
            g_loss.backward()  # also leaves gradients in D; d_optimizer.zero_grad() clears them
            g_optimizer.step()  # updates the generator's weights only
            tracker.update(generator)  # every 200 steps: which digits, how close to MNIST

            d_losses.append(d_loss.detach())  # () tensors, no wait for the GPU
            g_losses.append(g_loss.detach())

        history["d_loss"].append(torch.stack(d_losses).mean().item())  # the epoch's mean, a float
        history["g_loss"].append(torch.stack(g_losses).mean().item())

        # Report the scores of the last minibatch: D's mean probability for real and fake images
        scores = torch.sigmoid(d_outputs.detach())  # (2N,) probabilities that each image is real
        real_score = scores[:batch_size].mean().item()  # D(x)
        fake_score = scores[batch_size:].mean().item()  # D(G(z))

        print(f"Epoch [{epoch + 1}/{num_epochs}], d_loss: {d_loss.item():.4f}, "
              f"g_loss: {g_loss.item():.4f}, D(x): {real_score:.2f}, D(G(z)): {fake_score:.2f}")

        # Plot images generated from the 16 noise vectors, beside 16 real ones
        generator.eval()
        discriminator.eval()
        with torch.no_grad():
            test_images = generator(test_noise).cpu()  # (16, 1, 28, 28)
        show_generated_and_real(test_images, images[:num_test_samples],
                                title=f"epoch {epoch + 1}/{num_epochs}: the same 16 noise vectors",
                                num_images=num_test_samples, nrow=8)

    return history
"""


def train_step_and_loop() -> str:
    """The reference's train_step, its capture and its loop: from `def train_step` to the end."""
    nb = json.loads((solution_dir(A) / "gan_tutorial.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "train")
    source = "".join(cell["source"])
    start = source.index("    def train_step(images):")
    return source[start:source.index("    return history", start) + len("    return history\n")]


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
            [train_edit("        g_optimizer.zero_grad()\n", "        d_optimizer.zero_grad()\n"),
             train_edit("        g_optimizer.step()", "        d_optimizer.step()")],
            ["train_step_isolation", "train_updates_hidden"], ["d_optimizer", "g_optimizer.step()"]),
    Mistake("no_zero_grad_in_discriminator_step",
            [train_edit("        d_optimizer.zero_grad()\n", "")],
            ["train_gradients", "train_updates_hidden"], ["d_optimizer.zero_grad()"]),
    Mistake("no_zero_grad_in_generator_step",
            [train_edit("        g_optimizer.zero_grad()\n", "")],
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
    # The step's results unpacked in the wrong order: history['d_loss'] holds the generator's.
    Mistake("step_returns_the_losses_swapped",
            [train_edit(STEP_RETURN, "return g_loss.detach(), d_loss.detach(), real_score, fake_score")],
            VALUES, ["swapped", "train_step"]),
    # Noise drawn once, outside the step (a wrong idea of what a recorded step needs): every
    # minibatch scores fakes from the same noise vectors.
    Mistake("noise_drawn_once_outside_the_step",
            [train_edit("    def train_step(images):\n",
                        "    d_noise = torch.randn(100, NOISE_DIM, device=device)\n"
                        "    g_noise = torch.randn(100, NOISE_DIM, device=device)\n\n"
                        "    def train_step(images):\n"),
             train_edit(D_STEP_NOISE + D_STEP_FAKES, "        noise = d_noise[:batch_size]\n" + D_STEP_FAKES),
             train_edit(G_STEP_FAKES, G_STEP_FAKES.replace(
                 "torch.randn(batch_size, NOISE_DIM, device=device)", "g_noise[:batch_size]"))],
            ["train_generator_fresh_fakes", "train_updates_hidden"], ["earlier minibatch", "every minibatch"]),
    # history gets the last minibatch's losses instead of the epoch's mean.
    Mistake("history_holds_the_last_minibatchs_loss",
            [train_edit('history["d_loss"].append((d_loss_sum / len(train_loader)).item())',
                        'history["d_loss"].append(float(d_loss))'),
             train_edit('history["g_loss"].append((g_loss_sum / len(train_loader)).item())',
                        'history["g_loss"].append(float(g_loss))')],
            ["train_smoke_run"], ["last minibatch", "mean"]),
    Mistake("sigmoid_before_bce_with_logits",
            [train_edit("d_loss = criterion(d_outputs, labels)",
                        "d_loss = criterion(torch.sigmoid(d_outputs), labels)")],
            VALUES, ["sigmoid", "raw logits"]),
]


# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "no_grad_instead_of_detach": [
        train_edit(D_STEP_FAKES + "\n",
                   "        with torch.no_grad():\n            fake_images = generator(noise)\n"),
        train_edit("torch.cat([images, fake_images.detach()])", "torch.cat([images, fake_images])")],
    "labels_from_ones_and_zeros": [
        train_edit(REAL_ROW, "torch.ones(batch_size, device=device),"),
        train_edit(FAKE_ROW, "torch.zeros(batch_size, device=device),")],
    "generator_targets_from_ones_like": [
        train_edit(G_LOSS, "g_loss = criterion(outputs, torch.ones_like(outputs))")],
    "the_seeds_data_loader": [  # the seed's loader instead of DeviceBatches: the same batches
        train_edit("train_loader = DeviceBatches(mnist_data, batch_size=100, device=device)",
                   "train_loader = torch.utils.data.DataLoader(mnist_data, batch_size=100, shuffle=True)")],
    # The seed's loop: no train_step, no capture, no capturable optimizers (issue 29's
    # recording is the reference's choice, not the student's duty).
    "the_seeds_loop_without_a_train_step": [
        train_edit(train_step_and_loop(), SEED_STYLE_LOOP),
        train_edit(", capturable=on_gpu)", ")")],
    # A step that returns Python floats (.item()): the same history; on a GPU it is not
    # recorded (capture says so) and trains step by step.
    "step_returns_python_floats": [
        train_edit(STEP_RETURN, "return d_loss.item(), g_loss.item(), real_score.item(), fake_score.item()")],
    # Losses returned without .detach(): the sums then carry a graph, the values are the same.
    "step_returns_losses_not_detached": [
        train_edit(STEP_RETURN, "return d_loss, g_loss, real_score, fake_score")],
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


# What train_step returns: the reference's 0-d tensors, or Python floats (a step that cannot be
# recorded on a GPU; it trains step by step there).
RETURNS = {"tensors": [], "floats": [(STEP_RETURN, "return d_loss.item(), g_loss.item(), "
                                      "real_score.item(), fake_score.item()")]}


def run_training(monkeypatch, returns: str, n_images: int = 300, record: bool = False) -> dict:
    """The reference notebook as a student runs it, 2 epochs on ``n_images`` stand-in images;
    with ``record`` the namespace's ``captured`` lists what each ``capture`` call gave back."""
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module(n_images))
    torch.manual_seed(0)
    edits = {"settings": [
        ("num_epochs = FULL_RUN_EPOCHS if torch.cuda.is_available() else QUICK_CPU_RUN_EPOCHS",
         "num_epochs = 2"),
    ], "training": [
        ("    history = train(",
         "    initial = [p.detach().clone() for p in generator.parameters()]\n"
         "    history = train("),
    ], "train": RETURNS[returns]}
    if record:
        edits["imports"] = [("from gan_course.cuda_graph import capture\n",
                             "from gan_course.cuda_graph import capture as _capture\n"
                             "captured = []\n\n"
                             "def capture(step, *example, **kwargs):\n"
                             "    captured.append(_capture(step, *example, **kwargs))\n"
                             "    return captured[-1]\n")]
    return run_notebook(solution_dir(A) / "gan_tutorial.ipynb", edits)


def assert_trained(ns: dict) -> None:
    history = ns["history"]
    assert len(history["d_loss"]) == len(history["g_loss"]) == 2
    assert all(isinstance(v, float) and math.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    after = [p.detach().cpu() for p in ns["generator"].parameters()]
    assert any(not torch.equal(a, b.cpu()) for a, b in zip(after, ns["initial"], strict=True)), (
        "the generator's weights did not change during training")


@pytest.mark.parametrize("returns", sorted(RETURNS))
def test_reference_notebook_trains_for_students(monkeypatch, returns):
    """On the CPU (nothing recorded): the reference's step, and one that returns floats."""
    assert_trained(run_training(monkeypatch, returns))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("returns", sorted(RETURNS))
def test_train_records_its_step_on_cuda(monkeypatch, capsys, returns):
    """On CUDA the reference's train_step is recorded as a CUDA graph and replayed (250 images:
    two minibatches of 100 replayed, the last of 50 run step by step); a step that calls .item()
    is not recorded, says so in one line, and trains step by step."""
    ns = run_training(monkeypatch, returns, n_images=250, record=True)
    out = capsys.readouterr().out
    assert_trained(ns)
    # The notebook's two self-check cells of train run it (on the GPU) while grading: their
    # captures give the step back unrecorded. The training cell's is the last.
    *checks, trained = ns["captured"]
    assert len(checks) == 2, "train should call capture once, before its loop"
    assert not any(hasattr(step, "graph") for step in checks), "recorded while grading"
    if returns == "tensors":
        assert hasattr(trained, "graph"), "the reference's step was not recorded"
        assert "could not be recorded" not in out, out[-2000:]
    else:
        assert not hasattr(trained, "graph")
        assert "could not be recorded" in out
