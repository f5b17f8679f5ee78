"""A Lightning module's ``training_step`` recorded as a CUDA graph: ``train_pl.py`` at the GPU's pace.

``gan_project``'s ``train_pl.py`` trains with Lightning's manual optimization: the student's
``training_step`` runs the generator's step and the discriminator's, then logs both logging
dicts with ``self.log_dict``. On a GPU, such a step of these small networks waits for Python:
some three hundred kernel launches (see :mod:`gan_course.cuda_graph`) and, per value logged,
Lightning's bookkeeping (about 0.25 ms a ``self.log`` call on a 2-core CPU, most of it
``_ResultCollection.log`` moving the value's metric state to the value's device: the
reference logs 13 values a step). ``bench/training.py --trainer pl`` measured it: 62 steps/s
against 130 for the seed's plain PyTorch loop, before this callback.

:class:`RecordTrainingStep` does for ``training_step`` what :func:`~gan_course.cuda_graph.capture`
does for a notebook's step, and leaves the student's code as it is:

1. The first batch runs ``training_step`` as written (its values are logged as usual). It also
   counts the optimizer steps a batch takes and watches ``batch_idx``: a step that reads it
   (``if batch_idx % 5 == 0``) is not recorded, since a graph would replay the branch of one
   batch for ever.
2. The second batch records ``training_step`` with ``capture``. While it is recorded, its
   ``self.log`` calls are caught: the values become the graph's outputs.
3. Every later batch replays the graph. The callback counts the batch's optimizer steps for
   Lightning (``trainer.global_step`` is what it would be without the recording) and hands the
   logged values to ``self.log`` when Lightning writes them to its logger (every
   ``log_every_n_steps`` batches; a value logged with ``on_epoch=True`` at every batch, since it
   is averaged over all of them). The TensorBoard curves are the same as without the recording;
   the progress bar's figures change every ``log_every_n_steps`` batches.

A step that cannot be recorded (one that reads a value to the host, ``loss.item()`` in a logging
dict; one that logs something other than a tensor or a number) trains as written after
``capture``'s one-line message. On a CPU, and while a grader runs the code (``is_grading()``),
the callback does nothing.

What a recorded ``training_step`` must do, besides what ``capture`` asks: the same work at every
batch. Nothing may depend on ``batch_idx`` (watched), ``self.current_epoch`` or
``self.global_step`` (not watched: they would be frozen at the second batch's values).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import lightning.pytorch as pl
import torch

from gan_course import is_grading
from gan_course.cuda_graph import capture, make_capturable

__all__ = ["RecordTrainingStep"]


class RecordTrainingStep(pl.Callback):
    """Record the module's ``training_step`` as a CUDA graph on a GPU and replay it every batch."""

    RECORD_ON = ("cuda",)   # the devices it records on (the tests add "cpu", with a stand-in capture)

    def __init__(self) -> None:
        super().__init__()
        self.mode = "first"          # "first" -> "record" -> "replay", or "as written" for good
        self.replay: Callable | None = None
        self.example: tuple | None = None       # (shape, dtype, device) of the recorded batch
        self.logs: list[dict] = []               # the recorded step's self.log calls, in order
        self.steps_per_batch = 0                 # optimizer steps in one training_step

    # --- the callback's hooks ------------------------------------------------------------------

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        if is_grading() or module.device.type not in self.RECORD_ON:
            return
        if module.device.type == "cuda":
            make_capturable(*trainer.optimizers)   # before their first step: Adam's count on the GPU
        written = module.training_step             # the student's method, as written

        def training_step(batch: Any, batch_idx: int) -> Any:
            return self.training_step(trainer, module, written, batch, batch_idx)

        module.training_step = training_step       # Lightning calls this one from now on

    def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        module.__dict__.pop("training_step", None)  # the module's own method again

    # --- one batch -----------------------------------------------------------------------------

    def training_step(self, trainer: pl.Trainer, module: pl.LightningModule, written: Callable,
                      batch: Any, batch_idx: int) -> Any:
        if self.mode == "as written" or not isinstance(batch, torch.Tensor):
            return written(batch, batch_idx)
        if self.mode == "first":
            return self.first_batch(trainer, written, batch, batch_idx)
        if self.mode == "record":
            self.record(trainer, module, written, batch, batch_idx)
            if self.mode == "as written":
                return written(batch, batch_idx)
        if _signature(batch) != self.example:
            return written(batch, batch_idx)        # another shape (a smaller last batch)
        output, values = self.replay(batch)
        progress = _optimizer_steps(trainer)
        for _ in range(self.steps_per_batch):       # the optimizer steps the replay took
            progress.increment_ready()
            progress.increment_completed()
        writes = _lightning_writes_now(trainer)
        for arguments, value in zip(self.logs, values, strict=True):
            if writes or arguments.get("on_epoch"):
                module.log(**{**arguments, "value": value})   # Lightning copies the value
        return output

    def first_batch(self, trainer: pl.Trainer, written: Callable, batch: torch.Tensor,
                    batch_idx: int) -> Any:
        """Run the step as written; count its optimizer steps and watch its use of batch_idx."""
        progress = _optimizer_steps(trainer)
        before = progress.total.completed
        index = _WatchedIndex(batch_idx)
        output = written(batch, index)
        self.steps_per_batch = progress.total.completed - before
        self.mode = "record"
        if index.read:
            self.mode = "as written"
            _say("training_step reads batch_idx, and a recording would replay one batch's "
                 "branch at every batch")
        return output

    def record(self, trainer: pl.Trainer, module: pl.LightningModule, written: Callable,
               batch: torch.Tensor, batch_idx: int) -> None:
        """Record the step on this batch (capture's warm-up steps train on it too)."""
        caught: list[dict] = []

        def step(x: torch.Tensor) -> tuple[Any, list]:
            caught.clear()
            with _catching_logs(module, caught):
                output = written(x, batch_idx)
            return _detached(output), [arguments["value"] for arguments in caught]

        progress = _optimizer_steps(trainer)
        counted = progress.state_dict()
        replay = capture(step, batch)
        progress.load_state_dict(counted)    # warm-up and recording are not batches of the epoch
        self.mode = "as written"
        if not hasattr(replay, "graph"):
            return                           # capture said why, in one line
        odd = [a for a in caught if not isinstance(a["value"], (torch.Tensor, int, float))]
        if odd:
            _say(f"training_step logs {odd[0]['name']!r} as a {type(odd[0]['value']).__name__}, "
                 "not a tensor or a number")
            return
        self.replay, self.example, self.mode = replay, _signature(batch), "replay"
        self.logs = [{k: v for k, v in arguments.items() if k != "self"} for arguments in caught]


# --- helpers ----------------------------------------------------------------------------------

def _optimizer_steps(trainer: pl.Trainer):
    """Lightning's count of manual optimizer steps: ``trainer.global_step`` reads it."""
    return trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress


def _lightning_writes_now(trainer: pl.Trainer) -> bool:
    """Whether Lightning writes this batch's logged values to its logger (every
    ``log_every_n_steps`` batches). Where a Lightning version does not say, every batch."""
    connector = getattr(trainer, "_logger_connector", None)
    writes = getattr(connector, "should_update_logs", True)
    return bool(writes) or bool(trainer.fast_dev_run)


def _signature(batch: torch.Tensor) -> tuple:
    return (batch.shape, batch.dtype, batch.device)


def _detached(output: Any) -> Any:
    """training_step's return value without autograd history (a replay has none to give)."""
    if isinstance(output, torch.Tensor):
        return output.detach()
    if isinstance(output, dict):
        return {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in output.items()}
    return output


class _catching_logs:
    """``module.log`` replaced, for a ``with`` block, by a catcher of its arguments."""

    def __init__(self, module: pl.LightningModule, caught: list[dict]) -> None:
        self.module, self.caught = module, caught
        self.signature = inspect.signature(pl.LightningModule.log)   # its parameters, by name

    def log(self, *args: Any, **kwargs: Any) -> None:
        bound = self.signature.bind(self.module, *args, **kwargs)
        self.caught.append(dict(bound.arguments))

    def __enter__(self) -> None:
        self.module.log = self.log               # log_dict calls self.log: caught too

    def __exit__(self, *exc: object) -> None:
        self.module.__dict__.pop("log", None)


class _WatchedIndex(int):
    """An int that remembers being read: compared, computed with, formatted or used as an index."""

    read = False


def _watch(name: str) -> Callable:
    def method(self: _WatchedIndex, *args: Any) -> Any:
        self.read = True
        return getattr(int, name)(self, *args)
    method.__name__ = name
    return method


for _name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__index__",
              "__int__", "__float__", "__hash__", "__format__", "__str__", "__repr__",
              "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__mod__",
              "__rmod__", "__floordiv__", "__rfloordiv__", "__truediv__", "__rtruediv__",
              "__pow__", "__and__", "__or__", "__xor__", "__neg__", "__divmod__"):
    setattr(_WatchedIndex, _name, _watch(_name))


def _say(reason: str) -> None:
    print(f"The training step could not be recorded as a CUDA graph ({reason}); "
          "training goes on step by step (the same training, slower). "
          "See gan_course/lightning_graph.py for what a recorded step must do.")
