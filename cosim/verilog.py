"""Amaranth component -> Verilog, cached in a build directory keyed by configuration (the
conversion itself is redone only when the RTL sources change).

The build directory is the current directory's ``build/``, or ``$PANTHER_BUILD_DIR``
(``panther --build-dir DIR`` sets it): never the installed package's folder, which may not
be writable and is shared by every user of the install."""

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import re
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Elaboratable

__all__ = ["BUILD_DIR_ENV", "build_dir", "default_build_root", "source_path", "source_hash",
           "config_key", "module_name", "build_lock", "write_verilog"]

#: Environment variable naming the build directory (default: ``./build``).
BUILD_DIR_ENV = "PANTHER_BUILD_DIR"


def build_dir():
    """The build directory: ``$PANTHER_BUILD_DIR`` or the current directory's ``build``."""
    return Path(os.environ.get(BUILD_DIR_ENV) or "build").resolve()


def default_build_root():
    """Where co-simulation builds go: ``build_dir()/cosim``."""
    return build_dir() / "cosim"


def source_path(entry):
    """The file or folder of a source entry such as ``'hdl/mcu'`` or ``'panther/config.py'``:
    the repository folder's path relative to its installed package (``hdl`` is
    ``panther.hdl``, ``panther`` the ground floor), wherever the package is installed."""
    head, _, rest = str(entry).partition("/")
    package = "panther" if head == "panther" else f"panther.{head}"
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise ValueError(f"source_dirs: {entry!r}: no package {package}")
    base = Path(spec.origin).parent
    return base / rest if rest else base


def source_hash(source_dirs):
    """SHA-1 of every ``*.py`` file under ``source_dirs`` (folders or single files, named as
    in the repository: ``hdl/mcu``, ``panther/config.py``), so a cached Verilog file never
    outlives the RTL it came from. The same sources give the same hash in a clone and in an
    installed wheel."""
    digest = hashlib.sha1()
    for folder in source_dirs:
        root = source_path(folder)
        if root.is_file():
            paths = [(folder, root)]
        elif root.is_dir():
            paths = [(f"{folder}/{p.relative_to(root).as_posix()}", p)
                     for p in sorted(root.rglob("*.py"))]
        else:
            raise ValueError(f"source_dirs: {folder!r} is not a folder or file of the project")
        for name, path in paths:
            digest.update(name.encode())
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
def build_lock(name, build_root=None):
    """Exclusive lock on ``build_root/name.lock`` while converting or compiling ``name``, so
    parallel test workers (pytest-xdist) never build the same directory at once (default
    root: :func:`default_build_root`)."""
    build_root = Path(build_root) if build_root is not None else default_build_root()
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


def write_verilog(component, *, name, source_dirs=("hdl/mcu",), build_root=None,
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
    build_root = Path(build_root) if build_root is not None else default_build_root()
    out_dir = build_root / name
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
