"""The readable text of a :class:`isa.node_run_report.NodeRunReport` (what ``panther run``
prints for a node program): cores, MCU operations, network traffic, event counts, energy, and
on the RTL how the run stopped and its comparison with the golden node."""

from __future__ import annotations

from panther.analog_models.energy import EnergyModel
from panther.table import format_table

__all__ = ["format_node_run", "node_rtl_lines"]


def _table(title, rows, headers):
    if not rows:
        return [f"{title}: none"]
    return format_table(headers, rows, title=title + ":", indent="  ").splitlines()


def _header(report):
    c = report.config
    title = report.program or "program"
    mixed = "" if report.sim == "golden" else (
        f" (tile {report.rtl['rtl_tile']} on the RTL, the other tiles golden)"
        if report.rtl and report.rtl.get("rtl_tile") is not None else " (every tile RTL)")
    return [f"{title} on the {report.sim} model{mixed}: node of {c.tiles_per_node} tiles "
            f"({len(report.tiles)} loaded) on a {c.noc_mesh_cols}x{c.noc_mesh_rows} mesh of "
            f"routers ({c.noc_concentration} tile(s) per router), {c.cores_per_tile} cores x "
            f"{c.mcus_per_core} MCUs per tile, {c.xbar_size}x{c.xbar_size} crossbars, variant "
            f"{c.variant}",
            f"node rounds: {report.rounds}" if report.rounds is not None
            else f"clock cycles: {report.cycles}", ""]


def _cores(report):
    rows, faults = [], []
    for core in report.cores:
        if core["idle"] and core["status"] == "halted":
            continue
        status = core["status"] if core["status"] != "error" else f"error {core['fault']}"
        cycles = "-" if core["cycles"] is None else core["cycles"]
        rows.append((f"tile {core['tile']} core {core['core']}", status, core["pc"],
                     core["instructions"], cycles, "yes" if core["overflow"] else "no"))
        if core["fault_message"]:
            faults.append(f"  tile {core['tile']}: {core['fault_message']}")
    return _table("cores (idle cores not shown)", rows,
                  ("core", "status", "pc", "instructions", "cycles", "overflow")) + faults


def _network(report, events):
    noc = report.noc
    traffic = [(f"tile {r['src_tile']} -> tile {r['dst_tile']}", r["sends"], r["words"],
                r["flits"], r["flit_hops"]) for r in noc["traffic"]]
    source = "" if report.sim == "golden" else "; routes from the golden node's run"
    lines = _table(f"network ({events.get('noc_words_sent', 0)} words, "
                   f"{events.get('noc_flits', 0)} flits, {events.get('noc_flit_hops', 0)} "
                   f"flit-hops{source})", traffic,
                   ("route", "sends", "words", "flits", "flit-hops"))
    for chan in noc["channels"]:
        lines.append(f"  left in channel tile {chan['src_tile']} core {chan['src_core']} -> tile "
                     f"{chan['dst_tile']} core {chan['dst_core']}: {len(chan['words'])} word(s)")
    return lines


def node_rtl_lines(report):
    """How the RTL run stopped, its cycles and its comparison with the golden node."""
    rtl, c = report.rtl or {}, report.config
    cycles = report.cycles if report.cycles is not None else 0
    what = "halted" if report.status in ("halted", "error") else report.status
    k = rtl.get("rtl_tile")
    where = (f"node RTL ({report.sim})" if k is None
             else f"tile {k} on the RTL ({report.sim}), the other tiles golden")
    lines = [f"{where}: {what} after {cycles} cycles ({cycles * 1000.0 / c.clock_mhz:.1f} ns at "
             f"{c.clock_mhz:g} MHz)"]
    if rtl.get("deadlock"):
        lines.append("RTL deadlock: " + "; ".join(
            f"tile {w['tile']} core {w['core']} waits ({w['op']}"
            + (f" shared-memory word {w['saddr']})" if w.get("saddr") is not None else ")")
            for w in rtl["deadlock"]))
    comparison = report.comparison or {}
    if comparison.get("golden_error"):
        lines.append(comparison["golden_error"])
    against = "the golden node" if k is None else "the all-golden node"
    result = comparison.get("result")
    if result == "mismatch":
        diffs = comparison["differences"]
        lines.append(f"comparison with {against}: MISMATCH; first diverging state: {diffs[0]}")
        lines += [f"  {diff}" for diff in diffs[1:]]
    elif result == "not_compared":
        lines.append(f"comparison with {against}: not compared: {comparison['reason']}")
    elif result == "identical":
        n = len(comparison["compared_counters"])
        partial = comparison.get("reason")
        if k is None:
            lines.append(f"comparison with the golden node: identical state and event counts on "
                         f"all {len(report.tiles)} tiles ({n} counters)")
        else:
            lines.append(f"comparison with the all-golden node: identical; the RTL tile's state "
                         f"and event counters, and every golden tile's state and events "
                         f"({len(report.tiles)} tiles, {n} counters)")
        if partial:
            lines.append(f"  ({partial})")
    return lines


def format_node_run(report, *, notes=True):
    """The text of ``report`` (a :class:`isa.node_run_report.NodeRunReport`)."""
    events = report.events
    lines = _header(report) + _cores(report) + [""]
    mcu_rows = [(f"tile {e['tile']} core {e['core']} MCU {e['mcu']}", e.get("mvm", 0),
                 e.get("mtvm", 0), e.get("opa", 0), e.get("crs", 0))
                for e in events.get("mcu", [])]
    lines += _table("MCU operations", mcu_rows, ("MCU", "MVM", "MTVM", "OPA", "CRS")) + [""]
    lines += _network(report, events)
    lines += ["", f"instructions retired: {events['instructions_total']}; shared-memory word "
                  f"reads/writes: {events.get('smem_reads', 0)}/{events.get('smem_writes', 0)}; "
                  f"ADC conversions: {events['adc_conversions']}", ""]
    breakdown = EnergyModel(report.config).breakdown(dict(events["energy_events"]))
    lines.append("energy / latency (analog_models.energy; latency is a serialised upper bound):")
    lines += ["  " + line for line in breakdown.format().splitlines()]
    if report.sim != "golden":
        lines += ["", "(RTL run: the state and the counts are the RTL's own; the MCU table and "
                      "the routes come from the golden node's run of the same program)"]
        lines += node_rtl_lines(report)
    elif report.message:
        lines += ["", report.message]
    if report.check_note:
        lines += ["", f"check against a float reference: none ({report.check_note})"]
    if notes:
        lines += report.notes
    return "\n".join(lines)
