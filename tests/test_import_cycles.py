"""No import cycle between two modules of the package (issue 28): every import statement counts, inside
functions and under ``TYPE_CHECKING`` too, as grimp (import-linter's graph) reads them. A cycle is a
strongly connected group of modules; the failure names each group."""

from __future__ import annotations

import grimp

PENDING_ELSEWHERE: set[frozenset[str]] = set()
"""Cycles another change is removing (empty: issue 28's one loop and Textual modes have landed)."""


def import_cycles(package: str = "cgan_tui") -> list[frozenset[str]]:
    """The strongly connected groups (of two or more modules) of the package's import graph."""
    graph = grimp.build_graph(package, cache_dir=None)
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[frozenset[str]] = []

    def visit(root: str) -> None:  # Tarjan's algorithm, iterative (deep chains must not hit the recursion limit)
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c == package or c.startswith(package + ".")), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(frozenset(group))

    for module in modules:
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycle_between_two_modules():
    cycles = [sorted(g) for g in import_cycles() if g not in PENDING_ELSEWHERE]
    assert not cycles, f"import cycles: {cycles}"


def test_the_cycle_finder_finds_one(tmp_path, monkeypatch):
    pkg = tmp_path / "cyclic_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclic_pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from cyclic_pkg import a\n")
    (pkg / "c.py").write_text("from cyclic_pkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_pkg") == [frozenset({"cyclic_pkg.a", "cyclic_pkg.b"})]
