"""What the child reports, and what the grader says when the child dies (issue 27).

* every observation goes through one encoder (:mod:`autograder.child.encode`): numpy values,
  tensors, nan/inf and any other object become plain data, and a report that still cannot be
  written becomes that check's error, never a dead child;
* a child that dies gets a report of what the grader knows (the signal or exit code, the step,
  the memory peak only when it was near the limit, the last lines it printed), never a guess.

The encoder, the reporter and the words are tested in this process; the rest runs children.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch
from helpers import by_name, full_marks, submission_from
from torch import nn

from autograder.child import encode as enc
from autograder.child.main import Reporter
from autograder.child.observe import describe_layers
from autograder.grading import feedback, sandbox
from autograder.grading.grade import grade
from autograder.grading.sandbox import Limits

A = "first_gan"
FAST = Limits(cell_timeout=20, check_timeout=10, total_timeout=120)


# --- the encoder --------------------------------------------------------------------------

class HostileRepr:
    def __repr__(self):
        raise SystemExit("no")


class FakesDict:
    __class__ = dict  # isinstance(x, dict) is True; it is no dict


class LyingInt(int):
    def __int__(self):
        return 0

    def __repr__(self):
        return "0"


class LyingStr(str):
    def __str__(self):
        return "lie"


def test_numpy_values_become_python_numbers():
    got = enc.encode({"size": np.int64(784), "p": np.float32(0.5), "ok": np.bool_(True),
                      "small": np.arange(4).reshape(2, 2), "zero_d": np.array(3.0)})
    assert got == {"size": 784, "p": 0.5, "ok": True, "small": [[0, 1], [2, 3]], "zero_d": 3.0}
    assert type(got["size"]) is int and type(got["ok"]) is bool
    big = enc.encode(np.zeros((100, 100)))
    assert big == {"type": "numpy.ndarray", "shape": [100, 100], "dtype": "float64"}


def test_tensors_are_summarised_not_dumped():
    got = enc.encode([torch.zeros(3, 4), nn.Parameter(torch.ones(2)), torch.empty(5, device="meta")])
    assert got[0] == {"type": "torch.Tensor", "shape": [3, 4], "dtype": "float32", "device": "cpu"}
    assert got[1]["type"] == "torch.nn.parameter.Parameter" and got[1]["shape"] == [2]
    assert got[2]["device"] == "meta"


def test_nan_and_inf_follow_the_projects_strings():
    got = enc.encode([math.nan, math.inf, -math.inf, np.float64("nan"), {"x": np.float32("-inf")}])
    assert got == ["nan", "inf", "-inf", "nan", {"x": "-inf"}]


def test_plain_data_is_written_as_json_dumps_writes_it():
    plain = {"a": [1, 2.5, "x", None, True], "b": {"c": (1, 2)}, 3: "three", None: 0,
             "s": torch.Size([2, 3])}
    assert json.dumps(enc.encode(plain)) == json.dumps(plain)


def test_other_objects_are_reported_by_type_and_a_bounded_repr():
    got = enc.encode({"device": torch.device("cpu"), "hostile": HostileRepr(),
                      "fake": FakesDict(), "long": nn.Sequential(*[nn.Linear(2, 2)] * 50),
                      "lying_int": LyingInt(7), "lying_str": LyingStr("abc"), "c": 1j,
                      (1, 2): "tuple key", "huge": 10 ** 400})
    assert got["device"] == {"type": "torch.device", "repr": "device(type='cpu')"}
    assert got["hostile"] == {"type": "test_reports.HostileRepr", "repr": "(repr raised SystemExit)"}
    assert got["fake"]["type"] == "test_reports.FakesDict"
    assert len(got["long"]["repr"]) <= enc.REPR_CHARS
    assert got["lying_int"] == 7 and got["lying_str"] == "abc"
    assert got["c"] == {"type": "complex", "repr": "1j"}
    assert got["(1, 2)"] == "tuple key"
    assert got["huge"]["repr"].startswith("(an integer of")
    json.dumps(got, allow_nan=False)


def test_nesting_and_size_are_bounded():
    deep: list = []
    inner = deep
    for _ in range(100):
        inner.append([])
        inner = inner[0]
    text = json.dumps(enc.encode(deep))
    assert "nested deeper than" in text
    with pytest.raises(enc.EncodeError):
        enc.line({"event": "done", "step": "x", "observation": list(range(enc.MAX_VALUES + 1))})
    with pytest.raises(enc.EncodeError):
        enc.line({"event": "done", "step": "x", "observation": "a" * enc.MAX_LINE})
    assert enc.MAX_LINE < sandbox.MAX_EVENT  # the grader never drops a line the child sends


def test_a_report_that_cannot_be_written_becomes_that_steps_error():
    read, write = os.pipe()
    try:
        report = Reporter(os.open(os.devnull, os.O_RDONLY), write)
        report.emit({"event": "done", "step": "Generator_structure",
                     "observation": {"out": list(range(enc.MAX_VALUES + 1))}})
        report.emit({"event": "done", "step": "get_noise", "observation": {"n": np.int64(3)}})
        lines = os.read(read, 1 << 16).decode().splitlines()
    finally:
        os.close(read)
        os.close(write)
    first, second = map(json.loads, lines)
    assert first == {"event": "done", "step": "Generator_structure",
                     "error": {"kind": "unreportable",
                               "reason": f"more than {enc.MAX_VALUES} values"}}
    assert second["observation"] == {"n": 3}
    words = feedback.explain(first["error"], "Generator")
    assert "could not be sent to the grader" in words and "500000 values" in words


def test_describe_layers_reports_plain_ints():
    net = nn.Sequential(nn.Linear(np.int64(3), np.prod((2, 2))), nn.BatchNorm1d(np.prod([4])),
                        nn.LeakyReLU(np.float64(0.2)))
    got = describe_layers(net)
    assert got == [{"type": "Linear", "in": 3, "out": 4}, {"type": "BatchNorm1d", "features": 4},
                   {"type": "LeakyReLU", "slope": 0.2}]
    assert all(type(v) in (str, int, float) for d in got for v in d.values())


# --- the words for a child that died --------------------------------------------------------

def test_sigkill_without_a_measured_shortage_never_says_memory():
    error = {"kind": "crashed", "status": "killed by signal SIGKILL", "signal": "SIGKILL",
             "peak_mb": 700, "limit_mb": 6144, "oom_kills": 0, "step": "cell:9:3",
             "label": "your cell 9", "output": "epoch 1\nepoch 2"}
    words = feedback.explain(error, "x")
    assert "SIGKILL" in words and "line 3 of your cell 9" in words and "epoch 2" in words
    assert "ran out of memory" not in words and "too much memory" not in words
    assert "700" not in words  # the peak is named only near the limit
    no_cgroup = feedback.explain({k: v for k, v in error.items() if "mb" not in k}, "x")
    assert "ran out of memory" not in no_cgroup


def test_a_peak_near_the_limit_is_named():
    error = {"kind": "crashed", "status": "killed by signal SIGKILL", "signal": "SIGKILL",
             "peak_mb": 5990, "limit_mb": 6144, "oom_kills": 1, "step": "get_noise"}
    words = feedback.explain(error, "get_noise")
    assert "during this check" in words and "ran out of memory" in words
    assert "5990 MiB" in words and "6144 MiB" in words


# --- children -----------------------------------------------------------------------------

def one_cell(code: str, limits: Limits) -> dict:
    """The error of a child that runs ``code`` as its only cell."""
    request = {"assignment": A, "kind": "notebook", "modules": [], "checks": [],
               "cells": [{"step": "cell:1:1", "label": "your cell 1", "source": code,
                          "origin": "student"}]}
    run = sandbox.observe(request, [("cell:1:1", limits.cell_timeout)], {}, limits)
    return run.steps["cell:1:1"].get("error") or {}


def test_a_cell_that_kills_its_own_process_is_named_with_its_signal_not_memory():
    error = one_cell("print('about to go')\nimport os\nos.kill(os.getpid(), 9)", FAST)
    assert error.get("kind") == "crashed" and error.get("signal") == "SIGKILL", error
    words = feedback.cell_note("cell:1:1", error, label="your cell 1")
    assert "killed by signal SIGKILL" in words and "line 1 of your cell 1" in words, words
    assert "about to go" in words
    assert "ran out of memory" not in words and "too much memory" not in words, words


def test_an_exit_code_is_the_childs_own_not_the_graders_kill():
    error = one_cell("import os\nos._exit(3)", FAST)
    assert error.get("exit_code") == 3 and "signal" not in error, error
    assert "exit code 3" in feedback.explain(error, "x")


def test_a_submission_that_really_exceeds_memory_gets_the_measured_peak():
    limits = Limits(cell_timeout=60, check_timeout=10, total_timeout=90, memory_mb=1200,
                    process_memory_mb=8192)
    error = one_cell("held = []\nwhile True:\n    held.append(bytearray(32 << 20))", limits)
    if "peak_mb" not in error:
        pytest.skip(f"no memory cgroup on this host: {error}")
    assert error.get("kind") == "crashed", error
    words = feedback.explain(error, "x")
    assert "ran out of memory" in words and "of the 1200 MiB" in words, words


def test_a_student_object_in_an_observation_fails_that_check_only(tmp_path):
    """The generator's last layer carries a list of 600 000 numbers as its size (the report is
    too large to send); the discriminator's, an object whose repr raises: each fails its own
    checks with words that say so, and the rest of the grading goes on."""
    edits = [
        ("cell:Generator", "        self.gen = nn.Sequential(*layers)",
         "        layers[-2].out_features = list(range(600_000))\n"
         "        self.gen = nn.Sequential(*layers)"),
        ("cell:Discriminator", "        self.disc = nn.Sequential(*layers)",
         "        class Odd:\n"
         "            def __repr__(self):\n"
         "                raise RuntimeError('no repr')\n"
         "        layers[-1].out_features = Odd()\n"
         "        self.disc = nn.Sequential(*layers)"),
    ]
    result = grade(A, submission_from(A, tmp_path / "s", edits), limits=FAST)
    checks = by_name(result)
    gen = checks["Generator_structure"]
    assert not gen.passed and "could not be sent to the grader" in gen.message, gen.message
    disc = checks["Discriminator_structure"]
    assert not disc.passed and "Odd" in disc.message, disc.message
    lost = {name for name, c in checks.items() if not c.passed}
    assert lost <= {"Generator_structure", "Generator_structure_hidden",
                    "Discriminator_structure", "Discriminator_structure_hidden"}, lost
    assert result.score >= full_marks(A) - sum(checks[n].max_score for n in lost)
    assert not any("stopped" in c.message for c in result.checks)
