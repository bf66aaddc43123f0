"""Fmax, utilisation and critical paths from nextpnr's ``--report`` JSON.

nextpnr writes one critical path per pair of clock edges it timed (``"posedge clk"`` to
``"posedge clk"``, ``"<async>"`` for an I/O port), each a list of segments: ``clk-to-q``,
``source``, ``logic``, ``routing`` and ``setup``, with a delay in ns. As in nextpnr's own log
("5.80 ns logic, 2.47 ns routing"), every segment but ``routing`` counts as logic delay.
"""

import math

from panther.hdl.synth.tools import ToolError

__all__ = ["parse_nextpnr_report", "parse_critical_paths", "critical_path_of"]

_STEP = "parse nextpnr report"


def _fail(where, message):
    raise ToolError(_STEP, f"{where}: {message}")


def _field(obj, key, where):
    if not isinstance(obj, dict):
        _fail(where, f"expected an object, not {type(obj).__name__}")
    if key not in obj:
        _fail(where, f"missing {key!r}")
    return obj[key]


def _string(obj, key, where):
    value = _field(obj, key, where)
    if not isinstance(value, str):
        _fail(f"{where}.{key}", f"expected a string, not {value!r}")
    return value


def _delay(segment, where):
    value = _field(segment, "delay", where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or value < 0:
        _fail(f"{where}.delay", f"expected a non-negative number of ns, not {value!r}")
    return float(value)


def _end(segment, side, where):
    end = _field(segment, side, where)
    return {"cell": _string(end, "cell", f"{where}.{side}"),
            "port": _string(end, "port", f"{where}.{side}")}


def _path(entry, where):
    segments = _field(entry, "path", where)
    if not isinstance(segments, list) or not segments:
        _fail(f"{where}.path", f"expected a non-empty list of segments, not {segments!r}")
    logic = routing = 0.0
    cells = []
    for k, segment in enumerate(segments):
        at = f"{where}.path[{k}]"
        kind = _string(segment, "type", at)
        delay = _delay(segment, at)
        if kind == "routing":
            routing += delay
        else:
            logic += delay
        for side in ("from", "to"):
            cell = _end(segment, side, at)["cell"]
            if not cells or cells[-1] != cell:
                cells.append(cell)
    return {"from_clock": _string(entry, "from", where), "to_clock": _string(entry, "to", where),
            "start": _end(segments[0], "from", f"{where}.path[0]"),
            "end": _end(segments[-1], "to", f"{where}.path[{len(segments) - 1}]"),
            "delay_ns": round(logic + routing, 3), "logic_ns": round(logic, 3),
            "routing_ns": round(routing, 3), "segments": len(segments),
            "logic_segments": sum(s["type"] == "logic" for s in segments), "cells": cells}


def parse_critical_paths(data):
    """Every critical path of a decoded nextpnr report, in the report's order.

    Each is ``{"from_clock", "to_clock", "start": {"cell", "port"}, "end": {"cell", "port"},
    "delay_ns", "logic_ns", "routing_ns", "segments", "logic_segments", "cells"}``:
    ``logic_segments`` counts the cell-internal ``logic`` segments (one per LUT, carry half or
    DSP passed through), ``cells`` lists the cells along the path in order. A report without
    ``critical_paths`` (nothing timed) gives ``[]``; a malformed one raises
    :class:`ToolError` naming the JSON path (``critical_paths[0].path[3].delay``).
    """
    if not isinstance(data, dict):
        _fail("report", f"expected an object, not {type(data).__name__}")
    entries = data.get("critical_paths", [])
    if not isinstance(entries, list):
        _fail("critical_paths", f"expected a list, not {entries!r}")
    return [_path(entry, f"critical_paths[{k}]") for k, entry in enumerate(entries)]


def _clock_of(edge):
    """``"posedge $glbnet$clk"`` -> ``"$glbnet$clk"``; ``"<async>"`` -> None."""
    word, _, name = edge.partition(" ")
    return name if word in ("posedge", "negedge") and name else None


def critical_path_of(paths, clock):
    """The register-to-register path of ``clock`` (both ends on its edges), or None."""
    for path in paths:
        if _clock_of(path["from_clock"]) == clock == _clock_of(path["to_clock"]):
            return path
    return None


def parse_nextpnr_report(data, *, clock_mhz):
    """Fmax, utilisation and critical path from nextpnr's ``--report`` JSON (decoded).

    Returns ``{"fmax_mhz": {clock: achieved}, "constraint_mhz": {...}, "meets": bool,
    "target_mhz", "utilisation": {bel type: {"used", "available", "percent"}} (only types in
    use), "critical_clock": the clock of the lowest Fmax, "critical_path": its
    register-to-register path (:func:`parse_critical_paths`) or None, "critical_paths": all
    of them}``.
    """
    try:
        fmax = {name: float(v["achieved"]) for name, v in data["fmax"].items()}
        constraint = {name: float(v["constraint"]) for name, v in data["fmax"].items()}
        util = {name: {"used": int(v["used"]), "available": int(v["available"]),
                       "percent": round(100.0 * int(v["used"]) / max(1, int(v["available"])), 1)}
                for name, v in sorted(data["utilization"].items()) if int(v["used"])}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ToolError(_STEP, f"unexpected report layout ({error!r})") from None
    if not fmax:
        raise ToolError(_STEP, "the report names no clock")
    meets = all(fmax[c] >= constraint[c] for c in fmax)
    paths = parse_critical_paths(data)
    worst = min(fmax, key=fmax.get)
    return {"fmax_mhz": fmax, "constraint_mhz": constraint, "meets": meets,
            "target_mhz": clock_mhz, "utilisation": util, "critical_clock": worst,
            "critical_path": critical_path_of(paths, worst), "critical_paths": paths}
