"""Amaranth component -> Verilog, cached in a build directory keyed by configuration and HDL sources."""

import hashlib
import os
import re
from pathlib import Path

from amaranth.back import verilog

__all__ = ["DEFAULT_BUILD_ROOT", "source_hash", "config_key", "module_name", "write_verilog"]

DEFAULT_BUILD_ROOT = Path(__file__).resolve().parent.parent / "build" / "cosim"


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def source_hash(source_dirs):
    """SHA-1 of every ``*.py`` file under ``source_dirs`` (relative to the project root), so a
    cached Verilog file never outlives the RTL it came from."""
    digest = hashlib.sha1()
    for folder in source_dirs:
        root = PROJECT_ROOT / folder
        if not root.is_dir():
            raise ValueError(f"source_dirs: {folder!r} is not a folder of the project")
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def config_key(config, *extra, source_dirs=("hdl/mcu",)):
    """Short hash of a configuration (its JSON), the RTL sources and ``extra`` strings."""
    digest = hashlib.sha1(config.to_json().encode())
    digest.update(source_hash(source_dirs).encode())
    for item in extra:
        digest.update(str(item).encode())
    return digest.hexdigest()[:12]


def module_name(kind, config, *extra, source_dirs=("hdl/mcu",)):
    """A unique Verilog module name for ``kind`` (e.g. ``mcu``) and ``config``, with no ``__``.

    ``source_dirs`` are the RTL folders the component is generated from (a core top level
    would pass ``("hdl/mcu", "hdl/core")``)."""
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", kind):
        raise ValueError(f"kind must be a lower-case identifier without '__', not {kind!r}")
    return f"panther_{kind}_{config_key(config, *extra, source_dirs=source_dirs)}"


def write_verilog(component, *, name, build_root=DEFAULT_BUILD_ROOT):
    """Write ``component`` as Verilog module ``name`` to ``build_root/name/name.v``.

    The file is reused if it exists (``name`` already encodes the configuration and HDL
    sources, see :func:`module_name`); it is written atomically otherwise.

    Returns
    -------
    pathlib.Path
        The Verilog file.
    """
    if "__" in name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be a Verilog identifier without '__', not {name!r}")
    out_dir = Path(build_root) / name
    path = out_dir / f"{name}.v"
    if path.is_file():
        # The component is not elaborated: silence Amaranth's unused-elaboratable warning.
        component._MustUse__silence = True
        return path
    out_dir.mkdir(parents=True, exist_ok=True)
    text = verilog.convert(component, name=name, emit_src=False)
    tmp = path.with_suffix(f".v.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path
