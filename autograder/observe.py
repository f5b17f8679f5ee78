"""Observation helpers that run in the child, next to the student's code.

Everything here turns student objects into plain data (numbers, lists, strings), so the grader
can judge without ever touching a student object. The functions the helpers rely on are bound
when this module is imported, *before* any student code runs, so a submission that patches
``torch.Tensor.tolist`` or ``torch.allclose`` later does not change what is reported.
"""

from __future__ import annotations

import hashlib
import math

import torch
from torch import nn

# Bound before student code runs (see the module docstring).
_tolist = torch.Tensor.tolist
_detach = torch.Tensor.detach
_numpy_bytes = lambda t: _detach(t).cpu().contiguous().numpy().tobytes()  # noqa: E731
_isinstance = isinstance
_float = float


class Missing(Exception):
    """The submission does not define a name a check needs."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def need(ns: dict, name: str):
    """``ns[name]``, or :class:`Missing` naming what the student must define."""
    if name not in ns:
        raise Missing(name)
    return ns[name]


def seed_all(seed: int) -> None:
    """Make the next random draws reproducible (CPU and CUDA)."""
    torch.manual_seed(seed)


def as_tensor(value, what: str) -> torch.Tensor:
    """``value`` if it is a tensor, else a TypeError a student understands."""
    if not _isinstance(value, torch.Tensor):
        raise TypeError(f"{what} should be a torch.Tensor, got {type(value).__name__}")
    return value


def tensor_info(t: torch.Tensor, values: int = 0) -> dict:
    """Shape, dtype, device, summary statistics and up to ``values`` flattened values."""
    t = as_tensor(t, "the result")
    d = _detach(t)
    info = {
        "shape": list(d.shape),
        "dtype": str(d.dtype).replace("torch.", ""),
        "device": d.device.type,
        "requires_grad": bool(t.requires_grad),
        "has_graph": t.grad_fn is not None,
    }
    if d.numel() and (d.is_floating_point() or d.dtype in (torch.int64, torch.int32, torch.uint8)):
        f = d.double().cpu()
        info.update(
            min=_clean(f.min().item()), max=_clean(f.max().item()),
            mean=_clean(f.mean().item()), std=_clean(f.std().item()) if f.numel() > 1 else 0.0,
            finite=bool(torch.isfinite(f).all().item()),
        )
    if values:
        info["values"] = [_clean(v) for v in _tolist(d.flatten()[:values].double().cpu())]
    return info


def scalar(value, what: str) -> float:
    """A loss returned as a 0-d tensor or a Python number -> float (NaN/inf kept as strings)."""
    if _isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"{what} should be a single number, got a tensor of shape "
                            f"{tuple(value.shape)}")
        return _clean(_detach(value).double().cpu().item())
    if _isinstance(value, (int, float)) and not _isinstance(value, bool):
        return _clean(_float(value))
    raise TypeError(f"{what} should be a number or a 0-d tensor, got {type(value).__name__}")


def _clean(x: float):
    """JSON has no NaN/inf: report them as the strings 'nan', 'inf', '-inf'."""
    x = _float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def describe_layers(module) -> list[dict]:
    """The leaf layers of a module in registration order, with their key settings."""
    if not _isinstance(module, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(module).__name__}")
    out = []
    for m in module.modules():
        if any(True for _ in m.children()):
            continue
        d = {"type": type(m).__name__}
        if _isinstance(m, nn.Linear):
            d.update({"in": m.in_features, "out": m.out_features})
        elif _isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            d.update({"features": m.num_features})
        elif _isinstance(m, nn.LeakyReLU):
            d.update({"slope": _float(m.negative_slope)})
        elif _isinstance(m, nn.Dropout):
            d.update({"p": _float(m.p)})
        elif _isinstance(m, nn.Unflatten):
            d.update({"sizes": list(m.unflattened_size)})
        out.append(d)
    return out


def snapshot(module) -> dict[str, str]:
    """A fingerprint of every parameter (sha256 of its bytes): equal iff unchanged."""
    return {name: hashlib.sha256(_numpy_bytes(p)).hexdigest()[:24]
            for name, p in module.named_parameters()}


def grad_norms(module) -> dict[str, float | None]:
    """Each parameter's gradient norm, or None where it has no gradient."""
    out = {}
    for name, p in module.named_parameters():
        out[name] = None if p.grad is None else _clean(_detach(p.grad).double().norm().item())
    return out
