"""No import cycles among sessions_tui's modules, except an allow-list that only shrinks.

The graph is grimp's (the one import-linter checks): every ``import`` in a module, including
imports inside functions (a cycle hidden by a late import is still a cycle), but not imports
under ``if TYPE_CHECKING:``, which never run. A cycle is a strongly connected component of
that graph with more than one module.

:data:`ALLOWED` names the cycles not yet broken, as groups of modules. The test fails when a
cycle appears that no group covers (a new cycle), and when a listed module is no longer in any
cycle (a cycle was broken: take it off the list, so the list only shrinks).

Run ``python tests/unit/test_import_cycles.py`` to print the cycles and one import chain of each.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import grimp

PACKAGE = "sessions_tui"

ALLOWED: list[frozenset[str]] = [
    # None left: the app <-> screens cycle was broken by issue #14 (screens/app_keys.py).
]


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the package modules it imports directly."""
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)
    return {
        m: {i for i in graph.find_modules_directly_imported_by(m) if i.startswith(PACKAGE)}
        for m in graph.modules
        if m.startswith(PACKAGE)
    }


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return sorted(found, key=lambda c: sorted(c))


def problems(found: list[frozenset[str]], allowed: list[frozenset[str]]) -> list[str]:
    """One line per cycle no allowed group covers, and per allowed module no longer in one."""
    out = []
    for component in found:
        if not any(component <= group for group in allowed):
            out.append("new import cycle: " + " ↔ ".join(sorted(component)))
    in_cycles = set().union(*found) if found else set()
    for group in allowed:
        for module in sorted(group - in_cycles):
            out.append(f"{module} is no longer in an import cycle: remove it from ALLOWED")
    return out


def test_cycle_finder_finds_a_hidden_cycle() -> None:
    # A → B → C → A plus a tail (D → A) and a self-contained pair (E ↔ F).
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}, "g": set()}
    assert cycles(graph) == [frozenset("abc"), frozenset("ef")]
    assert problems(cycles(graph), [frozenset("abcx")]) == [
        "new import cycle: e ↔ f",
        "x is no longer in an import cycle: remove it from ALLOWED",
    ]


def test_no_import_cycles_beyond_the_allow_list() -> None:
    assert problems(cycles(import_graph()), ALLOWED) == []


def main() -> int:
    """Print each cycle with one import chain through it; exit 1 on a problem."""
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)
    found = cycles(import_graph())
    for component in found:
        print("cycle: " + " ↔ ".join(sorted(component)))
        for module in sorted(component):
            for imported in sorted(graph.find_modules_directly_imported_by(module) & component):
                details = graph.get_import_details(importer=module, imported=imported)
                where = ", ".join(str(d["line_number"]) for d in details)
                print(f"    {module} → {imported} (line {where})")
    bad = problems(found, ALLOWED)
    for line in bad:
        print(line)
    print(f"{len(found)} cycle(s); {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
