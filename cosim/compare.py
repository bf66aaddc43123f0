"""Comparison of an RTL run's dump with the golden model's report of the same program.

The state (every core's status, error code, PC, overflow flag, register file, XBar buffers,
pending updates, every MCU's weights and slice digits, the whole shared memory) and **every
event counter the RTL has** are compared. :func:`rtl_counters` lists the RTL's counters;
:func:`golden_counters` maps the golden model's events onto the same names;
:data:`GOLDEN_ONLY` names the golden counters the RTL has no counter for (so they cannot be
compared), and a test checks that every golden counter is one or the other.
:func:`golden_run` runs the golden model on the image the RTL ran.
"""

from __future__ import annotations

from panther.config import PantherConfig
from panther.isa.events import ANALOG_EVENTS, DIGITAL_EVENTS
from panther.isa.golden import run_image
from panther.isa.golden.errors import DeadlockError, GoldenError
from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS

__all__ = ["compare", "compared_counters", "rtl_counters", "golden_counters", "golden_run",
           "GOLDEN_ONLY", "DERIVED", "CORE_FIELDS", "TRANSACTION_KINDS", "MCU_COUNTERS"]

#: Per-core state compared besides the MCUs' weights and digits.
CORE_FIELDS = ("status", "fault_code", "pc", "overflow", "rf", "xbar_in", "xbar_out",
               "pending_updates")

#: Analog-port transaction counts (``AnalogPort.transactions``).
TRANSACTION_KINDS = ("mvm", "mtvm", "opa", "read", "write", "requests")

#: Per-MCU counters both sides have: operations carried out on the crossbars, analog-port
#: requests and serial rows read (CRS and variant-3 commit together).
MCU_COUNTERS = ("mvm", "mtvm", "opa_applied", "requests", "serial_rows")

#: Golden counters the RTL does not count, with the reason (shown in reports).
GOLDEN_ONLY = {
    "instructions.*": "retired instructions per opcode (the RTL counts them in total)",
    "vfu_*": "VFU operations per function (the RTL counts them in total)",
    "mcu.*.opa": "OPAs issued per MCU (the RTL counts the OPAs applied)",
    "mcu.*.crs": "CRSs issued per MCU (the RTL counts the serial rows)",
    "mcu.*.crs_applied": "CRSs carried out per MCU (in serial_rows with the commits)",
    "mcu.*.commits": "variant-3 commits per MCU (in serial_rows with the CRSs)",
    "mcu_totals.opa": "OPAs issued (the RTL counts the OPAs applied)",
    "mcu_totals.crs": "CRSs issued",
    "mcu_totals.crs_applied": "CRSs carried out (in the serial-row counts)",
    "mcu_totals.commits": "variant-3 commits (in the serial-row counts)",
    "mcu_totals.requests": "total analog requests (compared as analog_transactions.requests)",
}


#: Golden energy events that are sums of compared digital counters.
DERIVED = {
    "energy_events.vfu_op": "vfu_ops + alu_int_ops",
    "energy_events.rf_access": "rf_reads + rf_writes",
    "energy_events.smem_access": "smem_reads + smem_writes",
    "energy_events.imem_fetch": "instructions_total",
    "energy_events.xbar_in_access": "xbar_in_reads + xbar_in_writes",
    "energy_events.xbar_out_access": "xbar_out_reads + xbar_out_writes",
    "energy_events.noc_flit": "noc_flits",
    "energy_events.noc_hop": "noc_flit_hops",
}


def _totals(events):
    """The tile-wide counters both sides name alike."""
    out = {"instructions_total": events["instructions_total"],
           "adc_conversions": events["adc_conversions"]}
    for op in ("mvm", "mtvm", "opa_applied"):
        out[f"mcu_totals.{op}"] = events["mcu_totals"][op]
    for kind in TRANSACTION_KINDS:
        out[f"analog_transactions.{kind}"] = events["analog_transactions"][kind]
    for name in ANALOG_EVENTS:
        out[f"energy_events.{name}"] = events["energy_events"][name]
    return out


def rtl_counters(events, *, halted):
    """Flat ``name -> int`` of the counters in an RTL dump's ``events`` (the digital ones
    only when every core halted: a faulting instruction may count the operands it read
    before the fault differently)."""
    out = _totals(events)
    for row in events["mcu"]:
        for name in MCU_COUNTERS:
            out[f"mcu.{row['core']}.{row['mcu']}.{name}"] = row[name]
    if halted:
        for name in DIGITAL_EVENTS:
            out[name] = events[name]
    return out


def golden_counters(events, config, *, halted):
    """The golden model's ``events`` (``GoldenReport.events``) under :func:`rtl_counters`'
    names, for every core and MCU of the tile (``config``)."""
    out = _totals(events)
    rows = config.n_slices * config.xbar_size
    table = {(row["core"], row["mcu"]): row for row in events["mcu"]}
    for core in range(config.cores_per_tile):
        for m in range(config.mcus_per_core):
            row = table.get((core, m), {})
            for name in MCU_COUNTERS:
                value = ((row.get("crs_applied", 0) + row.get("commits", 0)) * rows
                         if name == "serial_rows" else row.get(name, 0))
                out[f"mcu.{core}.{m}.{name}"] = value
    if halted:
        for name in DIGITAL_EVENTS:
            out[name] = events.get(name, 0)
    return out


def compared_counters(rtl_events, *, halted):
    """Names of the counters a comparison covers."""
    return sorted(rtl_counters(rtl_events, halted=halted))


def _same(expected, actual):
    """Whether two values of the same container type are equal as a whole (then walking
    them finds nothing: ``==`` of lists and dicts compares element by element, in C)."""
    if type(expected) is not type(actual) or not isinstance(expected, (dict, list, tuple)):
        return False
    try:
        return bool(expected == actual)
    except ValueError:                   # an array inside: walk it
        return False


def _walk(expected, actual, where, out, limit):
    if len(out) >= limit or _same(expected, actual):
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                out.append(f"{where}.{key}: missing in the RTL dump")
            else:
                _walk(expected[key], actual[key], f"{where}.{key}", out, limit)
    elif isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if len(expected) != len(actual):
            out.append(f"{where}: {len(expected)} entries expected, {len(actual)} in the RTL")
            return
        for i, (a, b) in enumerate(zip(expected, actual)):
            _walk(a, b, f"{where}[{i}]", out, limit)
    elif expected != actual:
        out.append(f"{where}: golden {expected!r}, RTL {actual!r}")


def compare(golden, rtl, *, limit=20):
    """Differences between a golden report (GoldenReport or dict) and an RTL dump, first
    diverging state first (at most ``limit`` lines; an empty list means they agree on the
    whole state and on every counter of :func:`rtl_counters`)."""
    g = golden if isinstance(golden, dict) else golden.to_dict()
    config = PantherConfig.from_dict(g["config"])
    out = []
    for i, (gc, rc) in enumerate(zip(g["cores"], rtl["cores"])):
        for name in CORE_FIELDS:
            _walk(gc[name], rc[name], f"core {i} {name}", out, limit)
        for m, (gm, rm) in enumerate(zip(gc["mcus"], rc["mcus"])):
            _walk(gm["weights"], rm["weights"], f"core {i} MCU {m} weights", out, limit)
            _walk(gm["digits"], rm["digits"], f"core {i} MCU {m} slice digits", out, limit)
    if len(g["cores"]) != len(rtl["cores"]):
        out.append(f"cores: golden {len(g['cores'])}, RTL {len(rtl['cores'])}")
    for name in ("values", "valid", "count"):
        _walk(g["smem"][name], rtl["smem"][name], f"shared memory {name}", out, limit)
    halted = all(core["status"] == "halted" for core in g["cores"] + rtl["cores"])
    ours = rtl_counters(rtl["events"], halted=halted)
    theirs = golden_counters(g["events"], config, halted=halted)
    for name in sorted(set(ours) | set(theirs)):
        if len(out) >= limit:
            break
        if ours.get(name) != theirs.get(name):
            out.append(f"event count {name}: golden {theirs.get(name)!r}, RTL {ours.get(name)!r}")
    return out[:limit]


def golden_run(image, golden_factory=None, max_rounds=None):
    """``(report, error message, how it stopped)`` of the golden model on ``image``: the
    message is ``''`` when it completed; on a deadlock or a fault, the report is of its state
    when it stopped; how it stopped is ``'halted'`` (every core stopped, with or without a
    fault), ``'deadlock'`` or ``'round_limit'``. ``golden_factory`` is its MCU factory (default:
    the exact one); ``max_rounds`` bounds the run (default
    :data:`isa.golden.tile.DEFAULT_MAX_ROUNDS`)."""
    try:
        return run_image(image, mcu_factory=golden_factory,
                         max_rounds=max_rounds or DEFAULT_MAX_ROUNDS), "", "halted"
    except GoldenError as error:
        if error.report is None:
            raise
        return error.report, str(error), \
            "deadlock" if isinstance(error, DeadlockError) else "round_limit"
