"""Run program images on the tile RTL and compare each with the golden model.

The three steps live in their own modules: :mod:`cosim.tile_simulation` builds the tile once
per configuration and simulator and runs batches of images on it; :mod:`cosim.compare`
runs the golden model on the same images and lists every difference (per core: status, fault
code, PC, overflow flag, register file, XBar buffers, weights and slice digits, pending
updates; then the shared memory; then every event counter), the first diverging state first;
:mod:`cosim.rtl_report` turns an RTL dump into a report and an outcome into text.
:func:`run_and_compare` does all three; this module also re-exports what callers use.
"""

from __future__ import annotations

from .clock import period_ps
from .compare import compare, golden_run
from .rtl_report import RtlOutcome, rtl_report
from .tile_simulation import (
    DEFAULT_MAX_CYCLES,
    LOG,
    SimulationError,
    TileSimulation,
    get_simulation,
    port_map,
)

__all__ = ["LOG", "DEFAULT_MAX_CYCLES", "TileSimulation", "port_map", "compare",
           "RtlOutcome", "run_and_compare", "rtl_report", "get_simulation", "SimulationError",
           "period_ps"]


def run_and_compare(images, *, simulator="verilator", waves=False, waves_file=None,
                    max_cycles=DEFAULT_MAX_CYCLES, golden_factory=None, simulation=None,
                    max_rounds=None):
    """Run ``images`` (one config) on the RTL in one simulation and compare each with the
    golden model. Returns a list of :class:`RtlOutcome`. With ``waves``, the simulation is
    recorded (FST) into ``waves_file`` (see :meth:`TileSimulation.run`); ``simulation``: a
    built :class:`TileSimulation` to use (default: :func:`get_simulation`); ``max_rounds``
    bounds the golden model's run (default :data:`isa.golden.tile.DEFAULT_MAX_ROUNDS`)."""
    images = list(images)
    if not images:
        return []
    sim = simulation or get_simulation(images[0].config, simulator=simulator, waves=waves)
    dumps = sim.run(images, max_cycles=max_cycles, waves_file=waves_file)
    outcomes = []
    for image, dump in zip(images, dumps):
        golden, error, golden_stopped = golden_run(image, golden_factory, max_rounds)
        outcome = RtlOutcome(dump=dump, golden=golden, golden_error=error,
                             report=rtl_report(image, dump, golden),
                             golden_stopped=golden_stopped, image=image)
        outcome.diffs = [] if outcome.both_limits else compare(golden, dump)
        outcomes.append(outcome)
    return outcomes
