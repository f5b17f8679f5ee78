"""The one encoder of everything the child reports: any object -> plain JSON data (runs in the child).

Observers return plain data, but what they copy out of student objects need not be plain: a
layer built as ``nn.Linear(24, np.prod(shape))`` holds a ``numpy.int64`` size, a network may carry
a tensor or a ``torch.device`` in an attribute. :func:`encode` turns every value into data that
``json.dumps(..., allow_nan=False)`` accepts, the same data ``json.dumps`` would write for the
values it already accepts:

* ``None``, ``bool``, ``int``, ``str`` (and their subclasses, read with the base type's own
  methods, so an overridden ``__int__`` or ``__str__`` is never called);
* ``float``: as it is when finite, else the project's strings ``'nan'``, ``'inf'``, ``'-inf'``
  (those of :func:`autograder.child.observe._clean` and :func:`autograder.checks.number`);
* numpy scalars as the Python number they hold (``np.int64(784)`` -> ``784``); numpy arrays of
  at most :data:`ARRAY_VALUES` values as (nested) lists, larger ones summarised like tensors;
* tensors summarised, never dumped: ``{"type": "torch.Tensor", "shape", "dtype", "device"}``;
* ``dict`` (keys as ``json.dumps`` writes them: strings, numbers and ``None`` as text, any other
  key as its bounded repr), ``list`` and ``tuple`` (as lists), :data:`MAX_DEPTH` levels deep;
* any other object as ``{"type": "module.Class", "repr": "..."}``, the repr cut at
  :data:`REPR_CHARS`; a ``__repr__`` that raises gives ``"(repr raised ValueError)"``.

Everything it calls is bound when this module is imported, before any student code runs
(:mod:`autograder.child.main` imports it first), as in :mod:`autograder.child.observe`. The
child's :class:`~autograder.child.main.Reporter` encodes every event with it; an event that still
cannot be written (too large, too many values, or the encoder itself failed) becomes that step's
error of kind ``unreportable``, never a dead child. The grader's judges still treat every
observation as untrusted (:func:`autograder.checks.number` and its kin reject what is not theirs).
"""

from __future__ import annotations

import json
import math

import numpy
import torch

ARRAY_VALUES = 4096   # a numpy array of at most this many values is reported as lists
MAX_DEPTH = 32        # containers nested deeper are reported by type and repr
MAX_VALUES = 500_000  # values in one event, all containers together
REPR_CHARS = 200      # of an unknown object's repr
NAME_CHARS = 120      # of a type's name
MAX_INT_BITS = 1024   # a larger int is reported by its size (JSON readers refuse huge ones)
MAX_LINE = 6 << 20    # bytes of one event line: below the grader's MAX_EVENT (8 MiB),
#                       which drops a longer line unread (autograder/grading/sandbox.py)

# Bound before student code runs.
_type, _issubclass, _len, _repr, _str = type, issubclass, len, repr, str
_bits = int.bit_length
_type_get = type.__getattribute__
_int_of, _float_of, _str_of = int.__int__, float.__float__, str.__str__
_float_repr = float.__repr__
_isfinite, _isnan = math.isfinite, math.isnan
_dict_items, _list_iter, _tuple_iter = dict.items, list.__iter__, tuple.__iter__
_dumps = json.dumps
_Tensor = torch.Tensor
_t_size, _t_dtype, _t_device = _Tensor.size, _Tensor.dtype.__get__, _Tensor.device.__get__
_plain = torch._C.DisableTorchFunctionSubclass
_np_generic, _np_ndarray = numpy.generic, numpy.ndarray
_np_item, _np_tolist = numpy.generic.item, numpy.ndarray.tolist
_np_size, _np_shape = numpy.ndarray.size.__get__, numpy.ndarray.shape.__get__
_np_dtype = numpy.ndarray.dtype.__get__


class EncodeError(Exception):
    """An event that cannot be reported (too large, too many values)."""


def type_name(value) -> str:
    """``module.Class`` of ``value``'s type (no module for builtins and the student's own
    classes, whose module is ``__main__``), read past any metaclass."""
    cls = _type(value)
    name = _type_get(cls, "__qualname__")
    module = _type_get(cls, "__module__")
    if _type(module) is str and module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    return _str_of(name)[:NAME_CHARS]


def safe_repr(value) -> str:
    """``repr(value)`` cut at :data:`REPR_CHARS`; never raises (a hostile ``__repr__`` included)."""
    try:
        text = _repr(value)
        if not _issubclass(_type(text), str):
            return "(repr returned no string)"
        text = _str_of(text)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return f"(repr raised {type_name(exc)})"
    return text if _len(text) <= REPR_CHARS else text[:REPR_CHARS - 3] + "..."


def _float(x: float):
    x = _float_of(x)
    if _isfinite(x):
        return x
    return "nan" if _isnan(x) else ("inf" if x > 0 else "-inf")


def _other(value, why: str | None = None) -> dict:
    return {"type": type_name(value), "repr": why or safe_repr(value)}


def _tensor(t) -> dict:
    try:
        with _plain():
            return {"type": type_name(t), "shape": [_int_of(n) for n in _t_size(t)],
                    "dtype": _str(_t_dtype(t)).replace("torch.", ""),
                    "device": _t_device(t).type}
    except Exception:  # noqa: BLE001 - a nested or otherwise odd tensor
        return {"type": type_name(t)}


class _Encoder:
    """One event's encoding; counts its values (:data:`MAX_VALUES`)."""

    def __init__(self):
        self.values = 0

    def key(self, k) -> str:
        """A dict key as ``json.dumps`` writes it (any other key as its repr)."""
        kind = _type(k)
        if _issubclass(kind, str):
            return _str_of(k)
        if k is None or kind is bool:
            return {None: "null", True: "true", False: "false"}[k]
        if _issubclass(kind, int) and _bits(k) <= MAX_INT_BITS:
            return _repr(_int_of(k))
        if _issubclass(kind, float):
            value = _float(k)
            return value if _type(value) is str else _float_repr(value)
        return safe_repr(k)

    def __call__(self, value, depth: int = 0):
        self.values += 1
        if self.values > MAX_VALUES:
            raise EncodeError(f"more than {MAX_VALUES} values")
        kind = _type(value)  # type(), not isinstance(): a fake __class__ changes nothing
        if value is None or kind is bool:
            return value
        if _issubclass(kind, str):
            return _str_of(value)
        if _issubclass(kind, int):
            if _bits(value) > MAX_INT_BITS:
                return _other(value, f"(an integer of {_bits(value)} bits)")
            return _int_of(value)
        if _issubclass(kind, float):
            return _float(value)
        if _issubclass(kind, _Tensor):
            return _tensor(value)
        if _issubclass(kind, _np_generic):
            plain = _np_item(value)
            if _issubclass(_type(plain), _np_generic):  # np.longdouble stays numpy
                return _other(value)
            return self(plain, depth + 1)
        if depth >= MAX_DEPTH and _issubclass(kind, (dict, list, tuple, _np_ndarray)):
            return _other(value, f"(nested deeper than {MAX_DEPTH} levels)")
        if _issubclass(kind, dict):
            return {self.key(k): self(v, depth + 1) for k, v in _dict_items(value)}
        if _issubclass(kind, list):
            return [self(v, depth + 1) for v in _list_iter(value)]
        if _issubclass(kind, tuple):
            return [self(v, depth + 1) for v in _tuple_iter(value)]
        if _issubclass(kind, _np_ndarray):
            if _np_size(value) <= ARRAY_VALUES:
                return self(_np_tolist(value), depth + 1)
            return {"type": type_name(value), "shape": [_int_of(n) for n in _np_shape(value)],
                    "dtype": _str(_np_dtype(value))}
        return _other(value)


def encode(value):
    """``value`` as plain JSON data (see the module docstring); EncodeError if it is too large."""
    return _Encoder()(value)


def line(event: dict) -> bytes:
    """One event as a JSON line for the grader, encoded; EncodeError if over :data:`MAX_LINE`."""
    data = (_dumps(encode(event), allow_nan=False) + "\n").encode()
    if _len(data) > MAX_LINE:
        raise EncodeError(f"{_len(data)} bytes, more than {MAX_LINE}")
    return data
