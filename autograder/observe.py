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

# Bound before student code runs (see the module docstring): these are called as functions,
# so patching a method on torch.Tensor later changes nothing here, and tensor subclasses with a
# __torch_function__ override are seen as plain tensors.
_T = torch.Tensor
_tolist, _detach, _cpu, _double, _flatten = _T.tolist, _T.detach, _T.cpu, _T.double, _T.flatten
_contiguous, _numpy, _numel, _item = _T.contiguous, _T.numpy, _T.numel, _T.item
_tmin, _tmax, _tmean, _tstd, _tnorm = _T.min, _T.max, _T.mean, _T.std, _T.norm
_isfinite, _all = torch.isfinite, torch.all
_plain = torch._C.DisableTorchFunctionSubclass
_isinstance = isinstance
_float = float
_sha256 = hashlib.sha256


def _numpy_bytes(t: torch.Tensor) -> bytes:
    with _plain():
        return _numpy(_contiguous(_cpu(_detach(t)))).tobytes()


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
    with _plain():
        d = _detach(t)
        info = {
            "shape": [int(n) for n in d.shape],
            "dtype": str(d.dtype).replace("torch.", ""),
            "device": d.device.type,
            "requires_grad": bool(t.requires_grad),
            "has_graph": t.grad_fn is not None,
        }
        numeric = d.is_floating_point() or d.dtype in (torch.int64, torch.int32, torch.uint8)
        if d.device.type == "meta":  # shapes only (the device probe): no values to summarise
            return info
        if _numel(d) and numeric:
            f = _cpu(_double(d))
            info.update(
                min=_clean(_item(_tmin(f))), max=_clean(_item(_tmax(f))),
                mean=_clean(_item(_tmean(f))),
                std=_clean(_item(_tstd(f))) if _numel(f) > 1 else 0.0,
                finite=bool(_item(_all(_isfinite(f)))),
            )
        if values:
            info["values"] = [_clean(v) for v in _tolist(_cpu(_double(_flatten(d)[:values])))]
    return info


def scalar(value, what: str) -> float:
    """A loss returned as a 0-d tensor or a Python number -> float (NaN/inf kept as strings)."""
    if _isinstance(value, torch.Tensor):
        with _plain():
            if _numel(value) != 1:
                raise TypeError(f"{what} should be a single number, got a tensor of shape "
                                f"{tuple(value.shape)}")
            return _clean(_item(_cpu(_double(_detach(value)))))
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
    return {name: _sha256(_numpy_bytes(p)).hexdigest()[:24]
            for name, p in module.named_parameters()}


def grad_norms(module) -> dict[str, float | None]:
    """Each parameter's gradient norm, or None where it has no gradient."""
    out = {}
    for name, p in module.named_parameters():
        if p.grad is None:
            out[name] = None
        else:
            with _plain():
                out[name] = _clean(_item(_tnorm(_double(_detach(p.grad)))))
    return out
