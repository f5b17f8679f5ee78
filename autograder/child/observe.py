"""Observation helpers that run in the child, next to the student's code.

Everything here turns student objects into plain data (numbers, lists, strings), so the grader
can judge without ever touching a student object. The functions the helpers rely on are bound
when this module is imported, *before* any student code runs, so a submission that patches
``torch.Tensor.tolist`` or ``torch.allclose`` later does not change what is reported.
"""

from __future__ import annotations

import hashlib
import math
import operator

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
_equal, _allclose = torch.equal, torch.allclose
_modules, _children = nn.Module.modules, nn.Module.children
_named_parameters = nn.Module.named_parameters
_any, _type, _getattr, _setattr, _delattr = any, type, getattr, setattr, delattr
_vars, _sorted, _list = vars, sorted, list
_index, _int_of = operator.index, int.__int__


def equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """``torch.equal`` as it was before student code ran, on plain tensors."""
    with _plain():
        return bool(_equal(a, b))


def allclose(a: torch.Tensor, b: torch.Tensor, **kwargs) -> bool:
    """``torch.allclose`` as it was before student code ran, on plain tensors."""
    with _plain():
        return bool(_allclose(a, b, **kwargs))


def norm(t: torch.Tensor, **kwargs) -> float:
    """The norm of ``t`` as a float (``Tensor.norm`` as it was before student code ran)."""
    with _plain():
        return _clean(_item(_tnorm(_double(_detach(t)), **kwargs)))


# --- what student code may have patched, put back before each observation -----------------
# (owner, attribute names) that observers rely on. For a class, an attribute the student *added*
# to shadow an inherited one (``torch.Tensor.__eq__ = ...``) is removed again.

_TENSOR_NAMES = (
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
    "__int__", "__len__", "__getitem__", "__iter__", "__repr__", "__format__", "__hash__",
    "__add__", "__sub__", "__mul__", "__truediv__", "__neg__", "__abs__", "__matmul__",
    "abs", "all", "allclose", "any", "backward", "clone", "contiguous", "cpu", "detach", "dim",
    "double", "equal", "eq", "flatten", "float", "isfinite", "item", "max", "mean", "min",
    "norm", "numel", "numpy", "requires_grad_", "reshape", "size", "sqrt", "std", "sum", "to",
    "tolist", "view", "zero_", "grad", "grad_fn", "requires_grad", "shape", "dtype", "device",
    "is_floating_point",
)
_MODULE_NAMES = (
    "__call__", "_call_impl", "__getattr__", "__setattr__", "__delattr__", "__dir__",
    "__repr__", "apply", "buffers", "children", "eval", "modules", "named_buffers",
    "named_children", "named_modules", "named_parameters", "parameters", "state_dict",
    "load_state_dict", "to", "train", "zero_grad", "forward",
)
_TORCH_NAMES = (
    "abs", "all", "allclose", "any", "arange", "as_tensor", "cat", "device", "equal", "full",
    "full_like", "get_rng_state", "is_tensor", "isclose", "isfinite", "isnan", "linspace", "log",
    "manual_seed", "max", "mean", "min", "no_grad", "norm", "ones", "ones_like", "rand",
    "randint", "randn", "randn_like", "randperm", "set_rng_state", "sigmoid", "stack", "std",
    "sum", "tanh", "tensor", "zeros", "zeros_like", "enable_grad", "is_grad_enabled",
    "set_grad_enabled", "Tensor", "float32", "float64",
)
_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "callable", "dict", "enumerate", "float", "getattr", "hasattr",
    "id", "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next",
    "range", "repr", "round", "set", "setattr", "sorted", "str", "sum", "tuple", "type", "zip",
)


def _protected() -> list[tuple[object, str, bool, object]]:
    """(owner, name, is_class, original value or _ABSENT) for everything in the lists above."""
    import builtins

    from torch.nn import functional, init

    owners: list[tuple[object, tuple[str, ...]]] = [
        (torch, _TORCH_NAMES), (builtins, _BUILTIN_NAMES), (torch.Tensor, _TENSOR_NAMES),
        (nn.Parameter, _TENSOR_NAMES), (nn.Module, _MODULE_NAMES),
        (torch.optim.Optimizer, ("step", "zero_grad", "state_dict", "add_param_group")),
        (math, ("isfinite", "isnan", "isclose", "sqrt", "log", "exp")),
        (functional, tuple(n for n in _vars(functional) if not n.startswith("_"))),
        (init, tuple(n for n in _vars(init) if not n.startswith("_"))),
    ]
    # every layer class of torch.nn and every optimizer: their forward/step and settings
    for module, base in ((nn, nn.Module), (torch.optim, torch.optim.Optimizer)):
        for value in _list(_vars(module).values()):
            if _isinstance(value, _type) and issubclass(value, base) and value is not base:
                owners.append((value, ("forward", "step", "__init__", "extra_repr", "__call__")))
    table = []
    for owner, names in owners:
        is_class = _isinstance(owner, _type)
        own = _vars(owner)
        for name in names:
            table.append((owner, name, is_class, own[name] if name in own else _ABSENT))
    return table


_ABSENT = object()
_PROTECTED = _protected()
_MODULES: list[tuple[object, dict, list[tuple[object, tuple]]]] = []
_FUNCTION_TYPE = _type(_protected)


def _function_state(f) -> tuple:
    return (f.__code__, f.__defaults__, f.__kwdefaults__, f.__globals__)


def protect(module) -> None:
    """Remember ``module``'s globals and its functions' code as they are now (the child calls
    this for the grader's own modules before student code runs); :func:`restore` puts them back.

    So a submission that reaches an observer through ``gc`` in a cell (``check.observe.
    __globals__``, ``observe.__code__``) and rewrites it is undone before each observation.
    """
    namespace = _vars(module)
    functions = [(v, _function_state(v)) for v in namespace.values()
                 if _isinstance(v, _FUNCTION_TYPE)]
    _MODULES.append((module, dict(namespace), functions))


def _restore_modules() -> list[str]:
    touched = []
    for module, saved, functions in _MODULES:
        namespace = _vars(module)
        name = _getattr(module, "__name__", "?")
        for key in [k for k in namespace if k not in saved]:
            del namespace[key]
            touched.append(f"{name}.{key}")
        for key, value in saved.items():
            if namespace.get(key, _ABSENT) is not value:
                namespace[key] = value
                touched.append(f"{name}.{key}")
        for function, state in functions:
            if _function_state(function) != state:
                code, defaults, kwdefaults, _ = state
                function.__code__, function.__defaults__ = code, defaults
                function.__kwdefaults__ = kwdefaults
                touched.append(f"{name}.{function.__name__}.__code__")
    return touched


def restore() -> list[str]:
    """Put back every protected function and method that was replaced since this module was
    imported (before any student code ran); return their names (empty if nothing was touched).

    The child calls this before each observation, so a submission that patched ``torch.equal``,
    ``Tensor.norm``, ``Module.modules`` or ``Tensor.__eq__`` in a cell observes like the original.
    (Code that patches *during* the observation, inside the student's own function, is not
    undone: see docs/grading.md.)
    """
    touched = _restore_modules()
    for owner, name, is_class, original in _PROTECTED:
        current = _vars(owner).get(name, _ABSENT)
        if current is original:
            continue
        label = f"{_getattr(owner, '__name__', '?')}.{name}"
        if _getattr(current, "__wrapped__", None) is original:
            label = ""  # a library's decorator (torch._dynamo wraps torch.manual_seed): silent
        try:
            if original is _ABSENT:
                if is_class:
                    _delattr(owner, name)
                    touched.append(label)
                continue
            _setattr(owner, name, original)
            touched.append(label)
        except (AttributeError, TypeError):
            touched.append(f"{label or name} (could not be restored)")
    return [t for t in touched if t]


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


def plain_int(value):
    """A layer's size as a Python int: ``784`` for ``np.prod((28, 28))`` (a ``numpy.int64``), a
    0-d integer tensor or an int subclass; anything else as it is (the encoder reports it by type
    and repr, and the judge rejects it as no number)."""
    if _type(value) is int:
        return value
    if _isinstance(value, _float):
        return value  # not a size: left for the judge to reject
    try:
        return _int_of(_index(value))
    except Exception:  # noqa: BLE001 - not an integer: reported as it is
        return value


def describe_layers(module) -> list[dict]:
    """The leaf layers of a module in registration order, with their key settings (plain
    ints and floats: a size given as ``np.prod(shape)`` is reported as the int it is)."""
    if not _isinstance(module, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(module).__name__}")
    out = []
    for m in _modules(module):
        if _any(True for _ in _children(m)):
            continue
        d = {"type": type(m).__name__}
        if _isinstance(m, nn.Linear):
            d.update({"in": plain_int(m.in_features), "out": plain_int(m.out_features)})
        elif _isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            d.update({"features": plain_int(m.num_features)})
        elif _isinstance(m, nn.LeakyReLU):
            d.update({"slope": _float(m.negative_slope)})
        elif _isinstance(m, nn.Dropout):
            d.update({"p": _float(m.p)})
        elif _isinstance(m, nn.Unflatten):
            d.update({"sizes": [plain_int(n) for n in _list(m.unflattened_size)]})
        out.append(d)
    return out


def snapshot(module) -> dict[str, str]:
    """A fingerprint of every parameter (sha256 of its bytes): equal iff unchanged."""
    return {name: _sha256(_numpy_bytes(p)).hexdigest()[:24]
            for name, p in _named_parameters(module)}


def grad_norms(module) -> dict[str, float | None]:
    """Each parameter's gradient norm, or None where it has no gradient."""
    out = {}
    for name, p in _named_parameters(module):
        if p.grad is None:
            out[name] = None
        else:
            with _plain():
                out[name] = _clean(_item(_tnorm(_double(_detach(p.grad)))))
    return out
