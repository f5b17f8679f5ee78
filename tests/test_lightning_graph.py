"""``gan_course.lightning_graph.RecordTrainingStep``: train_pl.py's training_step recorded on a GPU.

On a CPU the callback is tried with a stand-in for ``capture`` whose "replay" runs the step again
but, like a CUDA graph, leaves Lightning's Python bookkeeping alone (its optimizer-step count).
What must hold: Lightning counts the same optimizer steps as without the recording, the
logger gets the same keys at the same steps with each step's own values (not the recorded
batch's, frozen), values logged with ``on_epoch=True`` reach Lightning at every batch, a step that
reads ``batch_idx`` or cannot be recorded trains as written, and nothing happens while grading.
On a GPU (``-m gpu``) the real ``capture`` records the reference's step.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import pytest
import torch

import gan_course.lightning_graph as lightning_graph

pl = pytest.importorskip("lightning.pytorch")
from lightning.pytorch.loggers import Logger  # noqa: E402

FOLDER = Path(__file__).resolve().parent.parent / "solutions" / "gan_project"
BATCHES, BATCH = 6, 16


@pytest.fixture
def train_pl(monkeypatch):
    monkeypatch.syspath_prepend(str(FOLDER))
    for name in ("train_pl", "models", "mnist", "utils"):
        sys.modules.pop(name, None)
    return importlib.import_module("train_pl")


class Written(Logger):
    """A logger that keeps what Lightning writes: [(step, {name: value})]."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []

    name, version = "written", 0

    def log_metrics(self, metrics, step=None) -> None:
        self.rows.append((step, {k: float(v) for k, v in metrics.items()}))

    def log_hyperparams(self, *args, **kwargs) -> None:
        pass


class Batches:
    """A data loader of given tensors (a plain list would be taken for a list of loaders)."""

    def __init__(self, batches: list) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


def stand_in_capture(trainer_box: list, calls: dict):
    """capture's stand-in on a CPU: one warm-up step, then a 'replay' that runs the step again
    with Lightning's optimizer-step count put back, as a graph (no Python) would leave it."""
    def capture(step, *example, **kwargs):
        calls["captured"] = calls.get("captured", 0) + 1
        step(*example)                                   # a warm-up step, as capture's

        def replay(*batch):
            calls["replays"] = calls.get("replays", 0) + 1
            progress = trainer_box[0].fit_loop.epoch_loop.manual_optimization.optim_step_progress
            counted = progress.state_dict()
            output = step(*batch)
            progress.load_state_dict(counted)
            return output
        replay.graph = "stand-in"
        return replay
    return capture


def fit(train_pl, gan_class=None, record=True, log_every=2, capture=None, monkeypatch=None):
    """One epoch of BATCHES random batches through a small reference GAN; (gan, trainer, logger, calls)."""
    torch.manual_seed(0)
    gan = (gan_class or train_pl.GAN)(hidden_dims_gen=[16], hidden_dims_disc=[16], dp_rate_gen=0.1,
                                       dp_rate_disc=0.3, z_dim=8, lr=1e-3)
    data = [torch.rand(BATCH, 1, 28, 28) * 2 - 1 for _ in range(BATCHES)]
    logger, box, calls = Written(), [], {}
    callbacks = []
    if record:
        monkeypatch.setattr(lightning_graph.RecordTrainingStep, "RECORD_ON", ("cpu",))
        monkeypatch.setattr(lightning_graph, "capture", capture or stand_in_capture(box, calls))
        callbacks.append(lightning_graph.RecordTrainingStep())
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=logger, callbacks=callbacks,
                         log_every_n_steps=log_every, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    box.append(trainer)
    trainer.fit(gan, Batches(data))
    return gan, trainer, logger, calls


def test_recorded_steps_are_counted_and_logged_as_lightning_would(train_pl, monkeypatch):
    gan, trainer, logger, calls = fit(train_pl, monkeypatch=monkeypatch)
    _, plain_trainer, plain_logger, _ = fit(train_pl, record=False)
    assert calls == {"captured": 1, "replays": BATCHES - 1}, calls   # recorded at the 2nd batch
    assert trainer.global_step == plain_trainer.global_step == 2 * BATCHES
    assert [step for step, _ in logger.rows] == [step for step, _ in plain_logger.rows]
    assert [set(row) for _, row in logger.rows] == [set(row) for _, row in plain_logger.rows]
    assert {"generator/loss", "discriminator/loss"} <= set(logger.rows[-1][1])
    losses = [row["generator/loss"] for _, row in logger.rows]
    assert len(losses) == BATCHES // 2 and all(math.isfinite(v) for v in losses)
    assert len(set(losses)) == len(losses), f"each write should carry its own step's values: {losses}"
    assert "training_step" not in vars(gan), "the module's own training_step is back after fit"


def test_values_logged_on_epoch_reach_lightning_at_every_batch(train_pl, monkeypatch):
    seen: list[str] = []

    class EpochMean(train_pl.GAN):
        def training_step(self, batch, batch_idx):
            super().training_step(batch, batch_idx)
            self.log("epoch/fake_mean", self.sample(2).mean(), on_step=False, on_epoch=True)

        def log(self, name, *args, **kwargs):
            seen.append(name)
            return super().log(name, *args, **kwargs)

    fit(train_pl, EpochMean, log_every=3, monkeypatch=monkeypatch)
    assert seen.count("epoch/fake_mean") == BATCHES, seen.count("epoch/fake_mean")
    # on-step values: the first batch as written, then the batches Lightning writes (3rd, 6th)
    assert seen.count("generator/loss") == 3, seen.count("generator/loss")


def test_a_step_that_reads_batch_idx_trains_as_written(train_pl, monkeypatch, capsys):
    class EveryOther(train_pl.GAN):
        def training_step(self, batch, batch_idx):
            if batch_idx % 2 == 0 or True:
                return super().training_step(batch, batch_idx)

    gan, trainer, logger, calls = fit(train_pl, EveryOther, monkeypatch=monkeypatch)
    out = capsys.readouterr().out
    assert "could not be recorded" in out and "reads batch_idx" in out, out
    assert calls == {} and trainer.global_step == 2 * BATCHES
    assert len(logger.rows) == BATCHES // 2


def test_a_step_capture_cannot_record_trains_as_written(train_pl, monkeypatch):
    calls = {"captured": 0}

    def refusing_capture(step, *example, **kwargs):   # as capture does after its one-line message
        calls["captured"] += 1
        return step

    gan, trainer, logger, _ = fit(train_pl, capture=refusing_capture, monkeypatch=monkeypatch)
    assert calls["captured"] == 1 and trainer.global_step == 2 * BATCHES
    assert len(logger.rows) == BATCHES // 2
    assert len({row["generator/loss"] for _, row in logger.rows}) == BATCHES // 2


def test_other_styles_are_recorded_and_logged(train_pl, monkeypatch):
    """A step that logs positionally, with log (not log_dict), and returns its losses."""
    class Styled(train_pl.GAN):
        def training_step(self, batch, batch_idx):
            opt_g, opt_d = self.optimizers()
            loss_g, _ = self.generator_step(batch)
            opt_g.zero_grad()
            self.manual_backward(loss_g)
            opt_g.step()
            loss_d, _ = self.discriminator_step(batch)
            opt_d.zero_grad()
            self.manual_backward(loss_d)
            opt_d.step()
            self.log("generator/loss", loss_g.detach(), True)
            self.log("discriminator/loss", loss_d.detach())
            self.log("lr", 1e-3)
            return {"loss": loss_g + loss_d}

    gan, trainer, logger, calls = fit(train_pl, Styled, monkeypatch=monkeypatch)
    assert calls["replays"] == BATCHES - 1 and trainer.global_step == 2 * BATCHES
    assert logger.rows[-1][1]["lr"] == pytest.approx(1e-3)
    assert len({row["discriminator/loss"] for _, row in logger.rows}) == BATCHES // 2


def test_nothing_is_recorded_while_grading(train_pl, monkeypatch):
    monkeypatch.setattr(lightning_graph, "is_grading", lambda: True)
    gan, trainer, logger, calls = fit(train_pl, monkeypatch=monkeypatch)
    assert calls == {} and trainer.global_step == 2 * BATCHES


def test_train_pl_trains_with_the_callback(train_pl):
    names = [type(c).__name__ for c in _callbacks_of(train_pl)]
    assert "RecordTrainingStep" in names, names


def _callbacks_of(train_pl) -> list:
    """The callbacks train_gan gives its Trainer (read without training)."""
    seen: list = []

    class Stop(Exception):
        pass

    original = pl.Trainer.__init__

    def init(self, *args, **kwargs):
        seen.extend(kwargs.get("callbacks", []))
        raise Stop

    pl.Trainer.__init__ = init
    try:
        args = train_pl.get_parser().parse_args(["--log_dir", "/tmp/unused_lightning_graph"])
        train_pl.mnist = lambda **kwargs: []
        with pytest.raises(Stop):
            train_pl.train_gan(args)
    finally:
        pl.Trainer.__init__ = original
    return seen


# --- on a GPU: the real capture --------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("floats", [False, True], ids=["tensor_logs", "float_logs"])
def test_the_reference_step_is_recorded_on_cuda(train_pl, monkeypatch, capsys, floats):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    recorded = []
    real_capture = lightning_graph.capture

    def spy(step, *example, **kwargs):
        replay = real_capture(step, *example, **kwargs)
        recorded.append(hasattr(replay, "graph"))
        return replay

    monkeypatch.setattr(lightning_graph, "capture", spy)
    gan_class = train_pl.GAN
    if floats:   # a student's logging dicts of .item() floats: cannot be recorded
        class Floats(train_pl.GAN):
            def generator_step(self, x_real):
                loss, logs = super().generator_step(x_real)
                return loss, {k: float(v) for k, v in logs.items()}
        gan_class = Floats
    torch.manual_seed(0)
    gan = gan_class(hidden_dims_gen=[64], hidden_dims_disc=[64], dp_rate_gen=0.1, dp_rate_disc=0.3,
                    z_dim=8, lr=1e-3)
    before = [p.detach().clone() for p in gan.generator.parameters()]
    data = [torch.rand(64, 1, 28, 28, device="cuda") * 2 - 1 for _ in range(8)]
    logger = Written()
    trainer = pl.Trainer(max_epochs=1, accelerator="cuda", devices=1, logger=logger,
                         callbacks=[lightning_graph.RecordTrainingStep()], log_every_n_steps=2,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(gan, Batches(data))
    out = capsys.readouterr().out
    assert recorded == [not floats], recorded
    assert ("could not be recorded" in out) == floats, out
    assert trainer.global_step == 2 * len(data)
    losses = [row["generator/loss"] for _, row in logger.rows]
    assert len(losses) == 4 and len(set(losses)) == 4 and all(math.isfinite(v) for v in losses), losses
    after = [p.detach().cpu() for p in gan.generator.parameters()]
    assert any(not torch.equal(a, b.cpu()) for a, b in zip(after, before, strict=True))
