"""dropout_gan: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``, ``GPU_MISTAKES``; the contract grades its mistakes four at a time, each submission in
its own child process), and the tests of its own (more mistakes judged in process, the reference
notebook as students run it, the device reports judged without a GPU).
"""

from __future__ import annotations

import json
import math
import sys

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from helpers import Mistake, assert_fails_as_named, run_notebook, tiny_data_module

from autograder.checks import find_check, load_checks
from autograder.child.errors import describe_error
from autograder.grading.grade import judge
from autograder.grading.results import CheckResult, Result
from autograder.paths import solution_dir

matplotlib.use("Agg")

A = "dropout_gan"
FULL_MARKS = 20          # the reference earns exactly this
GRADED_TOGETHER = True   # the contract grades the mistakes four at a time
DISC, GEN = "cell:MNISTDiscriminator", "cell:MNISTGenerator"
DS, GS = "cell:discriminator_step", "cell:generator_step"
DROPOUT_LINE = "            nn.Dropout(p=0.2),\n"

MISTAKES = [
    Mistake("discriminator_output_detached_instead_of_fakes",
            [(DS, "generated_images = generator(noise).detach()", "generated_images = generator(noise)"),
             (DS, "gen_discriminator_pred = discriminator(generated_images)",
              "gen_discriminator_pred = discriminator(generated_images).detach()")],
            ["discriminator_step_detach"], ["no gradient from its score on the fakes"]),
    Mistake("discriminator_step_returns_none",
            [(DS, "    return disc_loss.detach()", "    return None")],
            ["discriminator_step_loss", "discriminator_step_device"], ["None"]),
    Mistake("no_detach_in_discriminator_step",
            [(DS, "generated_images = generator(noise).detach()", "generated_images = generator(noise)")],
            ["discriminator_step_detach", "discriminator_step_hidden"], ["detach"]),
    Mistake("swapped_labels",
            [(DS, "torch.full_like(real_discriminator_pred, REAL_LABEL)",
              "torch.full_like(real_discriminator_pred, FAKE_LABEL)"),
             (DS, "torch.full_like(gen_discriminator_pred, FAKE_LABEL)",
              "torch.full_like(gen_discriminator_pred, REAL_LABEL)")],
            ["discriminator_step_loss", "discriminator_step_hidden"], ["swapped"]),
    Mistake("loss_summed_not_averaged",
            [(DS, "disc_loss = (real_loss + fake_loss) / 2", "disc_loss = real_loss + fake_loss")],
            ["discriminator_step_loss", "discriminator_step_hidden"], ["average"]),
    Mistake("sigmoid_before_bce_with_logits",
            [(DS, "loss_func(real_discriminator_pred, true_labels)",
              "loss_func(torch.sigmoid(real_discriminator_pred), true_labels)"),
             (DS, "loss_func(gen_discriminator_pred, generated_labels)",
              "loss_func(torch.sigmoid(gen_discriminator_pred), generated_labels)")],
            ["discriminator_step_loss", "discriminator_step_hidden"], ["BCEWithLogitsLoss"]),
    Mistake("no_zero_grad_in_discriminator_step",
            [(DS, "    disc_optimizer.zero_grad()   #", "    pass  #")],
            ["discriminator_step_updates", "discriminator_step_hidden"], ["zero_grad"]),
    Mistake("sigmoid_layer_at_the_discriminator_end",
            [(DISC, "nn.Linear(256, 1),      #", "nn.Linear(256, 1), nn.Sigmoid(),  #")],
            ["MNISTDiscriminator_layers", "MNISTDiscriminator_hidden"], ["Sigmoid"]),
    Mistake("discriminator_forward_does_not_flatten",
            [(DISC, "x = x.reshape(batch_size, -1)   # (B, 784)", "pass")],
            ["MNISTDiscriminator_forward", "MNISTDiscriminator_hidden"],
            ["flatten"]),  # training_steps: blocked by MNISTDiscriminator, not charged twice
    Mistake("generator_without_dropout", [(GEN, DROPOUT_LINE, "")],
            ["MNISTGenerator_layers", "MNISTGenerator_dropout", "MNISTGenerator_hidden"],
            ["Dropout"]),
    Mistake("relu_instead_of_leaky_relu_in_generator",
            [(GEN, "nn.LeakyReLU(),", "nn.ReLU(),")],
            ["MNISTGenerator_layers", "MNISTGenerator_hidden"], ["LeakyReLU"]),
    Mistake("generator_output_not_reshaped",
            [(GEN, "return generated.reshape(batch_size, 1, 28, 28)", "return generated")],
            ["MNISTGenerator_output", "MNISTGenerator_hidden"], ["reshape(batch_size, 1, 28, 28)"]),
    Mistake("generator_step_with_zeros_target",
            [(GS, "torch.full_like(gen_discriminator_pred, REAL_LABEL)",
              "torch.full_like(gen_discriminator_pred, FAKE_LABEL)")],
            ["generator_step_loss", "generator_step_hidden"], ["FAKE label"]),
    Mistake("discriminator_optimizer_in_generator_step",
            [(GS, "gen_optimizer.step()         #", "disc_optimizer.step()        #")],
            ["generator_step_loss", "generator_step_updates", "generator_step_hidden",
             "training_steps"], ["disc_optimizer"]),
    Mistake("generator_step_detaches_the_fakes",
            [(GS, "generated_images = generator(noise) ", "generated_images = generator(noise).detach() ")],
            ["generator_step_updates", "generator_step_hidden", "training_steps"], ["detach"]),
    # #27: detach_() passes the step's checks (the stand-in's fakes are fresh tensors), but the
    # notebook's MNISTGenerator returns a view (reshape), which detach_() refuses: only the
    # training run with the student's own networks fails
    Mistake("detach_in_place_on_the_generators_view",
            [(DS, "generated_images = generator(noise).detach() ",
              "generated_images = generator(noise)\n    generated_images.detach_()")],
            ["training_steps"], ["detach"]),
]

# More mistakes, judged in this process on the reference namespace with the edits applied (the
# same observe and judge functions, without the sandbox's start-up time).
IN_PROCESS_MISTAKES = [
    Mistake("sigmoid_in_discriminator_forward",
            [(DISC, "return self.discriminator(x)", "return torch.sigmoid(self.discriminator(x))")],
            ["MNISTDiscriminator_forward", "MNISTDiscriminator_hidden"], ["no sigmoid"]),
    Mistake("discriminator_dropout_p_0_5",
            [(DISC, "nn.Dropout(p=0.2)", "nn.Dropout(p=0.5)")],
            ["MNISTDiscriminator_layers", "MNISTDiscriminator_hidden"], ["p=0.2"]),
    Mistake("discriminator_leaky_relu_slope_0_2",
            [(DISC, "nn.LeakyReLU(),", "nn.LeakyReLU(0.2),")],
            ["MNISTDiscriminator_layers", "MNISTDiscriminator_hidden"], ["0.01"]),
    # The text asks for a float or a 0-d tensor: a (1,)-shaped loss is neither, and is named.
    Mistake("discriminator_step_returns_a_tensor_of_shape_1",
            [(DS, "return disc_loss.detach()", "return disc_loss.detach().reshape(1)")],
            ["discriminator_step_loss"], ["tensor of shape (1,)", "0-d tensor"]),
    Mistake("generator_step_returns_a_list",
            [(GS, "return generator_loss.detach()", "return [generator_loss.item()]")],
            ["generator_step_loss", "generator_step_device"], ["list"]),
    Mistake("discriminator_left_in_eval_after_generator_step",
            [(GS, "    generated_images = generator(noise)  ",
              "    discriminator.eval()\n    generated_images = generator(noise)  ")],
            ["generator_step_repeated"], ["discriminator stayed in eval() mode", ".train()"]),
    Mistake("discriminator_in_eval_while_it_learns",
            [(DS, "    real_discriminator_pred = discriminator(images)  ",
              "    discriminator.eval()\n    real_discriminator_pred = discriminator(images)  "),
             (DS, "    return disc_loss.detach()", "    discriminator.train()\n    return disc_loss.detach()")],
            ["discriminator_step_repeated"], ["eval() mode while it learns", "dropout was off"]),
    Mistake("generator_step_caches_its_noise",
            [(GS, "    noise = torch.randn(batch_size, latent_dim, device=device)  # (B, latent_dim), fresh noise",
              "    if not hasattr(generator_step, 'noise'):\n"
              "        generator_step.noise = torch.randn(batch_size, latent_dim, device=device)\n"
              "    noise = generator_step.noise")],
            ["generator_step_repeated"], ["SAME noise"]),
    Mistake("discriminator_step_caches_its_noise",
            [(DS, "    noise = torch.randn(batch_size, latent_dim, device=images.device)  # (B, latent_dim)",
              "    if not hasattr(discriminator_step, 'noise'):\n"
              "        discriminator_step.noise = torch.randn(batch_size, latent_dim, device=images.device)\n"
              "    noise = discriminator_step.noise")],
            ["discriminator_step_repeated"], ["SAME noise"]),
]

# Correct solutions in other styles: each must keep full marks.
STYLES = {
    # The loss value as a Python float (the seed's .item()), or as the loss tensor itself, graph
    # and all: the text accepts a float or a 0-d tensor.
    "returns_python_floats": [(DS, "return disc_loss.detach()", "return disc_loss.item()"),
                              (GS, "return generator_loss.detach()", "return generator_loss.item()")],
    "returns_the_loss_tensors_with_their_graph": [
        (DS, "return disc_loss.detach()", "return disc_loss"),
        (GS, "return generator_loss.detach()", "return generator_loss")],
    "no_grad_instead_of_detach": [
        (DS, "    generated_images = generator(noise).detach()  ",
         "    with torch.no_grad():\n        generated_images = generator(noise)\n    pass  ")],
    "one_discriminator_call_on_concatenated_batches": [
        (DS, "    real_discriminator_pred = discriminator(images)  ",
         "    both_pred = discriminator(torch.cat([images, generated_images]))  # (2B, 1)\n"
         "    real_discriminator_pred = both_pred[:batch_size]  "),
        (DS, "    gen_discriminator_pred = discriminator(generated_images)  ",
         "    gen_discriminator_pred = both_pred[batch_size:]  ")],
    "student_helper_function": [
        (GS, "def generator_step(", "def real_targets(pred):\n    return torch.ones_like(pred)"
         "\n\n\ndef generator_step("),
        (GS, "torch.full_like(gen_discriminator_pred, REAL_LABEL)", "real_targets(gen_discriminator_pred)")],
    "networks_switched_for_a_moment_and_restored": [
        (GS, "    generated_images = generator(noise)  ",
         "    discriminator.eval()\n    generated_images = generator(noise)  "),
        (GS, "    gen_optimizer.zero_grad()  ", "    discriminator.train()\n    gen_optimizer.zero_grad()  ")],
    # #27: detach_() on fakes that are the generator's own tensor (Unflatten before the Tanh)
    "detach_in_place_with_a_generator_that_returns_its_own_tensor": [
        ("cell:MNISTGenerator", "            nn.Tanh(),                   # (B, 784), values in [-1, 1]",
         "            nn.Unflatten(1, (1, 28, 28)), # (B, 1, 28, 28)\n"
         "            nn.Tanh(),                   # values in [-1, 1]"),
        ("cell:MNISTGenerator", "        return generated.reshape(batch_size, 1, 28, 28)       # (B, 1, 28, 28)",
         "        return generated"),
        (DS, "generated_images = generator(noise).detach() ",
         "generated_images = generator(noise)\n    generated_images.detach_()")],
    # Layer sizes as numpy ints (np.prod gives a numpy.int64): correct code, which once killed
    # the grader's child (the size could not be written as JSON; issue 27).
    "np_prod_layer_sizes": [
        ("cell:MNISTDiscriminator", "nn.Linear(784, 1024),", "nn.Linear(np.prod((28, 28)), 1024),"),
        ("cell:MNISTGenerator", "nn.Linear(1024, 784),", "nn.Linear(1024, np.prod((28, 28))),")],
}

# Only a GPU tells these apart from the reference: grading them needs CUDA.
GPU_MISTAKES = [
    Mistake("discriminator_noise_on_the_cpu",
            [(DS, "torch.randn(batch_size, latent_dim, device=images.device)",
              "torch.randn(batch_size, latent_dim)")],
            ["discriminator_step_loss", "discriminator_step_hidden"], ["device"]),
    Mistake("generator_noise_on_the_cpu",
            [(GS, "torch.randn(batch_size, latent_dim, device=device)",
              "torch.randn(batch_size, latent_dim)")],
            ["generator_step_loss", "generator_step_hidden"], ["device"]),
]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks run in this process: extra threads only wait for each other on a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


FLOAT_RETURNS = {"discriminator_step": [("return disc_loss.detach()", "return disc_loss.item()")],
                 "generator_step": [("return generator_loss.detach()", "return generator_loss.item()")]}


def run_reference_loop(monkeypatch, n_epochs: int, student_edits: dict | None = None) -> dict:
    """The reference notebook as a student runs it (the training cell included), on 200 tiny
    images in batches of 64 (the last one smaller), for ``n_epochs``; ``student_edits`` change
    the student's cells."""
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module(200))
    start = "    fixed_noise = torch.randn(64, latent_dim, device=device)"
    edits = {
        **(student_edits or {}),
        "parameters": [("batch_size = 128 ", "batch_size = 64 ")],
        "settings": [('n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS',
                      f"n_epochs = {n_epochs}")],
        "training": [(start, "    initial = {k: v.clone() for k, v in generator.state_dict().items()}\n"
                             + start)],
    }
    torch.manual_seed(0)
    try:
        return run_notebook(solution_dir(A) / "dropout_gan.ipynb", edits)
    finally:
        plt.close("all")


def assert_trained(ns: dict, n_epochs: int) -> None:
    for losses in (ns["generator_epoch_losses"], ns["discriminator_epoch_losses"]):
        assert len(losses) == n_epochs and all(math.isfinite(x) for x in losses), losses
    moved = [k for k, v in ns["generator"].state_dict().items() if not torch.equal(v, ns["initial"][k])]
    assert moved, f"{n_epochs} epochs of training left the generator's weights unchanged"
    assert not ns["generator"].training, "the samples are drawn in eval() mode"


@pytest.mark.parametrize("returns", ["0-d tensors (the reference)", "Python floats"])
def test_reference_notebook_trains_for_students(monkeypatch, returns):
    """The loop trains whether the student's steps return 0-d tensors or floats (on the CPU)."""
    ns = run_reference_loop(monkeypatch, 2, FLOAT_RETURNS if returns == "Python floats" else {})
    assert ns["score"] == 6, "the last self-check cell (generator_step) should give its 6 points"
    assert_trained(ns, 2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_reference_loop_is_recorded_on_a_gpu(monkeypatch, capsys):
    """On a GPU the reference's training step is recorded as a CUDA graph (the smaller last
    batch of each epoch runs step by step), and it trains."""
    ns = run_reference_loop(monkeypatch, 3)
    assert ns["device"].type == "cuda"
    assert "could not be recorded" not in capsys.readouterr().out
    assert hasattr(ns["train_step"], "graph"), "the reference's step was not recorded"
    assert_trained(ns, 3)


# No GPU needed to test how device reports are judged: a CPU observation of the reference with
# the report a GPU run would add.
CUDA_REPORTS = {
    "discriminator_step_loss": [
        ({"loss": 0.7, "noise": ["cpu"]}, "noise on the CPU"),
        ({"error": "RuntimeError: Expected all tensors to be on the same device"}, "images.device"),
    ],
    "generator_step_loss": [
        ({"loss": 0.7, "noise": ["cpu"]}, "device=device"),
    ],
    "training_steps": [
        ({"error": "RuntimeError: Expected all tensors to be on the same device"}, "on a GPU"),
    ],
}


def grader_namespace(edits=()) -> dict:
    """The reference notebook's code cells, with ``edits``, run as the grader runs them.

    Self-check cells are left out and the training cells skip themselves (GAN_COURSE_GRADING).
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAN_COURSE_GRADING", "1")
        mp.setitem(sys.modules, "gan_course.data", tiny_data_module())
        ns: dict = {"__name__": "__main__"}
        for cell in json.loads((solution_dir(A) / "dropout_gan.ipynb").read_text())["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] != "code" or meta.get("grade"):
                continue
            source = "".join(cell["source"])
            for target, old, new in edits:
                if target == f"cell:{meta['grade_id']}":
                    assert old in source, f"{old!r} not in cell {meta['grade_id']}"
                    source = source.replace(old, new)
            exec(compile(source, f"<cell {meta['grade_id']}>", "exec"), ns)
    return ns


def judged_in_process(ns: dict) -> Result:
    """Every check observed on ``ns`` and judged, as the grader would (without the sandbox)."""
    result = Result(assignment=A, source="in process")
    for c in load_checks(A):
        try:
            outcome = {"observation": c.observe(ns, c.params)}
        except Exception as exc:  # noqa: BLE001 - every failure becomes feedback, as in the child
            outcome = {"error": describe_error(exc)}
        verdict = judge(c, outcome)
        result.checks.append(CheckResult(c.name, c.group, c.title, c.points if verdict.passed else 0.0,
                                         c.points, verdict.message, c.visibility))
    return result


@pytest.mark.parametrize("mistake", IN_PROCESS_MISTAKES, ids=lambda m: m.name)
def test_more_mistakes_lose_points_when_judged_in_process(mistake, reference_results):
    assert_fails_as_named(judged_in_process(grader_namespace(mistake.edits)), mistake,
                          reference_results(A).score)


@pytest.fixture(scope="module")
def reference_namespace():
    return grader_namespace()


@pytest.mark.parametrize("name, report, says",
                         [(n, r, s) for n, cases in CUDA_REPORTS.items() for r, s in cases])
def test_device_reports_are_judged_without_a_gpu(name, report, says, reference_namespace):
    check = find_check(load_checks(A), name)
    observation = check.observe(reference_namespace, check.params)
    assert check.judge(observation, check.params).passed
    verdict = check.judge(dict(observation, cuda=report), check.params)
    assert not verdict.passed and says in verdict.message, verdict.message
