"""How long the builds of a design take: a rough model for the messages that announce them.

The Verilog conversion (here, :mod:`hdl.export`, :mod:`cosim.program_runner`) and the
simulator compiles (:mod:`cosim.progress`) say what they do and how long they should take.
"""

from __future__ import annotations

__all__ = ["BUILD_MODEL", "expected_seconds", "format_seconds"]

#: ``(seconds, exponent)`` per build step: a step takes ``seconds * size ** exponent`` with
#: ``size = cores * mcus_per_core * (xbar_size / 16) ** 2`` (4 for the small preset, 1024 for
#: the paper tile). Fitted to builds measured on this project's 2-core machine, idle: the
#: small tile (conversion about 8 s and Verilator about 37 s of the 45 s of an empty-cache
#: `make demo`; Icarus about 1 s) and the paper tile (conversion 87.5 min, Verilator and g++
#: 20.6 min; issue 20); Icarus at paper size is an assumption (linear in size). An estimate,
#: not a promise: the machine's load changes it several times over.
BUILD_MODEL = {
    "convert": (1.58, 1.17),
    "verilator": (15.4, 0.633),
    "icarus": (0.3, 1.0),
}


def expected_seconds(step, config, *, cores=None, mcus=None):
    """The expected duration of a build ``step`` (``'convert'``, ``'verilator'`` or
    ``'icarus'``) of a tile of ``config``; ``cores`` and ``mcus`` (per core) override the
    configuration's counts (1 and 1 for a single MCU, 1 for a core)."""
    scale, power = BUILD_MODEL[step]
    size = ((config.cores_per_tile if cores is None else cores)
            * (config.mcus_per_core if mcus is None else mcus) * (config.xbar_size / 16) ** 2)
    return scale * size ** power


def format_seconds(seconds):
    """``'40 s'``, ``'3 min'``, ``'1 h 49 min'``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


