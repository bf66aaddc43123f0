"""Amaranth component -> Verilog, cached in a build directory keyed by configuration (the
conversion itself is redone only when the RTL sources change)."""

import contextlib
import fcntl
import hashlib
import os
import re
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Elaboratable

__all__ = ["DEFAULT_BUILD_ROOT", "PROJECT_ROOT", "source_hash", "config_key", "module_name",
           "build_lock", "write_verilog"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUILD_ROOT = PROJECT_ROOT / "build" / "cosim"


def source_hash(source_dirs):
    """SHA-1 of every ``*.py`` file under ``source_dirs`` (folders or single files, relative
    to the project root), so a cached Verilog file never outlives the RTL it came from."""
    digest = hashlib.sha1()
    for folder in source_dirs:
        root = PROJECT_ROOT / folder
        if root.is_file():
            paths = [root]
        elif root.is_dir():
            paths = sorted(root.rglob("*.py"))
        else:
            raise ValueError(f"source_dirs: {folder!r} is not a folder or file of the project")
        for path in paths:
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def config_key(config, *extra):
    """Short hash of a configuration (its JSON) and ``extra`` strings."""
    digest = hashlib.sha1(config.to_json().encode())
    for item in extra:
        digest.update(str(item).encode())
    return digest.hexdigest()[:12]


def module_name(kind, config, *extra):
    """A unique Verilog module name for ``kind`` (e.g. ``mcu``) and ``config``, with no ``__``."""
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", kind):
        raise ValueError(f"kind must be a lower-case identifier without '__', not {kind!r}")
    return f"panther_{kind}_{config_key(config, *extra)}"


@contextlib.contextmanager
def build_lock(name, build_root=DEFAULT_BUILD_ROOT):
    """Exclusive lock on ``build_root/name.lock`` while converting or compiling ``name``, so
    parallel test workers (pytest-xdist) never build the same directory at once."""
    Path(build_root).mkdir(parents=True, exist_ok=True)
    with open(Path(build_root) / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _silence(component, _seen=None):
    """Silence the unused-elaboratable warning of ``component`` and of the elaboratables it
    holds as attributes (e.g. a wrapper's ``inner``)."""
    seen = _seen if _seen is not None else set()
    if id(component) in seen or not isinstance(component, Elaboratable):
        return
    seen.add(id(component))
    component._MustUse__silence = True
    for value in vars(component).values():
        # Sub-components are often held in lists or dicts (a tile's cores, a core's MCUs).
        for item in value.values() if isinstance(value, dict) else \
                value if isinstance(value, (list, tuple)) else (value,):
            _silence(item, seen)


def write_verilog(component, *, name, source_dirs=("hdl/mcu",), build_root=DEFAULT_BUILD_ROOT,
                  on_convert=None):
    """Write ``component`` as Verilog module ``name`` to ``build_root/name/name.v``.

    ``source_dirs`` are the RTL folders the component is generated from (a core top level
    would pass ``("hdl/mcu", "hdl/core")``). Conversion is skipped when their sources did not
    change since the file was written; when they did, the file is rewritten only if the
    Verilog text changed, so simulators see an unchanged file and reuse their builds.
    ``on_convert`` (no arguments) is called just before a conversion, e.g. to announce it.

    Returns
    -------
    pathlib.Path
        The Verilog file.
    """
    if "__" in name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        _silence(component)
        raise ValueError(f"name must be a Verilog identifier without '__', not {name!r}")
    out_dir = Path(build_root) / name
    path = out_dir / f"{name}.v"
    stamp = out_dir / f"{name}.sources"
    sources = source_hash(source_dirs)
    with build_lock(name, build_root):
        if path.is_file() and stamp.is_file() and stamp.read_text() == sources:
            _silence(component)      # not elaborated: no "created but never used" warnings
            return path
        if on_convert is not None:
            on_convert()
        out_dir.mkdir(parents=True, exist_ok=True)
        text = verilog.convert(component, name=name, emit_src=False)
        if not path.is_file() or path.read_text() != text:
            tmp = path.with_suffix(f".v.{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(path)
        stamp.write_text(sources)
    return path
