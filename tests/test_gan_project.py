"""gan_project: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``, graded by :func:`grade_alone`), and the tests of its own (either training file earns
full marks, which file is graded)."""

from __future__ import annotations

import shutil

import pytest
from helpers import Mistake, by_name, submission_from

from autograder.grading.grade import grade
from autograder.paths import release_dir

A = "gan_project"

FUNCTIONAL_DROPOUT_FORWARD = (
    "        h = {x}\n"
    "        for layer in self.layers:\n"
    "            h = layer(h)\n"
    "            if isinstance(layer, nn.LeakyReLU):\n"
    "                h = nn.functional.dropout(h, self.dp_rate, training=self.training)\n")


def functional_dropout(old: str = "", new: str = "") -> list[tuple[str, str, str]]:
    """models.py with F.dropout in forward instead of nn.Dropout layers (``old`` -> ``new``)."""
    forward = FUNCTIONAL_DROPOUT_FORWARD.replace(old, new) if old else FUNCTIONAL_DROPOUT_FORWARD
    return [("file:models.py", "                nn.Dropout(dp_rate),\n", ""),
            ("file:models.py", "        x = self.layers(z)  ", forward.format(x="z") + "        x = h  "),
            ("file:models.py", "        return self.layers(x)  ", forward.format(x="x") + "        return h  ")]


LOG_GEN = '        self.log_dict({f"generator/{key}": value for key, value in logging_gen.items()})\n'
LOG_DISC = '        self.log_dict({f"discriminator/{key}": value for key, value in logging_disc.items()})\n'
LOG_BAR = ('        self.log_dict({"loss_gen": logging_gen["loss"], "loss_disc": logging_disc["loss"]},\n'
           "                      prog_bar=True, logger=False)\n")
D_LOGITS = ("        logits_real = self.discriminator(x_real)                              # (B, 1)\n"
            "        logits_fake = self.discriminator(x_fake)                              # (B, 1)\n")
D_LOGITS_ONE_CALL = ("        logits = self.discriminator(torch.cat([x_real, x_fake]))  # (2B, 1)\n"
                     "        logits_real, logits_fake = logits.split(x_real.shape[0])\n")

MISTAKES = [
    Mistake("discriminator_output_detached_instead_of_fakes",
            [("file:train_torch.py", "x_fake = self.generator(z).detach()", "x_fake = self.generator(z)"),
             ("file:train_torch.py", "loss_fake = F.binary_cross_entropy_with_logits(logits_fake, "
              "torch.full_like(logits_fake, FAKE_LABEL))",
              "loss_fake = F.binary_cross_entropy_with_logits(logits_fake.detach(), "
              "torch.full_like(logits_fake, FAKE_LABEL))")],
            ["discriminator_step_detach"], ["no gradient from its score on the fakes"]),
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
    Mistake("both_optimizers_zeroed_at_the_top_of_the_loop",
            [("file:train_torch.py", "        optimizer_gen.zero_grad()\n", ""),
             ("file:train_torch.py", "        optimizer_disc.zero_grad()\n", ""),
             ("file:train_torch.py", "        # Generator: minimise -log D(G(z))\n",
              "        optimizer_gen.zero_grad()\n        optimizer_disc.zero_grad()\n")],
            ["training_isolation", "training_isolation_hidden"],
            ["leak", "optimizer_disc.zero_grad()"]),
    Mistake("learning_rate_hard_coded",
            [("file:train_torch.py", "lr=args.lr, betas=BETAS", "lr=2e-4, betas=BETAS")],
            ["optimizers"], ["args.lr"]),
    Mistake("loggers_swapped",
            [("file:train_torch.py", "add_values(logging_gen)", "add_values(LOGGING_DISC)"),
             ("file:train_torch.py", "add_values(logging_disc)", "add_values(logging_gen)"),
             ("file:train_torch.py", "add_values(LOGGING_DISC)", "add_values(logging_disc)")],
            ["training_logging"], ["swapped"]),
    Mistake("latent_vectors_cached",
            [("file:train_torch.py", "        z = torch.randn(x_real.shape[0], self.z_dim, device=x_real.device)",
              "        if not hasattr(self, 'cached_z'):\n"
              "            self.cached_z = torch.randn(x_real.shape[0], self.z_dim)\n"
              "        z = self.cached_z")],
            ["steps_fresh_noise"], ["SAME z"]),
    Mistake("functional_dropout_with_a_fixed_rate",
            functional_dropout("self.dp_rate, training", "0.2, training"),
            ["GeneratorMLP_structure", "DiscriminatorMLP_structure"], ["dp_rate", "dp_rate=0.0"]),
    Mistake("functional_dropout_always_on",
            functional_dropout("self.dp_rate, training=self.training", "self.dp_rate"),
            ["GeneratorMLP_structure", "DiscriminatorMLP_structure"], ["eval()", "training=self.training"]),
    Mistake("discriminator_optimizer_in_generator_step",
            [("file:train_torch.py", "        optimizer_gen.step()\n",
              "        optimizer_disc.step()\n")],
            ["training_isolation", "training_isolation_hidden"], ["optimizer_gen"]),
]


# Correct solutions in other styles: each must keep full marks.
STYLES = {
    "functional_dropout": functional_dropout(),
    "no_grad_instead_of_detach": [
        ("file:train_torch.py", "        x_fake = self.generator(z).detach()  ",
         "        with torch.no_grad():\n            x_fake = self.generator(z)\n        pass  ")],
    "one_discriminator_call_on_concatenated_batches": [
        ("file:train_torch.py", D_LOGITS, D_LOGITS_ONE_CALL)],
}


# trained_generator: the shipped checkpoint was trained for the reference's layers, which a style
# with other modules does not load; every other check must pass.
STYLES_MAY_FAIL = ("trained_generator",)


def grade_alone(mistake: Mistake, tmp_path):
    """Grade ``mistake``; a training file it edits is the only one implemented (the other one
    is left as released), so that the grader grades the edited file, not the better of two."""
    folder = submission_from(A, tmp_path / mistake.name, mistake.edits)
    edited = {target.split(":", 1)[1] for target, _, _ in mistake.edits}
    for mine, other in (("train_torch.py", "train_pl.py"), ("train_pl.py", "train_torch.py")):
        if mine in edited and other not in edited:
            shutil.copy(release_dir(A) / other, folder / other)
    return grade(A, folder)


def only_started(path) -> None:
    """Make ``path`` the release's template with only its ``sample`` method filled in."""
    template = (release_dir(A) / path.name).read_text()
    stub = "        # TODO: your code here\n        raise NotImplementedError()\n"
    assert stub in template
    path.write_text(template.replace(stub, "        z = torch.randn(batch_size, self.z_dim, "
                                            "device=self.device)\n        return self.generator(z)\n", 1))


def test_the_complete_file_is_graded_when_the_other_is_only_started(tmp_path, reference_results):
    folder = submission_from(A, tmp_path / "submission")
    only_started(folder / "train_torch.py")
    result = grade(A, folder)
    failed = {c.name: c.message for c in result.checks if not c.passed}
    assert not failed, f"a complete train_pl.py beside a started train_torch.py fails: {failed}"
    assert result.score == reference_results(A).max_score
    assert "train_pl.py is complete" in by_name(result)["training_file"].message


def test_both_files_started_are_both_graded_and_the_better_kept(tmp_path, reference_results):
    folder = submission_from(A, tmp_path / "submission", [
        ("file:train_torch.py", "x_fake = self.generator(z).detach()", "x_fake = self.generator(z)")])
    checks = by_name(grade(A, folder))
    assert checks["discriminator_step_detach"].passed, checks["discriminator_step_detach"].message
    note = checks["training_file"].message
    assert "both were graded" in note and "keeps the better one, train_pl.py" in note, note


def test_no_logging_in_train_pl_loses_the_logging_check(tmp_path):
    folder = submission_from(A, tmp_path / "submission", [
        ("file:train_pl.py", LOG_GEN, ""), ("file:train_pl.py", LOG_DISC, ""),
        ("file:train_pl.py", LOG_BAR, "        pass\n")])
    shutil.copy(release_dir(A) / "train_torch.py", folder / "train_torch.py")
    check = by_name(grade(A, folder))["training_logging"]
    assert not check.passed
    assert "logged nothing" in check.message and "train_pl.py" in check.message, check.message


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


def test_a_mistake_in_train_pl_is_graded_when_only_train_pl_is_implemented(tmp_path):
    folder = submission_from(A, tmp_path / "submission", [
        ("file:train_pl.py", "x_fake = self.generator(z).detach()", "x_fake = self.generator(z)")])
    shutil.copy(release_dir(A) / "train_torch.py", folder / "train_torch.py")
    checks = by_name(grade(A, folder))
    assert not checks["discriminator_step_detach"].passed
    assert "train_pl.py" in checks["discriminator_step_detach"].message
    assert checks["discriminator_step_loss"].passed
