"""Find the student's work in a notebook, whatever the editor did to its metadata.

A release solution cell takes, in this order:

1. the student's code cell with the same nbgrader ``grade_id``, when exactly one has it;
2. otherwise (no such cell, the id twice, or the cell became Markdown) the student's last code
   cell that defines the same top-level names (a cell that defines no function or class: that
   assigns them), as when the notebook runs top to bottom;
3. otherwise nothing: its names are graded as missing ("your notebook defines no `get_noise`").

The program keeps the student's code cells in the student's order, each top-level statement as
its own step. The release's provided cells run in their place, each once: where the student's
copy of one stands (found by id or by equal code), or else just before the first student cell
that matches a later release cell. Test (self-check) cells and copies of them are left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from autograder import protocol
from autograder.grading.cells import Statement, defined_names, parse_python, signature, statements


@dataclass(frozen=True)
class ReleaseCell:
    index: int            # position among the release's code cells
    gid: str
    kind: str             # "provided", "solution" or "test"
    source: str
    names: frozenset[str]


def release_cells(release: dict) -> list[ReleaseCell]:
    out = []
    for cell in release["cells"]:
        if cell["cell_type"] != "code":
            continue
        nb = cell["nbgrader"]
        kind = ("test" if nb.get("grade") and not nb.get("solution")
                else "solution" if nb.get("solution") else "provided")
        out.append(ReleaseCell(len(out), str(nb.get("grade_id")), kind, cell["source"],
                               frozenset(defined_names(cell["source"]) or assigned_names(cell["source"]))))
    return out


def assigned_names(source: str) -> set[str]:
    """The top-level names a cell assigns: what finds a solution cell that defines no function or
    class (dcgan's ``models``: ``gen = gen.apply(weights_init)``)."""
    return set().union(*(s.assigns for s in statements(source)))


def match_cells(release: dict, student: dict, program) -> None:
    """Fill ``program.cells``, ``program.matching`` and ``program.notes``."""
    rel = release_cells(release)
    by_gid = {r.gid: r for r in rel}
    copies = {signature(r.source): r for r in rel if r.kind != "solution"}
    test_lines = {s.dump for r in rel if r.kind == "test" for s in statements(r.source) if s.parses}

    # The student's cells: number (1-based, as a reader counts them), cell, statements.
    code = [(n, c) for n, c in enumerate(student["cells"], 1)
            if c["cell_type"] == "code" and c["source"].strip()]
    other_ids = {_gid(c): c["cell_type"] for c in student["cells"] if c["cell_type"] != "code"}
    ids = Counter(_gid(c) for _, c in code)
    parsed = {n: [s for s in statements(c["source"])
                  if not (s.parses and (s.dump in test_lines or is_self_check(s)))]
              for n, c in code}

    role: dict[int, tuple[str, ReleaseCell | None]] = {}   # cell number -> (role, release cell)
    for n, cell in code:
        gid = _gid(cell)
        r = by_gid.get(gid) if gid is not None else None
        if r is not None and ids[gid] == 1 and r.kind != "solution":
            role[n] = ("provided" if r.kind == "provided" else "test", r)
        elif r is not None and ids[gid] == 1:
            role[n] = ("solution", r)
        elif (copy := copies.get(signature(cell["source"]))) is not None:
            role[n] = ("provided" if copy.kind == "provided" else "test", copy)
        elif not parsed[n]:
            role[n] = ("test", None)        # nothing but self-check lines
        else:
            role[n] = ("extra", None)

    # Each solution cell: by id, else the last cell that defines its names, else missing.
    found: dict[str, int] = {}
    without_id: list[str] = []
    for r in (r for r in rel if r.kind == "solution"):
        by_id = [n for n, (kind, rc) in role.items() if kind == "solution" and rc is r]
        entry = {"cell": r.gid, "names": sorted(r.names)}
        if by_id:
            found[r.gid] = by_id[0]
            program.matching.append(dict(entry, how="id", student_cell=by_id[0]))
            continue
        by_def = bool(defined_names(r.source))
        definers = [n for n, _ in code if role[n][0] in ("solution", "extra")
                    and r.names & set().union(*(s.defines if by_def else s.assigns for s in parsed[n]))]
        why = _why_not_by_id(r.gid, ids, other_ids)
        if definers and why.startswith("no cell"):
            found[r.gid] = definers[-1]
            program.matching.append(dict(entry, how="name", student_cell=definers[-1]))
            without_id.append(r.gid)
        elif definers:
            found[r.gid] = definers[-1]
            program.matching.append(dict(entry, how="name", student_cell=definers[-1]))
            twins = [n for n, c in code if _gid(c) == r.gid]
            if len(twins) > 1 and definers[-1] in twins:
                program.notes.append(duplicate_note(r.gid, twins, definers[-1], r.names))
            else:
                program.notes.append(f"Cell {r.gid}: {why}; graded your cell {definers[-1]}, the "
                                     f"last one that defines {_names(r.names)}.")
        else:
            program.matching.append(dict(entry, how="missing", student_cell=None))
            program.notes.append(f"Cell {r.gid}: {why}, and no cell of your notebook defines "
                                 f"{_names(r.names)}: it is graded as missing.")
    if without_id:
        program.notes.insert(0, "Cell ids changed: your cells were matched by the names they "
                             f"define. {len(without_id)} solution cell(s) have no nbgrader id in "
                             "your notebook (its metadata was lost, or the work was pasted into a "
                             f"new notebook): {', '.join(without_id)} (see \"How your cells were "
                             "found\").")
    anchors: dict[int, list[ReleaseCell]] = {}
    for gid, n in found.items():
        anchors.setdefault(n, []).append(by_gid[gid])

    # The program: the student's cells in order, the release's provided cells in their place.
    pending = [r for r in rel if r.kind == "provided"]

    def provided_up_to(index: int) -> None:
        while pending and pending[0].index <= index:
            r = pending.pop(0)
            program.cells.append({"step": protocol.cell_step(r.gid), "label": f"cell {r.gid}",
                                  "source": r.source, "origin": protocol.PROVIDED})

    labels = {n: f"cell {by_gid[_gid(c)].gid}" if role[n][0] == "solution" else f"your cell {n}"
              for n, c in code}
    graded = set().union(*(r.names for r in rel if r.kind == "solution"))
    gpu_cells: list[int] = []
    for n, _cell in code:
        kind, r = role[n]
        if kind == "test":
            continue
        if kind == "provided":
            provided_up_to(r.index)
            continue
        if n in anchors:
            provided_up_to(min(a.index for a in anchors[n]) - 1)
        own_test = kind == "extra" and is_own_test(parsed[n], graded)
        for s in parsed[n]:
            step = _step(n, labels[n], s)
            if own_test:
                step.update(own_test=True, counted=is_test_statement(s))
            cpu = on_the_cpu(s)
            if cpu is not None:
                step["source"], step["cuda_parameter"] = "\n" * (s.line - 1) + cpu, True
                gpu_cells.append(n)
            program.cells.append(step)
    provided_up_to(len(rel))
    if gpu_cells and not _grader_has_cuda():
        cells = ", ".join(str(n) for n in sorted(set(gpu_cells)))
        program.notes.append(
            f"Your cell{'s' if len(set(gpu_cells)) > 1 else ''} {cells} set{'' if len(set(gpu_cells)) > 1 else 's'} "
            "`device = 'cuda'` (a parameter cell written for a GPU, such as Coursera's \"DO NOT "
            "EDIT\" cell). This grader has no GPU, so it ran with `device = 'cpu'` instead; "
            "nothing to change. Your functions' device handling is still checked (on PyTorch's "
            "`meta` device).")


# --- a notebook's own tests, and its GPU parameter cell -----------------------------------

def is_test_statement(s: Statement) -> bool:
    """A top-level ``assert`` or a call of a ``test_*`` function: one test of the notebook's own."""
    import ast

    if not s.parses:
        return False
    nodes = parse_python(s.source.strip()).body
    return bool(nodes) and all(
        isinstance(node, ast.Assert) or (isinstance(node, ast.Expr) and _called(node.value, "test"))
        for node in nodes)


def is_own_test(parsed: list[Statement], graded: set[str]) -> bool:
    """A cell of the notebook's own tests (Coursera's "Verify the ..." cells, a student's asserts):
    only ``test_*`` definitions, asserts, ``test_*`` and ``print`` calls, imports and plain
    assignments, at least one assert or ``test_*`` call, and no graded name defined."""
    import ast

    if not parsed or not any(is_test_statement(s) for s in parsed):
        return False
    for s in parsed:
        if not s.parses or (s.defines | s.assigns) & graded:
            return False
        for node in parse_python(s.source.strip()).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not node.name.startswith("test"):
                    return False
            elif isinstance(node, ast.Expr):
                if not (_called(node.value, "test") or _called(node.value, "print")
                        or isinstance(node.value, ast.Constant)):
                    return False
            elif not isinstance(node, (ast.Assert, ast.Import, ast.ImportFrom, ast.Assign,
                                       ast.AnnAssign)):
                return False
    return True


def _called(node, prefix: str) -> bool:
    import ast

    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id.startswith(prefix))


def on_the_cpu(s: Statement) -> str | None:
    """``device = 'cuda'`` (or ``'cuda:0'``, ``torch.device('cuda')``) on one line, rewritten to
    keep the GPU where there is one and take the CPU where there is none; else None."""
    import ast

    if not s.parses or "\n" in s.source.strip():
        return None
    nodes = parse_python(s.source.strip()).body
    if len(nodes) != 1 or not isinstance(nodes[0], ast.Assign) or len(nodes[0].targets) != 1:
        return None
    target, value = nodes[0].targets[0], nodes[0].value
    if not (isinstance(target, ast.Name) and target.id == "device"):
        return None
    cuda = ("cuda", "cuda:0")
    if isinstance(value, ast.Constant) and value.value in cuda:
        cpu = "'cpu'"
    elif (isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords
          and isinstance(value.args[0], ast.Constant) and value.args[0].value in cuda
          and ast.unparse(value.func) == "torch.device"):
        cpu = "__import__('torch').device('cpu')"
    else:
        return None
    return (f"device = ({ast.unparse(value)}) if __import__('torch').cuda.is_available() "
            f"else {cpu}  # the grader: {s.source.strip()[:60]}\n")


def _grader_has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _step(n: int, label: str, s: Statement) -> dict:
    # Leading newlines keep the line numbers of tracebacks those of the student's cell.
    return {"step": protocol.statement_step(n, s.line), "label": label,
            "source": "\n" * (s.line - 1) + s.source, "origin": protocol.STUDENT, "statement": True}


def is_self_check(s: Statement) -> bool:
    """``score = check(...)``, ``score += check(...)`` or ``check(...)``: the course's self-checks."""
    import ast

    node = parse_python(s.source.strip()).body
    if len(node) != 1 or not isinstance(node[0], (ast.Assign, ast.AugAssign, ast.Expr)):
        return False
    value = node[0].value
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id == "check" and bool(value.args)
            and isinstance(value.args[0], ast.Constant) and isinstance(value.args[0].value, str))


_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five"}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def duplicate_note(gid: str, twins: list[int], graded: int, names: frozenset[str]) -> str:
    """"Two cells carry the id `get_noise` (your cells 7 and 9): graded the second, ..."."""
    count = _COUNTS.get(len(twins), str(len(twins))).capitalize()
    nth = twins.index(graded) + 1
    cells = ", ".join(map(str, twins[:-1])) + f" and {twins[-1]}"
    return (f"{count} cells carry the id `{gid}` (your cells {cells}; a copied cell?): graded the "
            f"{_ORDINALS.get(nth, f'number {nth}')} (your cell {graded}), the last one that "
            f"defines {_names(names)}. Delete the copy you do not mean to hand in.")


def _gid(cell: dict) -> str | None:
    gid = cell["nbgrader"].get("grade_id")
    return gid if isinstance(gid, str) else None


def _names(names: frozenset[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "its code"


def _why_not_by_id(gid: str, ids: Counter, other_ids: dict) -> str:
    if ids[gid] > 1:
        return f"{ids[gid]} code cells have the id {gid} (a copied cell?)"
    if gid in other_ids:
        return f"the cell with the id {gid} is now a {other_ids[gid]} cell"
    return f"no cell has the id {gid} (its metadata was lost, or it was pasted into a new notebook)"
