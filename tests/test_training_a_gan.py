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
    Mistake("train_discriminator_returns_none", [(TD, "    return loss.item()", "    return None")],
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
    Mistake("generator_loss_on_the_whole_mixed_batch", [(TG, "fake = X[is_fake]", "fake = X")],
            ["train_generator_loss", "train_generator_hidden"], ["WHOLE", "FAKE_LABEL"]),
    Mistake("fakes_selected_by_the_real_label", [(TG, "(y == FAKE_LABEL)", "(y == REAL_LABEL)")],
            ["train_generator_loss", "train_generator_updates", "train_generator_hidden"],
            ["FAKE_LABEL"]),
    Mistake("fakes_selected_by_position", [(TG, "fake = X[is_fake]", "fake = X[Nbatch:]")],
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
    Mistake("generator_step_returns_a_tensor", [(TG, "return loss.item()", "return loss")],
            ["train_generator_loss", "training_steps"], [".item()"]),
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
    Mistake("generator_loss_clamped_at_another_epsilon",
            [(TG, G_LOSS, "loss = -torch.log(scores.clamp_min(1e-8)).mean()")],
            ["train_generator_clamp"], ["EPS = 1e-7", "not another epsilon"]),
    Mistake("generator_loss_as_binary_cross_entropy",
            [(TG, G_LOSS, "loss = nn.functional.binary_cross_entropy(scores, torch.ones_like(scores))")],
            ["train_generator_clamp"], ["binary_cross_entropy", "caps", "NOT the same"]),
]

# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "log_of_scores_plus_eps": [(TG, G_LOSS, "loss = -torch.log(scores + EPS).mean()")],
    "clamped_on_both_sides": [(TG, G_LOSS, "loss = -torch.log(scores.clamp(EPS, 1 - EPS)).mean()")],
    "relu_hidden_layers": [("cell:make_generator", "nn.LeakyReLU(0.2),  ", "nn.ReLU(),  "),
                           ("cell:make_discriminator", "nn.LeakyReLU(0.2),  ", "nn.ReLU(),  ")],
    "student_helper_function": [
        (TG, "def train_generator(", "def fakes_of(X, y):\n    return X[(y == FAKE_LABEL).squeeze(1)]"
         "\n\n\ndef train_generator("),
        (TG, "fake = X[is_fake]", "fake = fakes_of(X, y)")],
}

# Only a GPU tells these apart from the reference: grading them needs CUDA.
GPU_MISTAKES = [
    Mistake("labels_made_on_the_cpu",
            [(MRF, "torch.full((N, 1), REAL_LABEL, device=device),", "torch.full((N, 1), REAL_LABEL),"),
             (MRF, "torch.full((N, 1), FAKE_LABEL, device=device),", "torch.full((N, 1), FAKE_LABEL),")],
            ["make_real_and_fake_batch", "make_real_and_fake_hidden"], ["device"]),
    Mistake("real_images_left_on_the_cpu", [(MRF, "sample_mnist(N).to(device)", "sample_mnist(N)")],
            ["make_real_and_fake_batch", "training_steps"], ["device"]),
]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks run in this process: extra threads only wait for each other on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_reference_notebook_trains_for_students(monkeypatch):
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module())
    start = "    generator_losses, discriminator_losses = [], []\n"
    edits = {
        "hyperparameters": [("BATCH_SIZE = 100", "BATCH_SIZE = 8")],
        "settings": [('N_STEPS = FULL_RUN_STEPS if device.type == "cuda" else QUICK_CPU_RUN_STEPS', "N_STEPS = 20"),
                     ("PLOT_EVERY = max(1, N_STEPS // 10)", "PLOT_EVERY = 10")],
        "training": [(start, start + "    initial = {k: v.clone() for k, v in generator.state_dict().items()}\n")],
    }
    torch.manual_seed(0)
    try:
        ns = run_notebook(solution_dir(A) / "training_a_gan.ipynb", edits)
    finally:
        plt.close("all")
    assert ns["score"] == 7, "the last self-check cell (train_generator) should give its 7 points"
    for losses in (ns["generator_losses"], ns["discriminator_losses"]):
        assert len(losses) == 20 and all(isinstance(x, float) and math.isfinite(x) for x in losses)
    moved = [k for k, v in ns["generator"].state_dict().items() if not torch.equal(v, ns["initial"][k])]
    assert moved, "20 training steps left the generator's weights unchanged"


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
