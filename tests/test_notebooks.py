"""The reference notebooks run top to bottom for students, training cell included.

The training cell must skip itself under a grader and run for students. Here each reference
notebook runs in-process with tiny settings (a few hundred images, one short epoch) and
``gan_course.data`` replaced by a small random stand-in, so the test is fast and needs no MNIST.
"""

from __future__ import annotations

import json
import sys
import types

import matplotlib
import pytest
import torch
from torch.utils.data import TensorDataset

from autograder.paths import solution_dir

matplotlib.use("Agg")

# assignment -> (notebook, {cell grade_id: [(old, new), ...]}, check of the namespace afterwards)
QUICK = {
    "first_gan": (
        "first_gan.ipynb",
        {"parameters": [("n_epochs = 200", "n_epochs = 1"), ("display_step = 500", "display_step = 2")]},
        lambda ns: ns["cur_step"] == 3 and ns["error"] is False,
    ),
}


def tiny_data_module(n: int = 300) -> types.ModuleType:
    module = types.ModuleType("gan_course.data")
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=g)
    labels = torch.arange(n) % 10

    def load_mnist(split="train", root=None):
        return images, labels

    def mnist_dataset(split="train", root=None, value_range=(0.0, 1.0)):
        lo, hi = value_range
        x = images.float().div(255).mul(hi - lo).add(lo).unsqueeze(1)
        return TensorDataset(x, labels)

    module.load_mnist, module.mnist_dataset = load_mnist, mnist_dataset
    return module


def run_notebook(path, edits: dict) -> dict:
    ns: dict = {"__name__": "__main__"}
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        source = "".join(cell["source"])
        for old, new in edits.get(gid, []):
            assert old in source, f"{old!r} not in cell {gid}"
            source = source.replace(old, new)
        exec(compile(source, f"<cell {gid}>", "exec"), ns)
    return ns


@pytest.mark.parametrize("assignment", list(QUICK))
def test_reference_notebook_trains_for_students(assignment, monkeypatch):
    notebook, edits, trained = QUICK[assignment]
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module())
    torch.manual_seed(0)
    ns = run_notebook(solution_dir(assignment) / notebook, edits)
    assert trained(ns), f"{assignment}: the training cell did not run as expected for a student"


@pytest.mark.parametrize("assignment", list(QUICK))
def test_training_cell_is_guarded(assignment):
    notebook = json.loads((solution_dir(assignment) / QUICK[assignment][0]).read_text())
    training = [c for c in notebook["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("train")
                and c["cell_type"] == "code" and not c["metadata"]["nbgrader"].get("solution")]
    assert training, f"{assignment} has no provided training cell"
    for cell in training:
        assert "".join(cell["source"]).startswith("if not is_grading():"), (
            "the training cell must start with `if not is_grading():` so graders skip it")
