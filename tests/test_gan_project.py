"""gan_project: its cases of the grading contract (tests/test_contract.py) as data (``MISTAKES``,
``STYLES``, graded by :func:`grade_alone`), and the tests of its own (either training file earns
full marks, which file is graded)."""

from __future__ import annotations

import shutil
from pathlib import Path

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

INTERPOLATE_MODES = ("        was_training = self.generator.training\n"
                     "        self.generator.eval()\n"
                     "        x = self.generator(z.flatten(0, 1))                                     "
                     "# (B*P, 1, 28, 28)\n"
                     "        self.generator.train(was_training)\n"
                     "        return x.view(")
PL_IMPORTS = [("file:train_pl.py", "import lightning.pytorch as pl\n", "import pytorch_lightning as pl\n"),
              ("file:train_pl.py", "from lightning.pytorch.callbacks", "from pytorch_lightning.callbacks"),
              ("file:train_pl.py", "from lightning.pytorch.loggers", "from pytorch_lightning.loggers")]
PL_STEP_2X = "    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:\n"
PL_STEP_1X = ("    def training_step(self, batch, batch_idx, optimizer_idx):\n"
              "        x_real = batch\n"
              "        if optimizer_idx == 0:\n"
              "            loss, logging_gen = self.generator_step(x_real)\n"
              "            self.log_dict({f'generator/{k}': v for k, v in logging_gen.items()})\n"
              "        else:\n"
              "            loss, logging_disc = self.discriminator_step(x_real)\n"
              "            self.log_dict({f'discriminator/{k}': v for k, v in logging_disc.items()})\n"
              "        return loss\n\n"
              "    def training_step_2x(self, batch: torch.Tensor, batch_idx: int) -> None:\n")
MANUAL = "        self.automatic_optimization = False  # two optimizers: training_step steps them itself\n"
LIGHTNING_1X = [*PL_IMPORTS, ("file:train_pl.py", PL_STEP_2X, PL_STEP_1X), ("file:train_pl.py", MANUAL, "")]

GEN_LOG_TENSORS = ('"loss": loss.detach(),\n'
                   '            "d_fake_prob": torch.sigmoid(logits_fake).mean().detach(),')
GEN_LOG_FLOATS = ('"loss": loss.item(),\n'
                  '            "d_fake_prob": torch.sigmoid(logits_fake).mean().item(),')

MISTAKES = [
    Mistake("logging_dict_loss_of_shape_1",
            [("file:train_torch.py", GEN_LOG_TENSORS,
              '"loss": loss.detach().view(1),\n'
              '            "d_fake_prob": torch.sigmoid(logits_fake).mean().detach(),')],
            ["logging_dicts"], ["shape (1,)"]),
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
    # #27: a step that really never calls the generator still fails, in the student's words
    Mistake("generator_step_never_calls_the_generator",
            [("file:train_torch.py", "        x_fake = self.generator(z)      ",
              "        x_fake = torch.tanh(z @ torch.ones(self.z_dim, 784, device=z.device)).view_as(x_real)  ")],
            ["steps_fresh_noise"], ["model.generator_step", "self.generator"]),
    # #27: detach_() passes the steps' checks (the stand-in's fakes are fresh tensors), but the
    # template's GeneratorMLP returns a view (x.view(...)), which detach_() refuses: only the run
    # with the student's own networks fails
    Mistake("detach_in_place_on_the_generators_view",
            [("file:train_torch.py", "x_fake = self.generator(z).detach()",
              "x_fake = self.generator(z)\n        x_fake.detach_()")],
            ["training_smoke"], ["detach"]),
    # interpolate's modes, as its docstring says (#27): eval during the call, the caller's after.
    Mistake("interpolate_left_in_eval_mode",
            [("file:train_torch.py", INTERPOLATE_MODES,
              INTERPOLATE_MODES.replace("        self.generator.train(was_training)\n", ""))],
            ["interpolate_mode"], ["stayed in eval mode", "self.generator.train(was_training)"]),
    Mistake("interpolate_never_in_eval_mode",
            [("file:train_torch.py", INTERPOLATE_MODES,
              INTERPOLATE_MODES.replace("        self.generator.eval()\n", ""))],
            ["interpolate_mode"], ["training mode (dropout on)", "self.generator.eval()"]),
    Mistake("interpolate_always_back_to_train_mode",
            [("file:train_torch.py", INTERPOLATE_MODES,
              INTERPOLATE_MODES.replace("train(was_training)", "train()"))],
            ["interpolate_mode"], ["caller had it in eval mode", "not self.generator.train()"]),
    # Lightning 1.x code (#27): `pytorch_lightning`, and 1.x's training_step with optimizer_idx.
    Mistake("train_pl_written_for_pytorch_lightning_1x", LIGHTNING_1X,
            ["training_isolation", "training_logging"],
            ["pytorch_lightning.LightningModule", "import lightning.pytorch as pl"]),
]


# Correct solutions in other styles: each must keep full marks.
STYLES = {
    # #29: the seed's logging dicts of Python floats (.item()) are as right as the reference's tensors
    "logging_dicts_of_floats": [
        ("file:train_torch.py", GEN_LOG_TENSORS, GEN_LOG_FLOATS),
        ("file:train_torch.py", '"loss": loss.detach(),\n            "loss_real"',
         '"loss": loss.item(),\n            "loss_real"')],
    "logging_dicts_of_undetached_tensors": [
        ("file:train_torch.py", GEN_LOG_TENSORS,
         '"loss": loss,\n            "d_fake_prob": torch.sigmoid(logits_fake).mean(),')],
    "functional_dropout": functional_dropout(),
    "no_grad_instead_of_detach": [
        ("file:train_torch.py", "        x_fake = self.generator(z).detach()  ",
         "        with torch.no_grad():\n            x_fake = self.generator(z)\n        pass  ")],
    "one_discriminator_call_on_concatenated_batches": [
        ("file:train_torch.py", D_LOGITS, D_LOGITS_ONE_CALL)],
    # #27: the stand-ins offer what models.py's networks offer: .device, z_dim
    "generator_device_and_z_dim_in_the_steps": [
        ("file:train_torch.py", "z = torch.randn(x_real.shape[0], self.z_dim, device=x_real.device)",
         "z = torch.randn(x_real.shape[0], self.generator.z_dim, device=self.generator.device)")],
    # #27: self.generator.forward(z) is recorded like self.generator(z)
    "generator_forward_called_directly": [
        ("file:train_torch.py", "x_fake = self.generator(z)", "x_fake = self.generator.forward(z)")],
    # #27: detach_() on fakes that are the generator's own tensor (Unflatten before the Tanh)
    "detach_in_place_with_a_generator_that_returns_its_own_tensor": [
        ("file:models.py", "            nn.Tanh(),                                        # values in [-1, 1]",
         "            nn.Unflatten(1, self.output_shape),               # (B, C, H, W)\n"
         "            nn.Tanh(),                                        # values in [-1, 1]"),
        ("file:models.py", "        return x.view(z.shape[0], *self.output_shape)       # (B, C, H, W)",
         "        return x"),
        ("file:train_torch.py", "x_fake = self.generator(z).detach()",
         "x_fake = self.generator(z)\n        x_fake.detach_()")],
    # Layer sizes as numpy ints (np.prod gives a numpy.int64): correct code, which once killed
    # the grader's child (the size could not be written as JSON; issue 27).
    "np_prod_layer_sizes": [
        ("file:models.py", "import math\n", "import math\n\nimport numpy as np\n"),
        ("file:models.py", "nn.Linear(in_dim, math.prod(self.output_shape)),",
         "nn.Linear(in_dim, np.prod(self.output_shape)),"),
        ("file:models.py", "        in_dim = input_dims\n", "        in_dim = np.prod([input_dims])\n")],
    "interpolate_with_no_grad_and_the_model_s_mode": [
        ("file:train_torch.py", INTERPOLATE_MODES,
         "        was_training = self.training\n        self.eval()\n        with torch.no_grad():\n"
         "            x = self.generator(z.flatten(0, 1))\n        self.train(was_training)\n"
         "        return x.view(")],
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


def test_lightning_1x_train_pl_gets_notes_that_name_lightning_2x(tmp_path):
    """`pytorch_lightning` imports and 1.x's optimizer_idx step: one note each, in 2.x's words."""
    result = grade_alone(Mistake("lightning_1x", LIGHTNING_1X, []), tmp_path)
    notes = "\n".join(result.notes)
    assert "imports `pytorch_lightning`" in notes and "this course uses Lightning 2.x: `import " \
        "lightning.pytorch as pl`" in notes, notes
    assert "optimizer_idx" in notes and "self.automatic_optimization = False" in notes, notes
    assert "self.optimizers()" in notes and "manual optimization" in notes, notes


# --- #29: train_torch.py's main trains through its recorded step (step by step on a CPU) ---------

def _run_train_torch_main(monkeypatch, tmp_path, floats: bool, device: str = "cpu", batches: int = 3):
    """train_torch.main on ``batches`` random batches of 16, one epoch; the GAN it trained."""
    import importlib
    import sys

    import torch

    folder = str(Path(__file__).resolve().parent.parent / "solutions" / A)
    monkeypatch.syspath_prepend(folder)
    for name in ("train_torch", "models", "mnist", "utils"):
        sys.modules.pop(name, None)
    script = importlib.import_module("train_torch")
    if floats:   # a student's steps that return the seed's .item() floats
        for method in ("generator_step", "discriminator_step"):
            original = getattr(script.GAN, method)

            def step(self, x_real, original=original):
                loss, logs = original(self, x_real)
                return loss, {key: float(value) for key, value in logs.items()}
            monkeypatch.setattr(script.GAN, method, step)
    models, base = [], script.GAN
    monkeypatch.setattr(script, "GAN", type("Tracked", (base,), {
        "__init__": lambda self, *a, **k: (base.__init__(self, *a, **k), models.append(self))[0]}))
    data = [torch.rand(16, 1, 28, 28, device=device) * 2 - 1 for _ in range(batches)]
    monkeypatch.setattr(script, "mnist", lambda **kwargs: data)
    monkeypatch.setattr(script, "generate_and_save", lambda *a, **k: None)
    monkeypatch.setattr(script, "interpolate_and_save", lambda *a, **k: None)
    monkeypatch.setattr(script, "default_device", lambda: torch.device(device))
    args = script.get_parser().parse_args(["--epochs", "1", "--log_dir", str(tmp_path), "--z_dim", "8",
                                           "--hidden_dims_gen", "16", "--hidden_dims_disc", "16"])
    script.main(args)
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    return models[-1], checkpoint


@pytest.mark.parametrize("floats", [False, True], ids=["tensor_logs", "float_logs"])
def test_train_torch_main_trains_on_the_cpu(monkeypatch, tmp_path, floats):
    import torch

    gan, checkpoint = _run_train_torch_main(monkeypatch, tmp_path, floats)
    assert checkpoint["epoch"] == 1
    state = checkpoint["optimizer_gen"]["state"]
    assert state and all(int(s["step"]) == 3 for s in state.values())   # one step per batch
    assert all(torch.isfinite(p).all() for p in gan.parameters())


def test_tensorboard_logger_averages_numbers_and_tensors():
    import sys

    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "solutions" / A))
    from utils import TensorBoardLogger

    written = []

    class Writer:
        def add_scalar(self, key, value, step):
            written.append((key, value, step))

    logger = TensorBoardLogger(Writer(), avg_window=2, name="g")
    logger.add_values({"loss": 1.0, "p": torch.tensor(0.5)})
    assert written == []
    logger.add_values({"loss": torch.tensor(2.0, requires_grad=True) * 1, "p": 0.25})
    assert written == [("g/loss", 1.5, 2), ("g/p", 0.375, 2)]


@pytest.mark.gpu
def test_train_torch_main_records_its_step_on_cuda(monkeypatch, tmp_path, capsys):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    import gan_course.cuda_graph as cuda_graph

    recorded = []
    original = cuda_graph.capture

    def spy(step, *example, **kwargs):
        replay = original(step, *example, **kwargs)
        recorded.append(hasattr(replay, "graph"))
        return replay

    monkeypatch.setattr(cuda_graph, "capture", spy)   # train_torch is imported afresh: it gets the spy
    gan, checkpoint = _run_train_torch_main(monkeypatch, tmp_path, False, device="cuda", batches=8)
    assert recorded == [True], "main should record its step once, as a CUDA graph"
    assert "could not be recorded" not in capsys.readouterr().out
    assert all(torch.isfinite(p).all() for p in gan.parameters())
    state = checkpoint["optimizer_gen"]["state"]
    assert all(int(s["step"]) == 8 + 3 for s in state.values())   # 3 warm-up steps of capture
