"""Metric ``rtl_cycles``: clock cycles of one training step on the tile RTL.

The point's kernel is compiled and run once on the co-simulated tile (Verilator by default,
``panther run``'s machinery: one simulator build per configuration, kept in
``build/cosim``), and compared with the golden model. Points larger than ``max_cores`` cores
or ``max_xbar_size`` crossbars are not co-simulated (their cells stay empty and ``notes``
says why): a build grows with the tile. The device non-idealities do not change the cycle
count, so the run uses the ideal models and noise-only variations share it; nor does
``clock_mhz`` while ``analog_latency`` is ``"ideal"`` (the simulated tile is built at the
default clock, so a clock sweep reuses one build and one run; ``rtl_time_ns`` converts the
cycles at the point's clock). With ``"modelled"`` the analog answer latencies are cycles of
the point's clock, so each clock is its own build and run.
"""

from __future__ import annotations

import dataclasses

from panther.config import NoiseConfig, PantherConfig

from .metrics import Column, Metric, Option, register_metric
from .points import model_fingerprint

__all__ = ["RTL_CYCLES"]


def _columns(options):
    return (
        Column("rtl_cycles", "cycles", "min", "clock cycles of one step on the RTL"),
        Column("rtl_time_ns", "ns", None, "rtl_cycles at the configuration's clock_mhz"),
        Column("rtl_matches_golden", "", None, "the RTL's final state and counters equal the golden model's"),
    )


def _simulated(config):
    """The configuration the tile is simulated with: ideal devices, the default clock unless
    the analog latencies are modelled (in cycles of the point's clock)."""
    if config.analog_latency == "modelled":
        return config.replace(noise=NoiseConfig())
    clock = next(f.default for f in dataclasses.fields(PantherConfig) if f.name == "clock_mhz")
    return config.replace(noise=NoiseConfig(), clock_mhz=clock)


def _share(point, options):
    return {"config": _simulated(point.config).to_dict(), "model": model_fingerprint(point.model)}


def _compute(point, options):
    config = point.config
    if config.cores_per_tile > options["max_cores"] or config.xbar_size > options["max_xbar_size"]:
        return {"rtl_cycles": None, "rtl_matches_golden": None,
                "notes": f"not co-simulated: {config.cores_per_tile} cores of {config.xbar_size}x"
                         f"{config.xbar_size} crossbars exceed max_cores {options['max_cores']} / "
                         f"max_xbar_size {options['max_xbar_size']}"}
    from panther.compiler import compile_model
    from panther.cosim.program_runner import run_and_compare

    kernel = compile_model(point.model, config=_simulated(config))
    outcome = run_and_compare([kernel.image], simulator=options["simulator"])[0]
    return {"rtl_cycles": outcome.cycles,
            "rtl_matches_golden": outcome.ok,
            "notes": "" if outcome.ok else "RTL differs from the golden model: "
                     + (outcome.diffs[0] if outcome.diffs else outcome.stopped)}


def _derive(point, options, values):
    cycles = values.get("rtl_cycles")
    return {**values, "rtl_time_ns": None if cycles is None else cycles * 1000.0 / point.config.clock_mhz}


RTL_CYCLES = register_metric(Metric(
    name="rtl_cycles", doc=__doc__.splitlines()[0], columns=_columns, compute=_compute, share=_share,
    derive=_derive,
    options=(Option("simulator", "verilator", "str", "RTL simulator", choices=("verilator", "icarus")),
             Option("max_cores", 8, "int", "largest tile co-simulated (cores)", minimum=1),
             Option("max_xbar_size", 16, "int", "largest crossbar co-simulated", minimum=2))))
