"""How long the builds of a design take: a rough model for the messages that announce them.

The Verilog conversion (here, :mod:`hdl.export`, :mod:`cosim.program_runner`) and the
simulator compiles (:mod:`cosim.progress`) say what they do and how long they should take.
"""

from __future__ import annotations

__all__ = ["BUILD_MODEL", "expected_seconds", "format_seconds"]

#: ``(seconds, exponent)`` per build step: a step takes ``seconds * size ** exponent``.
#: Fitted to builds measured on this project's 2-core machine (docs/tile.md, "Build time");
#: an estimate, not a promise: the machine's load changes it several times over.
#:
#: * ``convert``: a flat conversion (``panther verilog``'s tops), ``size = cores *
#:   mcus_per_core * (xbar_size / 16) ** 2`` (4 small, 1024 the paper tile): the small tile
#:   about 8 s, the paper tile 87.5 min (issue 20).
#: * ``convert_mcu``, ``convert_core``, ``convert_top``: the units of the hierarchical tile
#:   build (:class:`cosim.tile_simulation.TileSimulation`), converted at the same time.
#:   MCU and core: ``size = (xbar_size / 16) ** 2``, paper 52 s and 8 s idle, the exponent
#:   from the small and paper units measured side by side; top level: ``size = (xbar_size /
#:   16) ** 2 * cores_per_tile ** 2 * tiles_per_node`` (its network interface has a channel
#:   per core pair of the node), 62 s for the paper tile with one tile per node, the exponent
#:   from the small and ``paper`` tops measured side by side.
#: * ``verilator`` (Verilator and g++ of the tile) and ``icarus``: ``size`` as ``convert``;
#:   the small tile 37 s, the paper tile 20.6 min (its hierarchical build measured 8.6 to 29
#:   min, with the machine's load); Icarus at paper size is an assumption (linear in size).
BUILD_MODEL = {
    "convert": (1.58, 1.17),
    "convert_mcu": (6.1, 0.515),
    "convert_core": (6.2, 0.06),
    "convert_top": (11.6, 0.207),
    "verilator": (15.4, 0.633),
    "icarus": (0.3, 1.0),
}


def _size(step, config, cores, mcus):
    cores = config.cores_per_tile if cores is None else cores
    area = (config.xbar_size / 16) ** 2
    if step in ("convert_mcu", "convert_core"):
        return area
    if step == "convert_top":
        return area * cores ** 2 * config.tiles_per_node
    return cores * (config.mcus_per_core if mcus is None else mcus) * area


def expected_seconds(step, config, *, cores=None, mcus=None):
    """The expected duration of a build ``step`` (a key of :data:`BUILD_MODEL`) for
    ``config``; ``cores`` and ``mcus`` (per core) override the configuration's counts (1 and
    1 for a single MCU, 1 for a core)."""
    scale, power = BUILD_MODEL[step]
    return scale * _size(step, config, cores, mcus) ** power


def format_seconds(seconds):
    """``'40 s'``, ``'3 min'``, ``'1 h 49 min'``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"
