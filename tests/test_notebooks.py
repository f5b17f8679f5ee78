"""The reference notebooks run top to bottom for students, training cell included.

The training cell must skip itself under a grader and run for students. Here each reference
notebook runs in-process with tiny settings (a few hundred images, one short epoch) and
``gan_course.data`` replaced by a small random stand-in, so the test is fast and needs no MNIST.
"""

from __future__ import annotations

import json
import sys

import matplotlib
import pytest
import torch
from helpers import run_notebook, tiny_data_module

from autograder.paths import solution_dir

matplotlib.use("Agg")

# assignment -> (notebook, {cell grade_id: [(old, new), ...]}, check of the namespace afterwards)
QUICK = {
    "first_gan": (
        "first_gan.ipynb",
        {"settings": [('n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS',
                       "n_epochs = 1"),
                      ("display_step = len(dataloader)", "display_step = 2")],
         "evaluate": [("evaluate(gen)", "evaluate(gen, n=200)")]},
        lambda ns: (ns["cur_step"] == 3 and ns["error"] is False
                    and len(ns["generator_losses"]) == 3),
    ),
    "dcgan": (
        "dcgan.ipynb",
        {"settings": [('n_epochs = FULL_RUN_EPOCHS if device.type == "cuda" else QUICK_CPU_RUN_EPOCHS',
                       "n_epochs = 1"),
                      ('display_step = len(dataloader) if device.type == "cuda" else 100',
                       "display_step = 2")],
         "evaluate": [("evaluate(gen)", "evaluate(gen, n=200)")]},
        lambda ns: (ns["cur_step"] == 3 and ns["error"] is False
                    and len(ns["generator_losses"]) == 3),
    ),
}


@pytest.mark.parametrize("assignment", list(QUICK))
def test_reference_notebook_trains_for_students(assignment, monkeypatch, tmp_path):
    notebook, edits, trained = QUICK[assignment]
    monkeypatch.chdir(tmp_path)  # the last cell saves generator.pt and evaluation/ here
    for var in ("GAN_COURSE_GRADING", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setitem(sys.modules, "gan_course.data", tiny_data_module())
    torch.manual_seed(0)
    ns = run_notebook(solution_dir(assignment) / notebook, edits)
    assert trained(ns), f"{assignment}: the training cell did not run as expected for a student"
    assert (tmp_path / "generator.pt").is_file() and ns["result"].n == 200, "the evaluation cell did not run"


NOTEBOOKS = sorted(p for p in solution_dir("x").parent.glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_training_cell_is_guarded(path):
    assignment = path.parent.name
    notebook = json.loads(path.read_text())
    training = [c for c in notebook["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("train")
                and c["cell_type"] == "code" and not c["metadata"]["nbgrader"].get("solution")]
    assert training, f"{assignment} has no provided training cell"
    for cell in training:
        assert "".join(cell["source"]).startswith("if not is_grading():"), (
            "the training cell must start with `if not is_grading():` so graders skip it")
