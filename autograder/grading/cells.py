"""Read a notebook cell's code without running it: its top-level statements and the names it defines.

The grader uses this to find a student's work when cell metadata was lost (the cell that defines
``get_noise`` is the ``get_noise`` cell) and to run each top-level statement as its own step, so
one failing line (a download, ``.cuda()`` on a CPU grader) does not stop the definitions after it.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass, field

from autograder.protocol import strip_magics

# Lines that start a continuation of the statement above rather than a new one.
_CONTINUATIONS = ("else", "elif", "except", "finally", "case", ")", "]", "}")


@dataclass(frozen=True)
class Statement:
    """One top-level statement (or several on one line) of a cell, as source text."""

    line: int                 # first line in the cell, 1-based
    source: str               # the statement's own lines
    parses: bool              # False: a syntax error the child will report
    defines: frozenset[str] = field(default_factory=frozenset)   # def/class names
    assigns: frozenset[str] = field(default_factory=frozenset)   # other top-level names
    dump: str = ""            # ast.dump of the statement: equal code, whatever the formatting


# grade-all grades several students at once in threads of one process, and CPython 3.11 (3.11.7
# here) may fail `ast.parse` run in two threads at once ("SystemError: AST constructor recursion
# depth mismatch"): a thread switch while one parse builds its tree upsets the other's count.
# Every parse of the grading parent goes through this lock.
_PARSE_LOCK = threading.Lock()


def parse_python(text: str) -> ast.Module:
    """``ast.parse(text)``, one thread at a time (SyntaxError and ValueError as ``ast.parse``)."""
    with _PARSE_LOCK:
        return ast.parse(text)


def statements(source: str) -> list[Statement]:
    """The top-level statements of a cell, in order (magics replaced by ``pass``).

    A cell with a syntax error is cut at its unindented lines and each piece that parses on its
    own is kept: a typo in one function does not hide the functions around it.
    """
    text = strip_magics(source)
    lines = text.splitlines(keepends=True)
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return _pieces_of_broken_cell(lines)
    out: list[Statement] = []
    group: list[ast.stmt] = []
    for node in tree.body:
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        if group and first <= group[-1].end_lineno:  # `a = 1; b = 2` on one line: one step
            group.append(node)
            continue
        if group:
            out.append(_statement(group, lines))
        group = [node]
    if group:
        out.append(_statement(group, lines))
    return out


def _statement(nodes: list[ast.stmt], lines: list[str]) -> Statement:
    first = nodes[0].decorator_list[0].lineno if getattr(nodes[0], "decorator_list", None) \
        else nodes[0].lineno
    source = "".join(lines[first - 1: nodes[-1].end_lineno])
    defines, assigns = set(), set()
    for node in nodes:
        _names(node, defines, assigns)
    return Statement(first, source, True, frozenset(defines), frozenset(assigns),
                     "\n".join(ast.dump(n) for n in nodes))


def _names(node: ast.AST, defines: set[str], assigns: set[str]) -> None:
    """Names a top-level statement binds in the notebook's namespace (not inside functions)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        defines.add(node.name)
        return
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            assigns.add((alias.asname or alias.name).split(".")[0])
        return
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars]
    for target in targets:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                assigns.add(n.id)
    # Definitions inside `if`, `for`, `with`, `try` at the top level bind module names too.
    for body in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(node, body, []) or []:
            if isinstance(child, ast.AST) and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                _names(child, defines, assigns)


def _pieces_of_broken_cell(lines: list[str]) -> list[Statement]:
    starts = [i for i, line in enumerate(lines)
              if line[:1] not in ("", " ", "\t", "\n", "\r", "#")
              and not line.startswith(_CONTINUATIONS)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    pieces = [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]
    out: list[Statement] = []
    i = 0
    while i < len(pieces):
        for j in range(i + 1, min(len(pieces), i + 40) + 1):  # the shortest run that parses
            parsed = statements_if_valid("".join(sum(pieces[i:j], [])))
            if parsed is not None:
                offset = starts[i]
                out += [Statement(s.line + offset, s.source, True, s.defines, s.assigns, s.dump)
                        for s in parsed]
                i = j
                break
        else:
            out.append(Statement(starts[i] + 1, "".join(pieces[i]), False,
                                 frozenset(_guess_defines(pieces[i]))))
            i += 1
    return out


def statements_if_valid(text: str) -> list[Statement] | None:
    try:
        parse_python(text)
    except (SyntaxError, ValueError):
        return None
    return statements(text)


def _guess_defines(lines: list[str]) -> set[str]:
    """``def name`` / ``class name`` in a piece that does not parse (it still names the cell)."""
    first = lines[0].lstrip() if lines else ""
    for keyword in ("def ", "async def ", "class "):
        if first.startswith(keyword):
            name = first[len(keyword):].split("(")[0].split(":")[0].strip()
            if name.isidentifier():
                return {name}
    return set()


def defined_names(source: str) -> set[str]:
    """The def/class names of a cell's top level."""
    return set().union(*(s.defines for s in statements(source)))


def signature(source: str) -> tuple[str, ...]:
    """The cell's code, whatever its formatting and comments (equal iff the code is equal)."""
    return tuple(s.dump if s.parses else s.source.strip() for s in statements(source))
