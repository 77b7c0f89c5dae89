"""Issue 14 / 19: the App imports its screens, and no screen imports the App (no cycle).

A small cycle finder over the package's own imports (module level and inside functions, as
Python runs them; ``if TYPE_CHECKING:`` blocks left out, as they never run). Run it as a script
to print every cycle of the package: ``python tests/unit/test_issue_14_no_app_cycle.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "sessions_tui"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            yield prefix
            yield from (f"{prefix}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports (a ``from a import b`` of a submodule
    counts as importing ``a.b``)."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = _imports(tree, name, path.name == "__init__.py")
        graph[name] = {m for m in found if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_issue_14_no_screen_or_widget_imports_the_app() -> None:
    graph = import_graph()
    ui = [m for m in graph if m.startswith(("sessions_tui.screens", "sessions_tui.widgets"))]
    assert ui, "no screens found"
    importers = sorted(m for m in ui if "sessions_tui.app" in graph[m])
    assert importers == [], f"these import sessions_tui.app: {importers}"


def test_issue_14_the_app_is_in_no_import_cycle() -> None:
    graph = import_graph()
    assert graph["sessions_tui.app"], "the cycle finder found no imports of app.py"
    assert "sessions_tui.screens.calendar" in graph["sessions_tui.app"]
    with_app = [c for c in cycles(graph) if "sessions_tui.app" in c]
    assert with_app == [], f"sessions_tui.app is in the cycle {sorted(with_app[0])}"


def test_issue_14_the_cycle_finder_finds_a_cycle() -> None:
    """The finder itself: a made-up graph with one cycle and one TYPE_CHECKING import."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pkg import a\n"
        "def f():\n    from pkg.b import thing\n"
    )
    assert "pkg.a" not in set(_imports(tree, "pkg.c", False))
    assert "pkg.b" in set(_imports(tree, "pkg.c", False))
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]


if __name__ == "__main__":  # pragma: no cover
    for component in cycles(import_graph()):
        print(" ↔ ".join(sorted(component)))
