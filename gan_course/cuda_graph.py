"""One training step recorded as a CUDA graph and replayed: the step without Python's overhead.

The course's networks are tiny. On a GPU, one training step of ``first_gan`` is some three
hundred small kernels, each launched by a line of Python, and the GPU spends most of the step
waiting for the next launch. A CUDA graph records those launches once and replays them all with
one call, so a step costs one launch. Measured on an NVIDIA H200 (``bench/step_overhead.py``):
about 140 steps/s step by step, about 900 replayed (docs/benchmarks.md). On a CPU there is
nothing to gain, and :func:`capture` gives the step back as it is.

Usage, in a training loop (the notebook's training cell does exactly this)::

    def train_step(real):                 # real: (n, 784) on the device
        disc_loss = update_discriminator(...)
        gen_loss = update_generator(...)
        return gen_loss.detach(), disc_loss.detach()

    train_step = capture(train_step, first_batch)    # first_batch: one (n, 784) batch
    for real, _ in batches:
        gen_loss, disc_loss = train_step(real)       # replays the graph on a GPU

What the step must do to be captured (the notebooks' steps do all of it):

* keep every tensor on the GPU: no ``.item()``, ``.cpu()``, ``print`` of a tensor, or tensor
  made on the CPU and moved (``torch.randn(n, z).to(device)``);
* use optimizers made with ``capturable=True`` (``torch.optim.Adam(..., capturable=True)``);
* have fixed shapes: a batch of another shape (the smaller last batch of an epoch) is run step
  by step instead, which is correct, only slower;
* draw its random numbers with torch on the GPU (``torch.randn(..., device=device)``,
  ``torch.randint(..., device=device)``): those are drawn afresh at every replay, while a number
  drawn on the host (numpy, Python's ``random``) is drawn once, while recording, and frozen.

A step that takes no tensors (it draws its own batches on the GPU, as ``training_a_gan``'s
does) names its device instead: ``capture(train_step, device=device)``, then ``train_step()``.

If the step cannot be captured, :func:`capture` says why in one line and gives the step back as
it is: training is the same, only slower. While a grader runs the code (``is_grading()``),
:func:`capture` never records: the grader's observers see every step. The graph's outputs are the same tensors at every
replay, overwritten by the next one: use them (``torch.stack``, ``+=``, ``.item()``) before the
next step, as a training loop does. Recording runs the step a few times on the example batch
(``warmup``) so the optimizers' state exists before the graph is made; those steps train too.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gan_course import is_grading

__all__ = ["capture", "make_capturable"]


def capture(step: Callable, *example: torch.Tensor, warmup: int = 3,
            device: torch.device | str | None = None) -> Callable:
    """Return ``step`` recorded as a CUDA graph when ``example`` lies on a GPU, else ``step``.

    Parameters:
        step: a function of tensors (one training step) that returns a tensor or a tuple of them
        example: tensors of the shapes, dtypes and device that ``step`` will be called with
        warmup: how many times ``step`` runs on ``example`` before it is recorded
        device: only for a step that takes no tensors (no ``example``): where it runs; it is
            recorded when that is a GPU
    Returns:
        a function with the signature of ``step``: on inputs shaped like ``example`` it copies
        them into the graph's inputs and replays the graph; on others it calls ``step``.
    """
    if example:
        on_gpu = all(isinstance(t, torch.Tensor) and t.is_cuda for t in example)
    else:
        on_gpu = device is not None and torch.device(device).type == "cuda"
    if not on_gpu:
        return step                                    # a CPU (or no device): nothing to gain
    if is_grading():
        return step    # the grader watches every step (a replay runs no Python): never record
    inputs = [t.detach().clone() for t in example]     # the graph reads its inputs from here
    gpu = inputs[0].device if inputs else torch.device(device)

    # Warm-up on a side stream, as CUDA graphs require: it makes the optimizers' state and
    # lets cuDNN/cuBLAS pick their kernels before anything is recorded. The last warm-up step
    # runs with CUDA's sync debugging set to raise, so a step that waits for the GPU (.item(),
    # .cpu(), a CPU tensor copied in) is found here, before any recording starts.
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(max(warmup - 1, 0)):
            step(*inputs)
        problem = _host_wait(step, inputs)
    torch.cuda.current_stream().wait_stream(side)
    if problem is not None:
        return _step_by_step(step, problem)

    index = gpu.index if gpu.index is not None else torch.cuda.current_device()
    generator = torch.cuda.default_generators[index]
    saved = generator.clone_state()                    # to undo a failed recording (see below)
    graph = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.graph(graph):
            outputs = step(*inputs)                    # recorded, not run
    except Exception as error:  # noqa: BLE001  (any reason: say it, and train step by step)
        # A recording that broke off leaves the random generator expecting a graph: give it
        # back its state from before, so torch.randn works again outside a graph.
        generator.graphsafe_set_state(saved)
        torch.cuda.synchronize()
        return _step_by_step(step, error)
    signature = [(t.shape, t.dtype, t.device) for t in inputs]

    def replay(*batch: torch.Tensor):
        if [(t.shape, t.dtype, t.device) for t in batch] != signature:
            return step(*batch)                        # another shape (the last, smaller batch)
        for graph_input, value in zip(inputs, batch, strict=True):
            graph_input.copy_(value)
        graph.replay()
        return outputs

    replay.graph = graph                               # for inspection: replay.graph.replay()
    return replay


def make_capturable(*optimizers: torch.optim.Optimizer) -> None:
    """Let the optimizers be recorded in a CUDA graph: Adam keeps its step count on the GPU.

    The same as creating them with ``capturable=True``, so that a student's optimizers need
    nothing more. Call it before their first step, and only when the parameters are on a GPU
    (a capturable Adam refuses CPU parameters). Optimizers without that option are left as they are.
    """
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            if "capturable" in group:
                group["capturable"] = True


def _host_wait(step: Callable, inputs: list[torch.Tensor]) -> Exception | None:
    """Run one step with CUDA's sync debugging set to raise; the error if the step waits."""
    mode = torch.cuda.get_sync_debug_mode()
    torch.cuda.set_sync_debug_mode("error")
    try:
        step(*inputs)
    except RuntimeError as error:
        if "synchroniz" not in str(error):
            raise                                      # a real bug of the step: show it as it is
        return error
    finally:
        torch.cuda.set_sync_debug_mode(mode)
    return None


def _step_by_step(step: Callable, error: Exception) -> Callable:
    text = str(error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    print(f"The training step could not be recorded as a CUDA graph ({reason}); "
          "training goes on step by step (the same training, slower). "
          "See gan_course/cuda_graph.py for what a recorded step must do.")
    return step
