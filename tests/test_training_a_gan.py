"""training_a_gan: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``, ``GPU_MISTAKES``; the contract grades its mistakes four at a time, each submission in
its own child process), and the tests of its own (the reference notebook as students run it, the
device reports judged without a GPU).
"""

from __future__ import annotations

import json
import math
import sys

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from helpers import Mistake, run_notebook, tiny_data_module

from autograder.checks import find_check, load_checks
from autograder.paths import solution_dir

matplotlib.use("Agg")

A = "training_a_gan"
FULL_MARKS = 21          # the reference earns exactly this
GRADED_TOGETHER = True   # the contract grades the mistakes four at a time
MRF, TD, TG = "cell:make_real_and_fake", "cell:train_discriminator", "cell:train_generator"
G_LOSS = "loss = -torch.log(scores.clamp_min(EPS)).mean()"

MISTAKES = [
    Mistake("discriminator_output_detached", [(TD, "scores = discriminator(X)", "scores = discriminator(X).detach()")],
            ["train_discriminator_detach", "train_discriminator_device"]),
    Mistake("train_discriminator_returns_none", [(TD, "    return loss.detach()", "    return None")],
            ["train_discriminator_loss", "train_discriminator_device"], ["None"]),
    Mistake("no_detach_in_discriminator_step", [(TD, "    X = X.detach()\n", "")],
            ["train_discriminator_detach", "train_discriminator_hidden"], ["detach"]),
    Mistake("swapped_labels",
            [(MRF, "torch.full((N, 1), REAL_LABEL, device=device),                # (N, 1) of 1.0",
              "torch.full((N, 1), FAKE_LABEL, device=device),"),
             (MRF, "torch.full((N, 1), FAKE_LABEL, device=device),                # (N, 1) of 0.0",
              "torch.full((N, 1), REAL_LABEL, device=device),")],
            ["make_real_and_fake_batch", "make_real_and_fake_hidden"], ["swapped"]),
    Mistake("noise_from_torch_rand", [(MRF, "torch.randn(N, noise_dim", "torch.rand(N, noise_dim")],
            ["make_real_and_fake_batch", "make_real_and_fake_hidden"], ["torch.randn"]),
    Mistake("generator_loss_on_the_whole_mixed_batch", [(TG, "fake = X[fake_rows]", "fake = X")],
            ["train_generator_loss", "train_generator_hidden"], ["WHOLE", "FAKE_LABEL"]),
    Mistake("fakes_selected_by_the_real_label", [(TG, "(y == FAKE_LABEL)", "(y == REAL_LABEL)")],
            ["train_generator_loss", "train_generator_updates", "train_generator_hidden"],
            ["FAKE_LABEL"]),
    Mistake("fakes_selected_by_position", [(TG, "fake = X[fake_rows]", "fake = X[Nbatch:]")],
            ["train_generator_loss", "train_generator_hidden"], ["position"]),
    Mistake("bce_with_logits_on_probabilities",
            [(TD, "nn.functional.binary_cross_entropy(scores, y)",
              "nn.functional.binary_cross_entropy_with_logits(scores, y)")],
            ["train_discriminator_loss", "train_discriminator_hidden"], ["binary_cross_entropy"]),
    Mistake("no_zero_grad_in_discriminator_step", [(TD, "    opt.zero_grad()  ", "    pass  ")],
            ["train_discriminator_updates", "train_discriminator_hidden"], ["zero_grad"]),
    Mistake("generator_step_without_opt_step", [(TG, "    opt.step()  ", "    pass  ")],
            ["train_generator_updates", "training_steps", "train_generator_hidden"], ["opt.step()"]),
    Mistake("generator_ends_in_sigmoid", [("cell:make_generator", "nn.Tanh(),  ", "nn.Sigmoid(),")],
            ["make_generator_structure", "make_generator_structure_hidden"], ["Tanh"]),
    Mistake("discriminator_without_sigmoid", [("cell:make_discriminator", "        nn.Sigmoid(),", "")],
            ["make_discriminator_structure", "make_discriminator_structure_hidden"],
            ["Sigmoid"]),  # training_steps: blocked by make_discriminator, not charged twice
    # The text asks for a float or a 0-d tensor: a (1,)-shaped loss is neither, and is named.
    Mistake("generator_step_returns_a_tensor_of_shape_1",
            [(TG, "return loss.detach()", "return loss.detach().view(1)")],
            ["train_generator_loss", "training_steps", "train_generator_hidden"],
            ["tensor of shape (1,)", "0-d tensor"]),
    Mistake("discriminator_step_returns_a_tuple",
            [(TD, "return loss.detach()", "return loss.detach(), scores.detach()")],
            ["train_discriminator_loss", "train_discriminator_hidden"],
            ["tuple"]),  # training_steps: blocked by train_discriminator, not charged twice
    # Device bugs, caught on the CPU by the `meta` probe:
    Mistake("labels_made_on_the_cpu_seen_on_meta",
            [(MRF, "torch.full((N, 1), REAL_LABEL, device=device),", "torch.full((N, 1), REAL_LABEL),"),
             (MRF, "torch.full((N, 1), FAKE_LABEL, device=device),", "torch.full((N, 1), FAKE_LABEL),")],
            ["make_real_and_fake_device"], ["torch.full((N, 1), REAL_LABEL)"]),
    Mistake("real_images_left_on_the_cpu_seen_on_meta",
            [(MRF, "sample_mnist(N).to(device)", "sample_mnist(N)")],
            ["make_real_and_fake_device"], ["still on the CPU"]),
    Mistake("generator_loss_without_clamp", [(TG, G_LOSS, "loss = -torch.log(scores).mean()")],
            ["train_generator_clamp"], ["-log(0)", "clamp_min(EPS)"]),
    Mistake("generator_loss_clamped_at_a_large_epsilon",
            [(TG, G_LOSS, "loss = -torch.log(scores.clamp_min(1e-3)).mean()")],
            ["train_generator_clamp"], ["D >= EPS", "SMALL", "expected -log D"]),
]

# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "log_of_scores_plus_eps": [(TG, G_LOSS, "loss = -torch.log(scores + EPS).mean()")],
    "clamped_on_both_sides": [(TG, G_LOSS, "loss = -torch.log(scores.clamp(EPS, 1 - EPS)).mean()")],
    # Equivalent caps (#27): -log D wherever D >= EPS, finite below it, in value and gradient.
    "clamped_at_another_small_epsilon": [(TG, G_LOSS, "loss = -torch.log(scores.clamp_min(1e-8)).mean()")],
    "binary_cross_entropy_capped_at_100": [
        (TG, G_LOSS, "loss = nn.functional.binary_cross_entropy(scores, torch.ones_like(scores))")],
    "relu_hidden_layers": [("cell:make_generator", "nn.LeakyReLU(0.2),  ", "nn.ReLU(),  "),
                           ("cell:make_discriminator", "nn.LeakyReLU(0.2),  ", "nn.ReLU(),  ")],
    "student_helper_function": [
        (TG, "def train_generator(", "def fakes_of(X, y):\n    return X[(y == FAKE_LABEL).squeeze(1)]"
         "\n\n\ndef train_generator("),
        (TG, "fake = X[fake_rows]", "fake = fakes_of(X, y)")],
    # The loss value as a Python float (the original assignment's loss.item()), or as the loss
    # tensor itself, graph and all: the text accepts a float or a 0-d tensor.
    "returns_python_floats": [(TD, "return loss.detach()", "return loss.item()"),
                              (TG, "return loss.detach()", "return loss.item()")],
    "returns_the_loss_tensor_with_its_graph": [(TD, "return loss.detach()", "return loss"),
                                               (TG, "return loss.detach()", "return loss")],
    # The fakes by a boolean mask, as the text suggests (on a GPU: trained step by step)
    "fakes_selected_with_a_boolean_mask": [(TG, "fake = X[fake_rows]", "fake = X[is_fake]")],
    # #27: in-place detach_() of the mixed batch
    "detach_in_place": [(TD, "    X = X.detach()\n", "    X.detach_()\n")],
    # Layer sizes as numpy ints (np.prod gives a numpy.int64): correct code, which once killed
    # the grader's child (the size could not be written as JSON; issue 27).
    "np_prod_layer_sizes": [
        ("cell:make_generator", "nn.Linear(width, N_PIXELS),", "nn.Linear(width, np.prod(IMAGE_SHAPE)),"),
        ("cell:make_discriminator", "    width = N_PIXELS\n", "    width = np.prod(IMAGE_SHAPE)\n")],
}

# Only a GPU tells these apart from the reference: grading them needs CUDA.
GPU_MISTAKES = [
    Mistake("labels_made_on_the_cpu",
            [(MRF, "torch.full((N, 1), REAL_LABEL, device=device),", "torch.full((N, 1), REAL_LABEL),"),
             (MRF, "torch.full((N, 1), FAKE_LABEL, device=device),", "torch.full((N, 1), FAKE_LABEL),")],
            ["make_real_and_fake_batch", "make_real_and_fake_hidden"], ["device"]),
    # training_steps runs make_real_and_fake as written and fails on the GPU too, but the grader
    # does not charge a mistake twice: it is "Blocked by `make_real_and_fake`" and keeps its point.
    Mistake("real_images_left_on_the_cpu", [(MRF, "sample_mnist(N).to(device)", "sample_mnist(N)")],
            ["make_real_and_fake_batch"], ["device"], blocked=["training_steps"]),
]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks run in this process: extra threads only wait for each other on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


FLOAT_RETURNS = {"train_discriminator": [("return loss.detach()", "return loss.item()")],
                 "train_generator": [("return loss.detach()", "return loss.item()")]}


def run_reference_loop(monkeypatch, n_steps: int, student_edits: dict | None = None) -> dict:
    """The reference notebook as a student runs it (the training cell included), on tiny data,
    for ``n_steps`` steps of batch 8; ``student_edits`` change the student's cells."""
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module())
    recorded = "    train_step = capture(train_step, device=device)\n"
    edits = {
        **(student_edits or {}),
        "hyperparameters": [("BATCH_SIZE = 100", "BATCH_SIZE = 8")],
        "settings": [('N_STEPS = FULL_RUN_STEPS if device.type == "cuda" else QUICK_CPU_RUN_STEPS',
                      f"N_STEPS = {n_steps}"),
                     ("PLOT_EVERY = max(1, N_STEPS // 10)", "PLOT_EVERY = 10")],
        "training": [(recorded, recorded + "    initial = {k: v.clone() for k, v in "
                      "generator.state_dict().items()}\n")],
    }
    torch.manual_seed(0)
    try:
        return run_notebook(solution_dir(A) / "training_a_gan.ipynb", edits)
    finally:
        plt.close("all")


def assert_trained(ns: dict, n_steps: int) -> None:
    for losses in (ns["generator_losses"], ns["discriminator_losses"]):
        assert len(losses) == n_steps and all(isinstance(x, float) and math.isfinite(x) for x in losses)
    moved = [k for k, v in ns["generator"].state_dict().items() if not torch.equal(v, ns["initial"][k])]
    assert moved, f"{n_steps} training steps left the generator's weights unchanged"


@pytest.mark.parametrize("returns", ["0-d tensors (the reference)", "Python floats"])
def test_reference_notebook_trains_for_students(monkeypatch, returns):
    """The loop trains whether the student's steps return 0-d tensors or floats (on the CPU)."""
    student = FLOAT_RETURNS if returns == "Python floats" else {}
    ns = run_reference_loop(monkeypatch, 20, student)
    assert ns["score"] == 7, "the last self-check cell (train_generator) should give its 7 points"
    assert_trained(ns, 20)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_reference_loop_is_recorded_on_a_gpu(monkeypatch, capsys):
    """On a GPU the reference's training step is recorded as a CUDA graph, and it trains."""
    ns = run_reference_loop(monkeypatch, 30)
    assert ns["device"].type == "cuda"
    assert "could not be recorded" not in capsys.readouterr().out
    assert hasattr(ns["train_step"], "graph"), "the reference's step was not recorded"
    assert ns["TRAIN"].is_cuda, "sample_mnist should draw on the GPU during training"
    assert_trained(ns, 30)
    assert len(set(ns["generator_losses"])) > 1, "every replay gave the same loss: a frozen batch?"


# No GPU needed to test how device reports are judged: a CPU observation of the reference with
# the report a GPU run would add.
CUDA_REPORTS = {
    "make_real_and_fake_batch": [
        ({"X": "cuda", "y": "cpu", "noise": ["cuda"]}, "device=device"),
        ({"X": "cuda", "y": "cuda", "noise": ["cpu"]}, "noise was made on the CPU"),
        ({"error": "RuntimeError: Expected all tensors to be on the same device"}, ".to(device)"),
    ],
    "training_steps": [
        ({"error": "RuntimeError: Expected all tensors to be on the same device"}, "on a GPU failed"),
    ],
}


@pytest.fixture(scope="module")
def reference_namespace():
    """The reference notebook's code cells run as the grader runs them (self-checks left out)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAN_COURSE_GRADING", "1")
        mp.setitem(sys.modules, "gan_course.data", tiny_data_module())
        ns: dict = {"__name__": "__main__"}
        for cell in json.loads((solution_dir(A) / "training_a_gan.ipynb").read_text())["cells"]:
            if cell["cell_type"] == "code" and not cell["metadata"]["nbgrader"].get("grade"):
                exec(compile("".join(cell["source"]), "<cell>", "exec"), ns)
    return ns


@pytest.mark.parametrize("name, report, says",
                         [(n, r, s) for n, cases in CUDA_REPORTS.items() for r, s in cases])
def test_device_reports_are_judged_without_a_gpu(name, report, says, reference_namespace):
    check = find_check(load_checks(A), name)
    observation = check.observe(reference_namespace, check.params)
    assert check.judge(observation, check.params).passed
    verdict = check.judge(dict(observation, cuda=report), check.params)
    assert not verdict.passed and says in verdict.message, verdict.message
