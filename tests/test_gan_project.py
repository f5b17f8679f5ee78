"""gan_project: the reference earns full marks with either training file, the release earns 0,
typical mistakes lose points on the check that names them."""

from __future__ import annotations

import shutil

import pytest
from helpers import Mistake, by_name, grade_mistake, submission_from

from autograder.grade import grade
from autograder.paths import release_dir

A = "gan_project"

MISTAKES = [
    Mistake("swapped_labels",
            [("file:train_torch.py", "torch.full_like(logits_real, REAL_LABEL)",
              "torch.full_like(logits_real, FAKE_LABEL)"),
             ("file:train_torch.py", "torch.full_like(logits_fake, FAKE_LABEL)",
              "torch.full_like(logits_fake, REAL_LABEL)")],
            ["discriminator_step_loss", "discriminator_step_hidden"], ["swapped"]),
    Mistake("no_detach",
            [("file:train_torch.py", "x_fake = self.generator(z).detach()",
              "x_fake = self.generator(z)")],
            ["discriminator_step_detach", "discriminator_step_hidden"], ["detach"]),
    Mistake("generator_target_zeros",
            [("file:train_torch.py",
              "loss = F.binary_cross_entropy_with_logits(logits_fake, torch.full_like(logits_fake, REAL_LABEL))",
              "loss = F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))")],
            ["generator_step_loss", "generator_step_hidden"], ["FAKE label"]),
    Mistake("interpolate_without_endpoints",
            [("file:train_torch.py", "num_points = interpolation_steps + 2",
              "num_points = interpolation_steps")],
            ["interpolate", "interpolate_hidden"], ["BOTH endpoints"]),
    Mistake("sample_with_grad",
            [("file:train_torch.py", "    @torch.no_grad()\n    def sample", "    def sample")],
            ["sample", "sample_hidden"], ["no_grad"]),
    Mistake("discriminator_without_flatten",
            [("file:models.py", "layers: list[nn.Module] = [nn.Flatten()]",
              "layers: list[nn.Module] = []")],
            ["DiscriminatorMLP_structure", "DiscriminatorMLP_structure_hidden"], ["Flatten"]),
    Mistake("sigmoid_at_discriminator_end",
            [("file:models.py", "layers.append(nn.Linear(in_dim, 1))",
              "layers += [nn.Linear(in_dim, 1), nn.Sigmoid()]")],
            ["DiscriminatorMLP_structure", "DiscriminatorMLP_structure_hidden"], ["Sigmoid"]),
    Mistake("generator_without_tanh",
            [("file:models.py", "            nn.Tanh(),", "")],
            ["GeneratorMLP_structure", "GeneratorMLP_structure_hidden"], ["Tanh"]),
    Mistake("one_optimizer_for_both_networks",
            [("file:train_torch.py",
              "optimizer_gen = torch.optim.Adam(model.generator.parameters(), lr=args.lr, betas=BETAS)",
              "optimizer_gen = torch.optim.Adam(model.parameters(), lr=args.lr, betas=BETAS)"),
             ("file:train_torch.py",
              "optimizer_disc = torch.optim.Adam(model.discriminator.parameters(), lr=args.lr, betas=BETAS)",
              "optimizer_disc = optimizer_gen")],
            ["optimizers"], ["ONE optimizer"]),
    Mistake("discriminator_optimizer_in_generator_step",
            [("file:train_torch.py", "        optimizer_gen.step()\n",
              "        optimizer_disc.step()\n")],
            ["training_isolation", "training_isolation_hidden"], ["optimizer_gen"]),
]


def test_reference_scores_full_marks(reference_results):
    result = reference_results(A)
    failed = {c.name: c.message for c in result.checks if not c.passed}
    assert not failed, f"the reference solution fails: {failed}"
    assert result.score == result.max_score > 0


def test_release_scores_zero_with_not_implemented_feedback(release_results):
    result = release_results(A)
    assert result.score == 0
    for c in result.checks:
        assert "Not implemented yet" in c.message, f"{c.name}: {c.message}"


@pytest.mark.parametrize("implemented,stub", [("train_pl.py", "train_torch.py"),
                                              ("train_torch.py", "train_pl.py")],
                         ids=["only_train_pl", "only_train_torch"])
def test_one_training_file_is_enough_for_full_marks(implemented, stub, tmp_path, reference_results):
    folder = submission_from(A, tmp_path / "submission")
    shutil.copy(release_dir(A) / stub, folder / stub)     # the other file left as released
    result = grade(A, folder)
    failed = {c.name: c.message for c in result.checks if not c.passed}
    assert not failed, f"a submission with only {implemented} fails: {failed}"
    assert result.max_score == reference_results(A).max_score == result.score


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_mistake_loses_points_on_the_check_that_names_it(mistake, tmp_path, reference_results):
    result = grade_mistake(A, mistake, tmp_path)
    checks = by_name(result)
    assert result.score < reference_results(A).score
    for name in mistake.fails:
        assert not checks[name].passed, f"{mistake.name} should fail {name}"
        for word in mistake.says:
            assert word in checks[name].message, (
                f"{name}'s feedback for {mistake.name} should mention {word!r}: "
                f"{checks[name].message}")


def test_a_mistake_in_train_pl_is_graded_when_only_train_pl_is_implemented(tmp_path):
    folder = submission_from(A, tmp_path / "submission", [
        ("file:train_pl.py", "x_fake = self.generator(z).detach()", "x_fake = self.generator(z)")])
    shutil.copy(release_dir(A) / "train_torch.py", folder / "train_torch.py")
    checks = by_name(grade(A, folder))
    assert not checks["discriminator_step_detach"].passed
    assert "train_pl.py" in checks["discriminator_step_detach"].message
    assert checks["discriminator_step_loss"].passed
