"""The project's import graph, read from the sources (no module is imported).

Module names are the installed ones (``panther.hdl.core.vfu``); the folder of each floor comes
from ``setup.py``'s ``FLOORS``, the one place that maps packages to folders.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ROOT", "floors", "modules", "import_edges"]


def floors():
    """``{package: folder}`` as ``setup.py`` declares it."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FLOORS"
                                                for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py defines no FLOORS")


def modules():
    """``{module name: path}`` of every Python module of the installed package."""
    out = {}
    for package, folder in floors().items():
        base = ROOT / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("")
            parts = list(rel.parts)
            if package == "panther" and parts and parts[0] in {f for f in floors().values()}:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([package, *parts])] = path
    return out


def _resolve(module, is_package, node):
    if node.level == 0:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_edges(*, local=True):
    """``{module: {(imported module, line)}}`` of the project's own imports.

    ``from P import N`` counts as an import of ``P.N`` when that is a module, else of ``P``.
    ``local=False`` leaves out imports inside functions and classes."""
    mods = modules()
    edges = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        nodes = ast.walk(tree) if local else tree.body
        found = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in mods:
                        found.add((alias.name, node.lineno))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node)
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in mods:
                        found.add((sub, node.lineno))
                    elif target in mods:
                        found.add((target, node.lineno))
        edges[name] = found
    return edges
