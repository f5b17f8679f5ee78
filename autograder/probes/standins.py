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

from collections.abc import Callable, Iterator
from contextlib import contextmanager

_ABSENT = object()


class StandInExpired(RuntimeError):
    """A grader's stand-in was called after the check that lent it had ended."""


def _leased(name: str, fn: Callable, lease: list[bool]) -> Callable:
    def stand_in(*args, **kwargs):
        if not lease[0]:
            raise StandInExpired(f"the grader's own `{name}` was kept and called after its check "
                                 "had ended: your code must compute its own results")
        return fn(*args, **kwargs)
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
            ns[name] = _leased(name, fn, lease)
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
