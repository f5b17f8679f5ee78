"""The grader's layers: no import circle in ``autograder/``, and no import from a lower layer to a
higher one (the layers are written down in docs/grading.md, "How a grading flows").

The graph is read from the source (``ast``): every ``import`` and ``from ... import``, at module
level and inside functions, relative or absolute. Importing ``a.b.c`` also runs the packages
``a`` and ``a.b``, so those count as imported too. ``importlib.import_module`` (how
``Assignment.load`` finds an assignment) is not an edge: the grading parent and the child load
an assignment by name, at run time, on purpose.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

from autograder.paths import REPO

PACKAGE = REPO / "autograder"

# Bottom to top; a module may import its own layer and those below. First matching pattern wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("contract", ("autograder", "autograder.protocol", "autograder.paths", "autograder.checks",
                  "autograder.safe_start")),
    ("child helpers", ("autograder.child", "autograder.child.observe", "autograder.child.errors",
                       "autograder.child.encode",
                       "autograder.child.jail")),
    ("probes", ("autograder.probes", "autograder.probes.*")),
    ("assignments", ("autograder.assignments.*",)),
    ("child entry", ("autograder.child.main",)),
    ("grading", ("autograder.grading", "autograder.grading.*")),
    ("commands", ("autograder.__main__", "autograder.submit", "autograder.selfcheck",
                  "autograder.instructor", "autograder.instructor.*")),
]


def modules() -> dict[str, Path]:
    """Module name -> file, for every ``.py`` file of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _target(name: str, known: dict[str, Path]) -> str | None:
    """The module of the package that ``import name`` runs last (a name imported from a module
    is that module)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, known: dict[str, Path]) -> set[tuple[str, int]]:
    """(imported module, line) for each of the package's modules that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for imported in names:
            if not imported.startswith("autograder"):
                continue
            target = _target(imported, known)
            while target:  # the module, and the packages that importing it runs first
                if target != name and not name.startswith(target + "."):
                    found.add((target, node.lineno))
                target = target.rpartition(".")[0] or None
    return found


def graph() -> dict[str, set[tuple[str, int]]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch(name, p) for p in patterns):
            return index
    raise KeyError(name)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer():
    unplaced = []
    for name in modules():
        try:
            layer(name)
        except KeyError:
            unplaced.append(name)
    assert not unplaced, f"give these modules a layer in LAYERS (and docs/grading.md): {unplaced}"


def test_no_import_circle():
    edges = {name: {target for target, _ in found} for name, found in graph().items()}
    assert not cycles(edges), f"import circles: {cycles(edges)}"


def test_no_import_runs_upward():
    upward = [f"{name} ({LAYERS[layer(name)][0]}) imports {target} ({LAYERS[layer(target)][0]}), "
              f"line {line}"
              for name, found in sorted(graph().items()) for target, line in sorted(found)
              if layer(target) > layer(name)]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    # The checker itself: an import inside a function and a relative one are edges.
    (tmp_path / "autograder" / "sub").mkdir(parents=True)
    for rel, text in {"autograder/__init__.py": "", "autograder/low.py": "",
                      "autograder/sub/__init__.py": "",
                      "autograder/sub/high.py": "def f():\n    from .. import low\n",
                      "autograder/sub/other.py": "from autograder.sub.high import f\n"}.items():
        (tmp_path / rel).write_text(text)
    known = {"autograder": tmp_path / "autograder/__init__.py",
             "autograder.low": tmp_path / "autograder/low.py",
             "autograder.sub": tmp_path / "autograder/sub/__init__.py",
             "autograder.sub.high": tmp_path / "autograder/sub/high.py",
             "autograder.sub.other": tmp_path / "autograder/sub/other.py"}
    assert {t for t, _ in imports("autograder.sub.high", known["autograder.sub.high"], known)} \
        == {"autograder.low"}
    assert {t for t, _ in imports("autograder.sub.other", known["autograder.sub.other"], known)} \
        == {"autograder.sub.high"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
