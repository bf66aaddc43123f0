"""The floors of docs/architecture.md hold for the whole import graph: no import cycles (also
through imports inside functions, which would only hide one), and the packages setup.py
installs are exactly the folders that hold Python packages."""

from __future__ import annotations

import sys

from import_graph import ROOT, floors, import_edges, modules


def _cycles(edges):
    graph = {m: {t for t, _ in targets} for m, targets in edges.items()}
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

    def visit(v):                       # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
            if len(component) > 1 or v in graph.get(v, ()):
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {("b", 1)}, "b": {("c", 1)}, "c": {("a", 1)}, "d": {("a", 1)}}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_no_import_cycles():
    edges = import_edges(local=True)
    cycles = _cycles(edges)
    described = []
    for component in cycles:
        inside = set(component)
        lines = [f"{m} imports {t} (line {line})" for m in component
                 for t, line in sorted(edges[m]) if t in inside]
        described.append("; ".join(lines))
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_every_python_package_folder_is_installed():
    installed = set(modules())
    for package, folder in floors().items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            name = ".".join([package, *rel])
            assert name in installed, f"{init} is not part of the installed package {name}"
