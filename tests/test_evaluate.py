"""The evaluator (gan_course.evaluate), ``python -m autograder evaluate`` and the graded
trained-generator check of gan_project (autograder.probes.trained).

Nothing here trains a GAN or the classifier: the classifier's weights ship with the course, and
the reference gan_project checkpoint (``solutions/gan_project/checkpoint.pt``) was written by
``bench/evaluator_calibration.py``. Generators of the five assignments are the reference classes
with their initial (untrained) weights, so their checkpoints are tiny or quick to make.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
import torch
from helpers import submission_from

from autograder.checks import Assignment, find_check, load_checks
from autograder.grading import sandbox, submission
from autograder.grading.grade import grade, judge
from autograder.paths import release_dir, solution_dir
from autograder.probes import trained
from gan_course import classifier
from gan_course import evaluate as ev

A = "gan_project"
ASSIGNMENTS = ["first_gan", "gan_tutorial", "training_a_gan", "dropout_gan", "gan_project", "dcgan"]
NOTEBOOKS = [a for a in ASSIGNMENTS if a != "gan_project"]
REAL_MNIST = os.environ.get("GAN_COURSE_DATA")
REFERENCE_CHECKPOINT = solution_dir(A) / "checkpoint.pt"
TWO_MB = 2 * 2**20


# --- building each assignment's reference generator (untrained) ----------------------------

def notebook_namespace(assignment: str, monkeypatch) -> dict:
    """The reference notebook's code cells run as under a grader (no training, no MNIST),
    self-check cells left out."""
    monkeypatch.setenv("GAN_COURSE_GRADING", "1")
    ns: dict = {"__name__": "__main__"}
    cells = json.loads((solution_dir(assignment) / f"{assignment}.ipynb").read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "check(" not in source:
            exec(compile(source, f"<{assignment}>", "exec"), ns)
    return ns


def project_models():
    spec_ = importlib.util.spec_from_file_location("models", solution_dir(A) / "models.py")
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    return module


def reference_generator(assignment: str, monkeypatch, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    if assignment == A:
        return project_models().GeneratorMLP(**kwargs)
    ns = notebook_namespace(assignment, monkeypatch)
    return eval(trained.RECIPES[assignment].build, ns)


# --- the classifier -----------------------------------------------------------------------

def test_shipped_classifier_files_are_small():
    assert classifier.WEIGHTS_PATH.stat().st_size <= TWO_MB
    assert classifier.STATS_PATH.stat().st_size <= TWO_MB
    mean, cov = classifier.load_reference_stats()
    assert mean.shape == (classifier.FEATURES,) and cov.shape == (classifier.FEATURES,) * 2
    assert torch.allclose(cov, cov.T)


@pytest.mark.mnist
@pytest.mark.skipif(not REAL_MNIST, reason="set GAN_COURSE_DATA to the real MNIST folder")
def test_shipped_classifier_is_99_percent_accurate_on_mnist_test(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    images, labels = classifier._mnist("test")
    accuracy = classifier.accuracy(classifier.load_classifier(), images, labels)
    assert accuracy >= 0.99, f"test accuracy {accuracy:.4f}"


@pytest.mark.mnist
@pytest.mark.skipif(not REAL_MNIST, reason="set GAN_COURSE_DATA to the real MNIST folder")
def test_real_digits_are_close_to_mnist_and_noise_is_far(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    images, labels = classifier._mnist("train")
    real = ev.evaluate_images(images[:2000])
    assert real.digits_present == 10 and real.confident_share > 0.95
    assert real.frechet_distance < trained.MAX_DISTANCE / 10
    ones = ev.evaluate_images(images[labels == 1][:2000])
    assert ones.digits_present == 1 and "mode collapse" in ones.verdict and "1s" in ones.verdict
    noise = ev.evaluate_images(torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(0)))
    assert noise.frechet_distance > trained.MAX_DISTANCE


# --- the evaluator's parts ---------------------------------------------------------------

def test_frechet_distance_of_equal_statistics_is_zero_and_a_shift_adds_its_square():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 6, generator=g, dtype=torch.float64)
    mean, cov = classifier.feature_stats(x)
    assert ev.frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-6)
    shift = torch.tensor([3.0, 0, 0, 0, 0, 4.0], dtype=torch.float64)
    assert ev.frechet_distance(mean + shift, cov, mean, cov) == pytest.approx(25.0, rel=1e-6)


@pytest.mark.parametrize("shape", [(7, 784), (7, 28, 28), (7, 1, 28, 28)])
@pytest.mark.parametrize("value_range", [(0.0, 1.0), (-1.0, 1.0)])
def test_images_of_every_course_shape_and_range_become_unit_images(shape, value_range):
    lo, hi = value_range
    x = torch.linspace(lo, hi, 7 * 784).reshape(shape)
    unit = ev.to_unit_images(x)                                     # range detected
    assert unit.shape == (7, 1, 28, 28)
    assert unit.min() == 0.0 and unit.max() == 1.0
    assert torch.allclose(unit, ev.to_unit_images(x, value_range))
    with pytest.raises(ValueError, match="784"):
        ev.to_unit_images(torch.zeros(3, 1, 14, 14))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignments_generator_plugs_in_as_it_is(assignment, monkeypatch, tmp_path):
    generator = reference_generator(assignment, monkeypatch)
    generator.train()
    expected_noise = {"first_gan": 64, "gan_tutorial": 100, "training_a_gan": 100, "dropout_gan": 100,
                      "gan_project": 32, "dcgan": 64}[assignment]
    assert ev.noise_size(generator) == expected_noise
    expected_range = (0.0, 1.0) if assignment in ("first_gan", "gan_tutorial") else (-1.0, 1.0)
    assert ev.output_range(generator) == expected_range
    state = torch.get_rng_state()
    result = ev.evaluate(generator, n=150, out_dir=tmp_path, show=False, quiet=True)
    assert torch.equal(state, torch.get_rng_state()), "evaluate must not touch the global random state"
    assert generator.training, "evaluate must give the generator back in the mode it was in"
    assert result.n == 150 and sum(result.digit_shares) == pytest.approx(1.0, abs=1e-3)
    assert 0 <= result.digits_present <= 10 and 0.0 <= result.confident_share <= 1.0
    assert result.verdict and result.frechet_distance > 0
    for name in ("samples", "digit_shares"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_a_gan_object_is_evaluated_through_its_generator(monkeypatch):
    sys.path.insert(0, str(solution_dir(A)))
    try:
        import train_torch

        model = train_torch.GAN([16], [16], 0.0, 0.0, z_dim=5, lr=1e-3)
    finally:
        sys.path.remove(str(solution_dir(A)))
    assert ev.noise_size(model) == 5
    assert ev.evaluate(model, n=50, out_dir=None, quiet=True).n == 50


def test_evaluate_prints_the_figures_and_a_verdict(capsys):
    x = torch.zeros(100, 1, 28, 28)
    result = ev.evaluate(x, out_dir=None)
    out = capsys.readouterr().out
    assert "Fréchet distance" in out and "verdict:" in out and result.verdict in out


def test_the_verdict_names_a_collapse_and_its_digits():
    shares = [0.0] * 10
    shares[1], shares[7] = 0.6, 0.4
    words = ev.verdict(shares, present=2, confident=0.95, distance=200.0)
    assert words == "mostly 1s and 7s: 2 of 10 digits, likely mode collapse"
    assert "close to MNIST" in ev.verdict([0.1] * 10, present=10, confident=0.97, distance=3.0)
    assert "unrecognisable" in ev.verdict([0.1] * 10, present=10, confident=0.1, distance=300.0)


def test_the_tracker_records_every_n_steps_and_does_nothing_under_a_grader(monkeypatch, tmp_path):
    monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    generator = project_models().GeneratorMLP(z_dim=4, hidden_dims=[8])
    tracker = ev.Tracker(every=2, n=40, verbose=False)
    for step in range(5):
        tracker.update(generator, step)
    assert tracker.steps == [0, 2, 4] and len(tracker.history) == 3
    counting = ev.Tracker(every=2, n=40, verbose=False)
    for _ in range(5):
        counting.update(generator)                  # no step: the calls are counted
    assert counting.steps == [2, 4]
    assert tracker.plot(tmp_path / "tracked.png", show=False) is not None
    assert (tmp_path / "tracked.png").is_file()

    monkeypatch.setenv("GAN_COURSE_GRADING", "1")
    grading = ev.Tracker(every=1, n=40)
    assert grading.update(generator, 0) is None and grading.history == []
    assert grading.plot() is None


# --- the notebooks ------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_every_notebook_ends_with_a_guarded_evaluation_and_tracks_its_training(assignment):
    cells = json.loads((solution_dir(assignment) / f"{assignment}.ipynb").read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    last = code[-1]
    source = "".join(last["source"])
    assert last["metadata"]["nbgrader"]["grade_id"] == "evaluate"
    assert not last["metadata"]["nbgrader"].get("solution"), "the evaluation cell is provided"
    assert source.startswith("if not is_grading():"), "graders must skip the evaluation cell"
    assert '"generator.pt"' in source and "evaluate(" in source
    everything = "".join("".join(c["source"]) for c in code)
    assert "tracker.update(" in everything and "tracker.plot()" in everything
    training = [c for c in code if c["metadata"].get("nbgrader", {}).get("grade_id") == "training"]
    assert "tracker.plot()" in "".join(training[0]["source"])


def test_the_project_logs_the_evaluation_to_tensorboard():
    for name in ("train_torch.py", "train_pl.py"):
        assert "log_to_tensorboard(" in (solution_dir(A) / name).read_text(), name


def test_log_to_tensorboard_writes_scalars_and_figures(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_GRADING", raising=False)
    calls = []

    class Writer:
        def add_scalar(self, tag, value, step):
            calls.append(tag)

        def add_figure(self, tag, figure, step):
            calls.append(tag)

    result = ev.log_to_tensorboard(Writer(), project_models().GeneratorMLP(z_dim=4, hidden_dims=[8]), 3, n=40)
    assert result.n == 40
    assert {"evaluation/frechet_distance", "evaluation/digits_present", "evaluation/samples",
            "evaluation/digit_shares"} <= set(calls)


# --- python -m autograder evaluate --------------------------------------------------------

def save_tiny_project_checkpoint(folder: Path) -> None:
    torch.manual_seed(0)
    generator = project_models().GeneratorMLP(z_dim=4, hidden_dims=[8], dp_rate=0.0)
    (folder / "GAN_logs").mkdir(exist_ok=True)
    torch.save({"epoch": 1, "model": {f"generator.{k}": v for k, v in generator.state_dict().items()},
                "args": {"z_dim": 4, "hidden_dims_gen": [8], "dp_rate_gen": 0.0}},
               folder / "GAN_logs" / "checkpoint.pt")


def test_evaluate_verb_on_a_tiny_project_checkpoint_writes_json_and_pngs(tmp_path, capsys):
    from autograder.__main__ import main

    folder = submission_from(A, tmp_path / "submission")
    (folder / "checkpoint.pt").unlink(missing_ok=True)        # the tiny one below is found instead
    save_tiny_project_checkpoint(folder)
    out = tmp_path / "figures"
    assert main(["evaluate", A, str(folder / "GAN_logs" / "checkpoint.pt"), "--out", str(out), "--n", "300"]) == 0
    printed = capsys.readouterr().out
    assert "Fréchet distance" in printed and "verdict:" in printed
    data = json.loads((out / "evaluation.json").read_text())
    assert data["n"] == 300 and data["checkpoint"] == "GAN_logs/checkpoint.pt"
    assert len(data["digit_shares"]) == 10 and {"frechet_distance", "digits_present", "verdict"} <= set(data)
    assert (out / "samples.png").is_file() and (out / "digit_shares.png").is_file()


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_evaluate_verb_on_each_notebooks_generator_pt(assignment, tmp_path, monkeypatch):
    folder = submission_from(assignment, tmp_path / "submission")
    torch.save(reference_generator(assignment, monkeypatch).state_dict(), folder / "generator.pt")
    monkeypatch.delenv("GAN_COURSE_GRADING")
    from autograder.grading.evaluate import evaluate_checkpoint

    result, images, found = evaluate_checkpoint(assignment, folder, n=200)
    assert found == "generator.pt" and result.n == 200 and images.shape == (200, 1, 28, 28)


def test_evaluate_verb_explains_a_missing_checkpoint(tmp_path, capsys):
    from autograder.__main__ import main

    folder = submission_from("first_gan", tmp_path / "submission")
    assert main(["evaluate", "first_gan", str(folder), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "generator.pt" in out and "torch.save(gen.state_dict()" in out


# --- the graded trained-generator check ---------------------------------------------------

def trained_check():
    return find_check(load_checks(A), "trained_generator")


def run_trained_check(folder: Path):
    """Only the trained-generator check, through the sandbox as when grading: (verdict, score)."""
    check = trained_check()
    program = submission.load(Assignment.load(A), folder)
    trained.attach(program, [check], A, folder)
    request = {"assignment": A, "kind": program.kind, "cells": program.cells, "modules": program.modules,
               "checks": [{"name": check.name, "params": check.params}]}
    steps = [(s, 60.0) for s in program.setup_steps] + [(check.name, check.timeout)]
    run = sandbox.observe(request, steps, program.files)
    verdict = judge(check, run.steps.get(check.name))
    return verdict, check.points * (verdict.score if verdict.score is not None else float(verdict.passed))


def test_the_reference_checkpoint_is_small_and_the_release_has_none():
    assert REFERENCE_CHECKPOINT.stat().st_size <= TWO_MB
    assert not (release_dir(A) / "checkpoint.pt").exists(), "the release must not ship the trained checkpoint"


def test_the_reference_checkpoint_passes_the_trained_generator_check(reference_results):
    check = {c.name: c for c in reference_results(A).checks}["trained_generator"]
    assert check.passed and check.score == check.max_score > 0, check.message


def test_the_release_gets_not_implemented_on_the_trained_generator_check(release_results):
    check = {c.name: c for c in release_results(A).checks}["trained_generator"]
    assert check.score == 0 and "Not implemented yet" in check.message


def test_a_collapsed_generator_fails_on_digits(tmp_path):
    folder = submission_from(A, tmp_path / "collapsed")
    ckpt = torch.load(REFERENCE_CHECKPOINT, weights_only=True)
    ckpt["model"]["generator.layers.0.weight"].zero_()       # every z gives the same image
    torch.save(ckpt, folder / "checkpoint.pt")
    verdict, score = run_trained_check(folder)
    assert not verdict.passed and 0 < score < trained_check().points
    assert "1 of 10 digits" in verdict.message and "mode collapse" in verdict.message


def test_an_untrained_generator_fails(tmp_path):
    folder = submission_from(A, tmp_path / "untrained")
    torch.manual_seed(0)
    generator = project_models().GeneratorMLP()
    args = torch.load(REFERENCE_CHECKPOINT, weights_only=True)["args"]
    torch.save({"model": {f"generator.{k}": v for k, v in generator.state_dict().items()}, "args": args},
               folder / "checkpoint.pt")
    verdict, score = run_trained_check(folder)
    assert not verdict.passed and score <= trained_check().points * trained.PART_LOADS + 1e-9
    assert "too far from MNIST" in verdict.message


class Malicious:
    """Unpickling this runs a shell command: what weights_only=True must refuse."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_is_never_run_and_zeroes_only_its_check(tmp_path):
    marker = tmp_path / "pwned"
    folder = submission_from(A, tmp_path / "malicious")
    torch.save({"model": Malicious(marker), "args": {}}, folder / "checkpoint.pt")
    with open(folder / "checkpoint.pt", "rb") as f:                # the fixture really is malicious:
        assert f.read(2) == b"PK"                                  # a torch zip holding a pickle
    result = grade(A, folder)
    checks = {c.name: c for c in result.checks}
    assert checks["trained_generator"].score == 0
    assert "could not be loaded safely" in checks["trained_generator"].message
    assert "weights_only=True" in checks["trained_generator"].message
    others = {n: c.message for n, c in checks.items() if n != "trained_generator" and not c.passed}
    assert not others, f"a malicious checkpoint must cost only its own check: {others}"
    assert not marker.exists(), "the pickle's command ran"
    torch.load(folder / "checkpoint.pt", weights_only=False)      # what an unsafe loader would do
    assert marker.exists(), "the fixture should run its command when unpickled unsafely"


# Cheap cases, observed in-process (the child's function, in a folder of its own) and judged.
def observe_here(folder: Path, tmp_path: Path, monkeypatch, checkpoint: Path | None = None) -> tuple:
    workdir = tmp_path / "child"
    workdir.mkdir()
    for name, data in trained.checkpoint_files(A, folder, checkpoint).items():
        (workdir / name).write_bytes(data)
    monkeypatch.chdir(workdir)
    check = trained_check()
    obs = trained.observe_trained({"models": project_models()}, check.params)
    return obs, judge(check, {"observation": json.loads(json.dumps(obs))})


def test_a_missing_checkpoint_says_where_it_was_expected(tmp_path, monkeypatch):
    folder = tmp_path / "empty"
    folder.mkdir()
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "missing" and verdict.score == 0
    assert "checkpoint.pt" in verdict.message and "GAN_logs/checkpoint.pt" in verdict.message


def test_a_corrupt_checkpoint_is_reported_as_such(tmp_path, monkeypatch):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    (folder / "checkpoint.pt").write_bytes(REFERENCE_CHECKPOINT.read_bytes()[:5000])   # cut short
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "corrupt" and verdict.score == 0
    assert "not a readable PyTorch checkpoint" in verdict.message


def test_a_checkpoint_of_another_architecture_is_reported(tmp_path, monkeypatch):
    folder = tmp_path / "other"
    folder.mkdir()
    generator = project_models().GeneratorMLP(hidden_dims=[64, 64])
    torch.save({"model": {f"generator.{k}": v for k, v in generator.state_dict().items()},
                "args": {"z_dim": 32}}, folder / "checkpoint.pt")                    # hidden dims not saved
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "architecture" and verdict.score == 0
    assert "do not fit your generator" in verdict.message


def test_a_checkpoint_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    folder = tmp_path / "big"
    folder.mkdir()
    with open(folder / "checkpoint.pt", "wb") as f:
        f.truncate((trained.MAX_CHECKPOINT_MB + 1) << 20)                          # sparse: no disk used
    files = trained.checkpoint_files(A, folder)
    assert trained.CHECKPOINT_FILE not in files
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "too_big" and verdict.score == 0 and "limit" in verdict.message


def test_a_checkpoint_without_weights_is_reported(tmp_path, monkeypatch):
    folder = tmp_path / "noweights"
    folder.mkdir()
    torch.save({"epoch": 3, "note": "forgot the model"}, folder / "checkpoint.pt")
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "no_weights" and verdict.score == 0 and "no generator weights" in verdict.message


def test_lightning_style_and_bare_state_dict_checkpoints_load(tmp_path, monkeypatch):
    ckpt = torch.load(REFERENCE_CHECKPOINT, weights_only=True)
    folder = tmp_path / "lightning"
    (folder / "lightning_logs" / "version_0" / "checkpoints").mkdir(parents=True)
    path = folder / "lightning_logs" / "version_0" / "checkpoints" / "epoch=9-step=100.ckpt"
    torch.save({"state_dict": ckpt["model"], "hyper_parameters": ckpt["args"]}, path)
    assert trained.find_checkpoint(folder, trained.RECIPES[A]) == path
    obs, verdict = observe_here(folder, tmp_path, monkeypatch)
    assert obs["status"] == "ok", obs


def test_judging_rejects_malformed_image_reports():
    from autograder.checks import ObservationError

    with pytest.raises(ObservationError):
        trained.decode_images({"status": "ok", "n": 10, "images": "AAAA"})
    with pytest.raises(ObservationError):
        trained.decode_images({"status": "ok", "n": 1, "images": "not base64!"})

