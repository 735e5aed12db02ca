"""No import cycles among the kit's modules, counting imports inside functions.

A module that imports another inside a function still depends on it; two modules that reach
each other that way are one tangled module in two files. Only imports under ``if
TYPE_CHECKING:`` are left out (they never run).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assured_kit"

#: Edges allowed to close a cycle: deliberate lazy imports of a heavy module. Keep it short,
#: and say why for each.
ALLOWED: set[tuple[str, str]] = set()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Return the kit modules ``path`` imports anywhere (functions included)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for rest in child.orelse:
                    visit(rest)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level == 1 and child.module:
                    found.add(child.module.split(".")[0])
                elif child.level == 1:
                    found.update(a.name for a in child.names if a.name in modules)
                elif child.module and child.module.startswith("assured_kit."):
                    found.add(child.module.split(".")[1])
                elif child.module == "assured_kit":
                    found.update(a.name for a in child.names if a.name in modules)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("assured_kit."):
                        found.add(alias.name.split(".")[1])
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found & modules


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Map each module of the kit (``__init__`` and ``__main__`` aside) to what it imports."""
    files = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem not in {"__init__", "__main__"}}
    modules = set(files)
    return {name: frozenset(_imports(path, modules) - {name}) for name, path in files.items()}


def cycles(graph: dict[str, frozenset[str]] | dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if (node, nxt) in ALLOWED:
                continue
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def test_the_checker_finds_a_cycle_through_a_function_local_import(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .x import X\n"
        "def f():\n    from .y import g\n    from . import z\n",
        encoding="utf-8",
    )
    assert _imports(module, {"x", "y", "z"}) == {"y", "z"}


def test_no_import_cycles_among_the_kits_modules():
    graph = import_graph()
    assert len(graph) > 20, "the package was not found"
    found = cycles(graph)
    where = {
        " -> ".join(group): {m: sorted(graph[m] & set(group)) for m in group} for group in found
    }
    assert not found, f"import cycles (module: the members it imports): {where}"


def test_the_allow_list_stays_short_and_real():
    graph = import_graph()
    assert len(ALLOWED) <= 3
    stale = [edge for edge in ALLOWED if edge[1] not in graph.get(edge[0], frozenset())]
    assert not stale, f"no longer needed: drop {stale} from ALLOWED"
