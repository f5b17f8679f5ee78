"""Spot code written for an older version of a library than the course's, before it runs.

The course trains with Lightning 2.x (``import lightning.pytorch as pl``). Code written for
``pytorch_lightning`` 1.x (the original course used it) fails in ways whose messages do not say
why: a ``pytorch_lightning.LightningModule`` is not a ``lightning.pytorch`` one ("`model` must be
a `LightningModule` ... got `GAN`"), and 1.x's ``training_step(self, batch, batch_idx,
optimizer_idx)`` is never called with an ``optimizer_idx`` in 2.x. Read with ``ast``, never run.
"""

from __future__ import annotations

import ast

from autograder.checks import LIGHTNING_2, MANUAL_OPTIMIZATION
from autograder.grading.cells import parse_python


def old_lightning_notes(filename: str, data: bytes) -> list[str]:
    """Notes for a module that imports ``pytorch_lightning`` or has 1.x's ``optimizer_idx``
    training step; [] for any other file (or one that does not parse: its import says why)."""
    try:
        tree = parse_python(data.decode("utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return []
    notes = []
    imports = [node.lineno for node in ast.walk(tree) if _imports_pytorch_lightning(node)]
    if imports:
        notes.append(f"{filename} imports `pytorch_lightning` (line {imports[0]}), Lightning 1.x's "
                     f"package name: {LIGHTNING_2}. Its `LightningModule` is another class than "
                     "the one the grader's `Trainer` accepts.")
    steps = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
             and node.name == "training_step" and "optimizer_idx" in _arguments(node)]
    if steps:
        notes.append(f"{filename}: `training_step(..., optimizer_idx)` (line {steps[0].lineno}) is "
                     f"Lightning 1.x's way to train two optimizers. {MANUAL_OPTIMIZATION}.")
    return notes


def _imports_pytorch_lightning(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "pytorch_lightning" for alias in node.names)
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pytorch_lightning"


def _arguments(node: ast.FunctionDef) -> list[str]:
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
