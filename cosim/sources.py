"""The source files a generated design depends on, read from the import graph.

A cached Verilog file is reused only while every module its top level is built from is
unchanged. Those modules are found by following imports from the top level's module(s):
every ``import`` and ``from ... import`` of a module of the project's packages (also inside
functions), and every package whose ``__init__`` an import runs. No module is imported to find
them (only located, which imports the packages above it).
"""

import ast
import hashlib
import importlib.util
import os
import time
from pathlib import Path

import amaranth

__all__ = ["PROJECT_PACKAGES", "source_modules", "source_hash", "process_start_time",
           "edited_since"]

#: Top-level packages whose modules are followed (others, e.g. amaranth, are not; the
#: Amaranth version is part of :func:`source_hash` instead).
PROJECT_PACKAGES = ("panther",)


def _origin(name):
    """The file of module ``name`` or None (not a module, or not a source file)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.has_location or not str(spec.origin).endswith(".py"):
        return None
    return Path(spec.origin)


def _parents(name):
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def _imports(name, path, packages):
    """Module names ``name`` (at ``path``) imports, among ``packages``."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in packages}


def source_modules(roots, *, packages=PROJECT_PACKAGES):
    """``{module name: path}`` of ``roots`` (module names) and every module of ``packages``
    they import, directly or not. Raises ``ValueError`` for a root that is not a module."""
    roots = [roots] if isinstance(roots, str) else list(roots)
    out = {}
    todo = []
    for root in roots:
        if _origin(root) is None:
            raise ValueError(f"{root!r} is not an importable Python source module")
        todo.append(root)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        path = _origin(name)
        if path is None:           # `from package import name` of a non-module name
            continue
        out[name] = path
        todo += [p for p in _parents(name) if p.split(".")[0] in packages]
        todo += sorted(_imports(name, path, packages) - set(out))
    return dict(sorted(out.items()))


def source_hash(roots, *, packages=PROJECT_PACKAGES):
    """SHA-1 of the Amaranth version and of every module of :func:`source_modules` (name and
    contents), so a cached design never outlives the code it was generated from."""
    digest = hashlib.sha1(f"amaranth {amaranth.__version__}\n".encode())
    for name, path in source_modules(roots, packages=packages).items():
        digest.update(f"{name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _linux_start_time():
    """This process's start (seconds since the epoch) from ``/proc``, or None. ``btime`` has
    whole seconds, so the value is at most a second early, never late."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])     # field 22, starttime
        with open("/proc/stat") as stat:
            boot = next(int(line.split()[1]) for line in stat if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


_START = _linux_start_time() or time.time()


def process_start_time():
    """When this process started (seconds since the epoch; where ``/proc`` is missing, when
    this module was imported). A module file changed later may differ from the module the
    process imported."""
    return _START


def edited_since(roots, when, *, packages=PROJECT_PACKAGES):
    """Names of the modules of :func:`source_modules` whose file changed after ``when``."""
    return [name for name, path in source_modules(roots, packages=packages).items()
            if path.stat().st_mtime > when]
