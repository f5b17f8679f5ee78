"""One mistake costs one function's points: grade a function with the grader's own dependencies.

``update_generator`` calls the student's ``get_gen_loss``; if that loss has a wrong label,
``update_generator`` would fail too, for a mistake that is not in it. So while a check observes
``update_generator``, the name ``get_gen_loss`` in the student's namespace is bound to the
grader's stand-in: a few lines that do what the notebook's text states (never code from
``solutions/``). The student's own function is put back afterwards.

A stand-in works only while its check runs: a submission that keeps one (to return its answers
from a later check) gets an error from it, never a value.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_ABSENT = object()


class StandInExpired(RuntimeError):
    """A grader's stand-in was called after the check that lent it had ended."""


def _as_named(name: str, fn: Callable) -> Callable:
    """A copy of ``fn`` called ``name``: an error about its arguments names the student's
    function (``get_noise() missing 1 required positional argument``), not the grader's."""
    if isinstance(fn, types.MethodType):          # a recorder's method: rename, then bind again
        return types.MethodType(_as_named(name, fn.__func__), fn.__self__)
    if not isinstance(fn, types.FunctionType):
        return fn
    code = fn.__code__.replace(co_name=name, co_qualname=name)
    copy = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__, copy.__qualname__ = fn.__kwdefaults__, name
    return copy


def _positional(sig: inspect.Signature | None) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in sig.parameters.values() if p.kind in kinds] if sig else []


def _signature(fn) -> inspect.Signature | None:
    try:
        return inspect.signature(fn) if callable(fn) else None
    except (TypeError, ValueError):
        return None
    except Exception:  # noqa: BLE001 - a student's object with a hostile __signature__
        return None


def _as_the_student_calls(name: str, fn: Callable, own) -> Callable:
    """``fn`` called with arguments written for the student's own function ``own``.

    A call that the student's own function accepts (``get_noise(n, z_dim, dev=device)`` for a
    ``get_noise(n_samples, z_dim, dev="cpu")``) is bound to its parameters; each value goes to
    the grader's parameter of the same name, or else of the same position (a renamed one). A
    call that the student's function does not accept fails as it would, in its name.
    Without a student's function (or a readable signature) the grader's own is used as it is.
    """
    named, grader_sig = _as_named(name, fn), _signature(fn)
    own_sig, mine = _signature(own), _positional(grader_sig)

    def bind(sig: inspect.Signature, args, kwargs) -> inspect.BoundArguments:
        try:
            return sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}() {exc}") from None

    if own_sig is None:                      # no function of the student's (or unreadable)
        def call_as_the_grader_has_it(*args, **kwargs):
            if grader_sig is not None:
                bind(grader_sig, args, kwargs)
            return named(*args, **kwargs)
        return call_as_the_grader_has_it

    def call(*args, **kwargs):
        bound = bind(own_sig, args, kwargs)
        given: dict = {}
        for i, param in enumerate(own_sig.parameters.values()):
            if param.name not in bound.arguments:
                continue
            value = bound.arguments[param.name]
            if param.kind == inspect.Parameter.VAR_POSITIONAL:
                for j, extra in enumerate(value, start=i):
                    if j < len(mine):
                        given.setdefault(mine[j], extra)
            elif param.kind == inspect.Parameter.VAR_KEYWORD:
                given.update({k: v for k, v in value.items() if k in mine and k not in given})
            elif param.name in mine:                  # a name the grader's function has too
                given[param.name] = value
            elif i < len(mine) and mine[i] not in own_sig.parameters:   # renamed: by position
                given.setdefault(mine[i], value)
        return named(**given)
    return call


def as_the_student_calls(name: str, fn: Callable, own=None) -> Callable:
    """The grader's ``fn`` as the student's ``name``: it takes the calls the student's own
    function ``own`` (None: none) takes, and its errors name ``name`` (see
    :func:`_as_the_student_calls`)."""
    return _as_the_student_calls(name, fn, own)


def _leased(name: str, fn: Callable, lease: list[bool], own=_ABSENT) -> Callable:
    call = _as_the_student_calls(name, fn, own)

    def stand_in(*args, **kwargs):
        if not lease[0]:
            raise StandInExpired(f"the grader's own `{name}` was kept and called after its check "
                                 "had ended: your code must compute its own results")
        return call(*args, **kwargs)
    stand_in.__name__ = stand_in.__qualname__ = name
    stand_in.__doc__ = f"The grader's stand-in for `{name}` (see the assignment's text)."
    return stand_in


@contextmanager
def standing_in(ns: dict, replacements: dict[str, Callable]) -> Iterator[None]:
    """Bind ``replacements`` in ``ns`` (a notebook namespace or a module's ``__dict__``) for a while."""
    lease = [True]
    saved = {name: ns.get(name, _ABSENT) for name in replacements}
    try:
        for name, fn in replacements.items():
            ns[name] = _leased(name, fn, lease, saved[name])
        yield
    finally:
        lease[0] = False
        for name, value in saved.items():
            if value is _ABSENT:
                ns.pop(name, None)
            else:
                ns[name] = value


def using(observe: Callable[[dict, dict], dict], library: dict[str, Callable],
          *names: str) -> Callable[[dict, dict], dict]:
    """``observe`` run with the stand-ins ``names`` from ``library`` bound in the namespace."""
    def observe_with_stand_ins(ns: dict, p: dict) -> dict:
        with standing_in(ns, {name: library[name] for name in names}):
            return observe(ns, p)
    observe_with_stand_ins.__name__ = getattr(observe, "__name__", "observe")
    observe_with_stand_ins.stand_ins = names
    return observe_with_stand_ins
