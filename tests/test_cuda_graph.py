"""``gan_course.cuda_graph.capture``: a training step recorded once and replayed on a GPU.

On a CPU ``capture`` must give the step back untouched. On a GPU (``-m gpu``) a replayed step
must train exactly as the step run by hand, a batch of another shape must run step by step, and
a step that cannot be recorded (it reads a value with ``.item()``) must train step by step after
one line that says why.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from gan_course.cuda_graph import capture

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def make_step(net: nn.Module, opt: torch.optim.Optimizer, read_value: bool = False, noise: bool = False):
    """One optimizer step of a regression on a batch x (n, 4): returns the loss (a scalar)."""
    def step(x):
        opt.zero_grad()
        if noise:
            x = x + 0.1 * torch.randn_like(x)   # draws from the CUDA generator inside the step
        loss = (net(x) - x.sum(1, keepdim=True)).pow(2).mean()
        if read_value:
            loss.item()                          # a host read: cannot be recorded
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def net_and_opt(device: str, seed: int = 0, capturable: bool | None = None):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).to(device)
    capturable = device == "cuda" if capturable is None else capturable
    return net, torch.optim.Adam(net.parameters(), lr=1e-2, capturable=capturable)


def test_cpu_step_is_given_back_unchanged():
    net, opt = net_and_opt("cpu")
    step = make_step(net, opt)
    assert capture(step, torch.randn(5, 4)) is step
    assert capture(step) is step                 # nothing to capture with
    assert capture(step, device="cpu") is step   # a step without tensors, on the CPU


@pytest.mark.gpu
@cuda
def test_a_step_without_tensors_is_recorded_on_its_device_and_draws_afresh():
    """A step that draws its own batch on the GPU (training_a_gan's): recorded with device=,
    and every replay draws new random numbers (a batch drawn once would be frozen)."""
    net, opt = net_and_opt("cuda")

    def step():
        x = torch.randn(16, 4, device="cuda")   # the step's own batch
        return make_step(net, opt)(x), x.sum()

    replay = capture(step, device="cuda")
    assert hasattr(replay, "graph")
    sums = []
    for _ in range(3):
        loss, total = replay()
        assert torch.isfinite(loss)
        sums.append(total.item())
    assert len(set(sums)) == 3, f"every replay should draw a new batch, got sums {sums}"


@pytest.mark.gpu
@cuda
def test_replayed_step_trains_as_the_step_by_hand():
    net, opt = net_and_opt("cuda")
    twin = copy.deepcopy(net)
    twin_opt = torch.optim.Adam(twin.parameters(), lr=1e-2, capturable=True)
    batches = [torch.randn(16, 4, device="cuda") for _ in range(20)]
    replay = capture(make_step(net, opt), batches[0], warmup=3)
    assert hasattr(replay, "graph")             # recorded, not given back
    by_hand = make_step(twin, twin_opt)
    for _ in range(3):                           # the warm-up steps capture() took
        by_hand(batches[0])
    for x in batches:
        loss, twin_loss = replay(x).clone(), by_hand(x)
        torch.testing.assert_close(loss, twin_loss)
    for p, q in zip(net.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q)


@pytest.mark.gpu
@cuda
def test_another_shape_runs_step_by_step():
    net, opt = net_and_opt("cuda")
    replay = capture(make_step(net, opt), torch.randn(16, 4, device="cuda"))
    full = replay(torch.randn(16, 4, device="cuda"))
    last = replay(torch.randn(7, 4, device="cuda"))   # the smaller last batch of an epoch
    assert last is not full                      # not the graph's output tensor
    assert torch.isfinite(replay(torch.randn(16, 4, device="cuda"))).all()


@pytest.mark.gpu
@cuda
def test_a_step_that_cannot_be_recorded_trains_step_by_step(capsys):
    net, opt = net_and_opt("cuda")
    step = make_step(net, opt, read_value=True)
    assert capture(step, torch.randn(16, 4, device="cuda")) is step
    said = capsys.readouterr().out
    assert "could not be recorded as a CUDA graph" in said and "step by step" in said
    before = [p.detach().clone() for p in net.parameters()]
    step(torch.randn(16, 4, device="cuda"))      # training goes on, step by step
    assert any(not torch.equal(b, p) for b, p in zip(before, net.parameters(), strict=True))


@pytest.mark.gpu
@cuda
def test_a_recording_that_breaks_off_leaves_cuda_and_its_random_numbers_working(capsys):
    net, opt = net_and_opt("cuda", capturable=False)   # Adam refuses to be recorded
    step = make_step(net, opt, noise=True)             # and the step draws random numbers first
    assert capture(step, torch.randn(16, 4, device="cuda")) is step
    assert "could not be recorded as a CUDA graph" in capsys.readouterr().out
    assert torch.randn(3, device="cuda").isfinite().all()   # the generator works outside a graph
    before = [p.detach().clone() for p in net.parameters()]
    step(torch.randn(16, 4, device="cuda"))
    assert any(not torch.equal(b, p) for b, p in zip(before, net.parameters(), strict=True))
    net2, opt2 = net_and_opt("cuda")                    # and a later recording still works
    replay = capture(make_step(net2, opt2, noise=True), torch.randn(16, 4, device="cuda"))
    assert hasattr(replay, "graph") and torch.isfinite(replay(torch.randn(16, 4, device="cuda"))).all()


@pytest.mark.gpu
@cuda
def test_no_recording_while_grading(monkeypatch):
    """A grader observes every step of a student's loop (gan_tutorial's `train`): a replay would
    run none of the grader's hooks, so `capture` gives the step back while grading."""
    monkeypatch.setenv("GAN_COURSE_GRADING", "1")
    net, opt = net_and_opt("cuda")
    step = make_step(net, opt)
    assert capture(step, torch.randn(16, 4, device="cuda")) is step
