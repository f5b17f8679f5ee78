"""Device bugs on any grader: the CPU run, then PyTorch's ``meta`` device, then CUDA where usable.

:func:`on_cpu_then_cuda` runs an observation on the CPU (a student's error is reported, "not
implemented" and missing names propagate) and again on CUDA when CUDA works for the grader's own
tensors (:func:`cuda_usable`); a GPU error is reported, never raised.

A tensor on ``meta`` has a shape and a dtype but no data, so nothing is computed and the run is
instant. The grader puts its stand-in networks and inputs on ``meta`` and passes
``device="meta"``: every tensor the student's code creates without the device it was given
(``torch.randn(n, z_dim)``, ``torch.ones(n, 1)``) lands on the CPU, and the first operation that
mixes it with a ``meta`` tensor fails, exactly where a GPU run would. A PyTorch function mode
records where each CPU tensor was made, so the feedback names the line.

``observe_on_meta`` runs in the child (beside student code); ``judge_on_meta`` and
``judge_meta_run`` in the grader.
"""

from __future__ import annotations

import linecache
import sys

import torch
from torch.overrides import TorchFunctionMode

from autograder.checks import Verdict
from autograder.child.observe import Missing

META = "meta"
MAX_ORIGINS = 256

# Reading a value out of a meta tensor is impossible (it has none): these calls get a stand-in
# value, so code that prints or returns `loss.item()` still runs to the end.
_READS = {"item": 0.0, "__float__": 0.0, "__int__": 0, "__bool__": True, "__index__": 0,
          "tolist": [], "numpy": None}
_DEVICE_WORDS = ("on device meta", "on the expected device", "same device",
                 "to be on the same device", "device meta is not", "device cpu is not")

_Tensor = torch.Tensor
_getframe = sys._getframe


def short_error(exc: BaseException, limit: int = 300) -> str:
    """``"RuntimeError: Expected all tensors ..."``: an error as one short line of a report."""
    return f"{type(exc).__name__}: {str(exc)[:limit]}"


def cuda_usable() -> bool:
    """CUDA is there and works for the grader's own tensors (else device checks are skipped)."""
    if not torch.cuda.is_available():
        return False
    try:
        return bool(torch.ones(2, device="cuda").sum().item() == 2.0)
    except Exception:  # a broken driver is not the student's mistake
        return False


def cuda_backward_usable() -> bool:
    """A tiny backward pass works on CUDA (it can fail in a sandbox that the GPU dislikes)."""
    try:
        x = torch.ones(2, device="cuda", requires_grad=True)
        (x * 2).sum().backward()
        torch.optim.Adam([x], lr=0.1).step()
        return bool(x.grad is not None and torch.cuda.synchronize() is None)
    except Exception:  # noqa: BLE001 - a broken driver is not the student's mistake
        return False


def reported(run) -> dict:
    """``run()``'s report, or ``{"error": "Type: message"}`` when it raised (on a GPU)."""
    try:
        return run()
    except Exception as exc:  # reported and judged: a device mismatch is the usual cause
        return {"error": short_error(exc)}


def on_cuda(run) -> dict | None:
    """:func:`reported` ``run()`` when CUDA is usable, else None."""
    return reported(run) if cuda_usable() else None


def on_cpu_then_cuda(run_cpu, run_cuda, describe, cuda_failed=None) -> dict:
    """``run_cpu()``'s report, with ``run_cuda()``'s under ``"cuda"`` when CUDA is usable.

    A student's error on the CPU becomes ``{"error": describe(exc)}`` (the check's judge words
    it); "not implemented yet" and a missing name propagate, for the grader's usual words. An
    error on CUDA is ``{"cuda": {"error": "Type: message"}}``, or ``cuda_failed(exc)``'s entries.
    """
    try:
        report = run_cpu()
    except (NotImplementedError, Missing):
        raise  # "Not implemented yet" / "defines no ...": the grader's usual words
    except Exception as exc:  # reported with the context of this check
        return {"error": describe(exc)}
    if cuda_usable():
        try:
            report["cuda"] = run_cuda()
        except Exception as exc:  # reported and judged: a device mismatch is the usual cause
            report.update(cuda_failed(exc) if cuda_failed else {"cuda": {"error": short_error(exc)}})
    return report


def _copies_to_cpu(name: str, args, kwargs) -> bool:
    """``t.cpu()`` or ``t.to("cpu")`` (a meta tensor has no data to copy)."""
    if name == "cpu":
        return True
    if name != "to":
        return False
    target = kwargs.get("device", args[1] if len(args) > 1 else None)
    return str(target).split(":")[0] == "cpu" if target is not None else False


def _is_device_error(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, RuntimeError) and "meta" in text and any(w in text for w in _DEVICE_WORDS)


def _tensors(value, depth: int = 0):
    """Every tensor in ``value`` (tuples, lists, dicts nested a few levels)."""
    if isinstance(value, _Tensor):
        yield value
    elif depth < 3 and isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v, depth + 1)


class MetaTracker(TorchFunctionMode):
    """Records where CPU tensors are made while code runs, and which one broke a meta operation."""

    def __init__(self, student_files: tuple[str, ...]):
        super().__init__()
        self.student_files = student_files
        self.made: list[tuple[_Tensor, dict]] = []   # (tensor, origin), kept alive: ids stay valid
        self.culprit: dict | None = None
        self.reads: list[str] = []
        self.cpu_inputs: list[dict] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if args and isinstance(args[0], _Tensor) and args[0].device.type == META:
            if name in _READS:
                if len(self.reads) < 8:
                    self.reads.append(name)
                if name == "numpy":  # (values for a plot): zeros of the right shape
                    return torch.zeros(args[0].shape, dtype=args[0].dtype).numpy()
                return _READS[name]
            if _copies_to_cpu(name, args, kwargs):  # `.cpu()` for a plot or a log: zeros
                return torch.zeros(args[0].shape, dtype=args[0].dtype)
        try:
            out = func(*args, **kwargs)
        except RuntimeError as exc:
            if self.culprit is None and _is_device_error(exc):
                self.culprit = self._blame(name, args, kwargs)
            raise
        for t in _tensors(out):
            if t.device.type == "cpu" and t.dim() > 0 and len(self.made) < MAX_ORIGINS:
                # A CPU tensor computed from CPU tensors keeps the origin of the first one: the
                # feedback names the line that made the data (torch.ones), not torch.cat.
                root = next((o for a in _tensors(list(args) + list(kwargs.values()))
                             if a.device.type == "cpu" and (o := self.origin_of(a))), None)
                if root is None and self._called_by_student():
                    root = self._origin(name)
                if root is not None:  # (tensors made inside libraries, a DataLoader: not kept)
                    self.made.append((t, root))
        return out

    def _called_by_student(self) -> bool:
        filename = _getframe(2).f_code.co_filename  # 0: here, 1: __torch_function__, 2: caller
        return filename.startswith(self.student_files) and not filename.startswith(
            ("<frozen", "<string>"))

    def seen_input(self, tensor) -> None:
        """A stand-in network was given ``tensor``: remember where a CPU one came from."""
        if isinstance(tensor, _Tensor) and tensor.device.type == "cpu" and len(self.cpu_inputs) < 4:
            self.cpu_inputs.append(self.origin_of(tensor) or {"call": "a CPU tensor"})

    def origin_of(self, tensor: _Tensor) -> dict | None:
        for t, origin in self.made:
            if t is tensor:
                return origin
        return None

    def _blame(self, name: str, args, kwargs) -> dict:
        for t in _tensors(list(args) + list(kwargs.values())):
            if t.device.type == "cpu" and t.dim() > 0:
                origin = self.origin_of(t)
                if origin is not None:
                    return dict(origin, used_in=self._origin(name))
                return {"call": "a CPU tensor", "shape": list(t.shape), "used_in": self._origin(name)}
        return {"call": "a CPU tensor", "used_in": self._origin(name)}

    def _origin(self, call: str) -> dict:
        """The innermost frame of the student's code: its function, line and code."""
        frame = _getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.student_files) and not filename.startswith(
                    ("<frozen", "<string>")):
                return {"call": call, "file": filename.strip("<>").rsplit("/", 1)[-1],
                        "function": getattr(frame.f_code, "co_qualname", frame.f_code.co_name),
                        "line": frame.f_lineno,
                        "code": _code_line(filename, frame.f_lineno)}
            frame = frame.f_back
        return {"call": call}


def _code_line(filename: str, line: int) -> str:
    """The student's line, without its trailing comment."""
    code = linecache.getline(filename, line).strip()
    if "  #" in code:
        code = code.split("  #", 1)[0].rstrip()
    return code[:160]


_CURRENT: MetaTracker | None = None


def seen_input(tensor) -> None:
    """Called by the grader's stand-in networks with their input (noise): see MetaTracker."""
    if _CURRENT is not None:
        _CURRENT.seen_input(tensor)


def to_meta(*modules: torch.nn.Module) -> None:
    """Move the grader's stand-in networks to ``meta`` (their weights become shapes only)."""
    for m in modules:
        m.to(META)


def observe_on_meta(fn, *args, student_files: tuple[str, ...] = ("<",), **kwargs) -> dict:
    """Call ``fn(*args, **kwargs)`` under a :class:`MetaTracker`; report what stayed on the CPU.

    The student's own NotImplementedError propagates (the check then says "not implemented").
    """
    global _CURRENT
    tracker = MetaTracker(student_files)
    report: dict = {}
    try:
        _CURRENT = tracker
        with tracker:
            out = fn(*args, **kwargs)
    except NotImplementedError as exc:
        if "meta" in str(exc).lower() or "Meta" in str(exc):
            # an operation meta cannot run: no verdict
            return {"ok": True, "unsupported": str(exc)[:200], "cpu_inputs": tracker.cpu_inputs}
        raise
    except RuntimeError as exc:
        if not _is_device_error(exc):
            if "meta" in str(exc):
                return {"ok": True, "unsupported": str(exc)[:200], "cpu_inputs": tracker.cpu_inputs}
            raise
        return {"ok": False, "error": str(exc)[:300], "culprit": tracker.culprit,
                "cpu_inputs": tracker.cpu_inputs}
    finally:
        _CURRENT = None
    returned = [t.device.type for t in _tensors(out)]
    report.update(ok=True, returned=returned, returned_kind=kind_of(out), reads=tracker.reads,
                  cpu_inputs=tracker.cpu_inputs)
    for t in _tensors(out):
        if t.device.type != META:
            report.update(ok=False, culprit=tracker.origin_of(t) or {"call": "a CPU tensor"},
                          returned_cpu=True)
            break
    report["result"] = out  # popped by the caller: it may want to inspect the output further
    return report


def kind_of(value) -> str:
    """What a function returned, for feedback: "None", "False", "a float", "a tensor",
    "a tuple", "a _Fake" (never the object's own repr: it is the student's code)."""
    if value is None or type(value) is bool:
        return repr(value)
    if isinstance(value, _Tensor):
        return "a tensor"
    if type(value) in (int, float):
        return "a float"
    return f"a {type(value).__name__[:40]}"


def noise_on_cpu_text(report) -> str:
    """" (made by `noise = torch.randn(n, z)` (line 4))" when the probe saw where."""
    made = report.get("cpu_inputs") if isinstance(report, dict) else None
    if isinstance(made, list) and made and isinstance(made[0], dict):
        return f", made by {culprit_text(made[0])}"
    return ""


def observation(report: dict) -> dict:
    """The plain-data part of :func:`observe_on_meta`'s report (without the result object)."""
    return {k: v for k, v in report.items() if k != "result"}


# --- judging (in the grader) -----------------------------------------------------------

def culprit_text(culprit) -> str:
    """"`labels = torch.ones(n, 1)` (get_disc_loss, line 7)" for feedback."""
    if not isinstance(culprit, dict):
        return "a tensor"
    code = str(culprit.get("code") or "")
    call = str(culprit.get("call") or "a tensor")
    where = ""
    if culprit.get("function") or culprit.get("line"):
        fn = str(culprit.get("function") or "")
        fn = "" if fn == "<module>" else f"{fn}, "
        where = f" ({fn}line {culprit.get('line')})"
    if code:
        return f"`{code}`{where}"
    if culprit.get("shape"):
        return f"a tensor of shape {tuple(culprit['shape'])} that is still on the CPU"
    return f"torch.{call}(...){where}" if call.isidentifier() else f"{call}{where}"


def judge_on_meta(report, function: str, device_hint: str) -> Verdict:
    """A verdict on :func:`observe_on_meta`'s report for the student's ``function``."""
    if not isinstance(report, dict):
        return Verdict(False, "The grader could not read the device check's observation.")
    if report.get("ok") is True:
        return Verdict(True)
    culprit = report.get("culprit")
    made = culprit_text(culprit)
    if report.get("returned_cpu"):
        return Verdict(False, f"With its inputs on the device 'meta' (the grader's stand-in for a "
                       f"GPU), {function} returned a tensor on the CPU, made by {made}: on a GPU "
                       f"this crashes the training loop. {device_hint}")
    used = culprit.get("used_in") if isinstance(culprit, dict) else None
    if isinstance(culprit, dict) and not culprit.get("code") and isinstance(used, dict) \
            and used.get("code"):
        return Verdict(False, f"With its inputs on the device 'meta' (the grader's stand-in for "
                       f"a GPU), {function} used {made} together with the model's tensors in "
                       f"{culprit_text(used)}, so on a GPU it fails with \"Expected all tensors "
                       f"to be on the same device\". {device_hint}")
    used_text = ""
    if isinstance(used, dict) and used.get("code") and used.get("code") != culprit.get("code"):
        used_text = f", and then used with the model's tensors in {culprit_text(used)}"
    return Verdict(False, f"With its inputs on the device 'meta' (the grader's stand-in for a GPU), "
                   f"{function} made a tensor on the CPU with {made}{used_text}, so on a GPU it "
                   f"fails with \"Expected all tensors to be on the same device\". {device_hint}")


# What a device check asks its function to return (``judge_meta_run``'s ``returns``).
RETURNS = {"tensor": "a tensor (or tensors) on the device it was given",
           "float": "a Python float (loss.item())",
           "number": "the loss value, a Python float (loss.item()) or a 0-d tensor (loss.detach())"}


def returned_problem(obs, function: str, returns: str | None) -> str | None:
    """A device check passes only for a function that returns what it should: "``function``
    returned None: ..." when it returned None, a bool or another object."""
    kind = obs.get("returned_kind") if isinstance(obs, dict) else None
    if returns is None or obs.get("unsupported") or not isinstance(kind, str):
        return None
    if returns == "tensor" and obs.get("returned"):
        return None
    if returns == "float" and kind == "a float":
        return None
    # "number": a float or a tensor; whether that tensor is 0-d is the CPU loss check's question
    if returns == "number" and kind in ("a float", "a tensor"):
        return None
    return (f"{function} returned {kind[:60]}: on the device 'meta' (the grader's stand-in for a "
            f"GPU) it ran without a device error, but a device check gives points only to code "
            f"that works, and {function} should return {RETURNS[returns]}.")


def judge_meta_run(obs, function: str, hint: str, noise_where: str, noise_hint: str,
                   what: str = "noise", key: str = "noise_devices", note: str = "",
                   returns: str | None = None) -> Verdict:
    """:func:`judge_on_meta`, then: the grader's stand-in generator got its input on ``meta``,
    and the function returned what it should (``returns``: "tensor", "float", "number" or None, see
    :func:`returned_problem`).

    The message for CPU noise reads "``function`` gave the generator ``what`` on the CPU (made
    by ...) although ``noise_where````noise_hint``"; ``note`` ends every failing message.
    """
    verdict = judge_on_meta(obs, function, hint)
    if verdict.passed and (problem := returned_problem(obs, function, returns)):
        return Verdict(False, problem + note)
    if not verdict.passed:
        return Verdict(False, verdict.message + note) if note else verdict
    if any(d != META for d in obs.get(key) or []):
        return Verdict(False, f"{function} gave the generator {what} on the CPU"
                       f"{noise_on_cpu_text(obs)} although {noise_where}{noise_hint}{note}")
    return verdict
