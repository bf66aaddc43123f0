"""The readable text of a :class:`isa.run_report.RunReport` (what ``panther run`` prints).

It reads the report's fields directly: nothing of the final state is copied or converted
except what is printed.
"""

from __future__ import annotations

import textwrap

__all__ = ["format_run", "rtl_lines", "table"]


def table(title, rows, headers):
    """Lines of a plain table: the first column left-aligned, the others right-aligned."""
    if not rows:
        return [f"{title}: none"]
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]

    def line(values):
        return "  " + "  ".join(str(v).rjust(w) if i else str(v).ljust(w)
                                for i, (v, w) in enumerate(zip(values, widths)))
    return [title + ":", line(headers)] + [line(r) for r in rows]


def _header(report):
    c = report.config
    slicing = "".join(str(b) for b in c.slice_bits)
    title = report.program or "program"
    return [f"{title} on the {report.sim} model: {c.cores_per_tile} cores x "
            f"{c.mcus_per_core} MCUs, {c.xbar_size}x{c.xbar_size} crossbars, "
            f"slices {slicing}, variant {c.variant}, "
            f"Q{c.data_bits - c.data_frac_bits}.{c.data_frac_bits} data"]


def _state_tables(report):
    state = report.state
    events = state.events
    lines = [f"scheduling rounds: {state.rounds}" if report.sim == "golden"
             else f"golden model's scheduling rounds: {state.rounds}", ""]
    rows = []
    for core in report.cores:
        status = core["status"] if core["status"] != "error" else f"error {core['fault']}"
        cycles = "-" if core["cycles"] is None else core["cycles"]
        rows.append((f"core {core['core']}", status, core["pc"], core["instructions"], cycles,
                     "yes" if core["overflow"] else "no"))
    lines += table("cores", rows, ("core", "status", "pc", "instructions", "cycles", "overflow"))
    lines += [f"  {core['fault_message']}" for core in report.cores if core["fault_message"]]
    lines.append("")
    lines += table(f"instructions ({events['instructions_total']} retired)",
                   sorted(events["instructions"].items()), ("opcode", "count"))
    lines.append("")
    mcu_rows = [(f"core {e['core']} MCU {e['mcu']}", e["mvm"], e["mtvm"], e["opa"], e["crs"])
                for e in events["mcu"]]
    lines += table("MCU operations", mcu_rows, ("MCU", "MVM", "MTVM", "OPA", "CRS"))
    lines.append("")
    counts = [("ADC conversions", events["adc_conversions"]),
              ("VFU element ops", events.get("vfu_ops", 0)),
              ("alu_int ops", events.get("alu_int_ops", 0)),
              ("RF word reads/writes", f"{events.get('rf_reads', 0)}/{events.get('rf_writes', 0)}"),
              ("XBarIn word reads/writes",
               f"{events.get('xbar_in_reads', 0)}/{events.get('xbar_in_writes', 0)}"),
              ("XBarOut word reads/writes",
               f"{events.get('xbar_out_reads', 0)}/{events.get('xbar_out_writes', 0)}"),
              ("shared-memory word reads/writes",
               f"{events.get('smem_reads', 0)}/{events.get('smem_writes', 0)}")]
    lines += table("events", counts, ("event", "count"))
    if report.sim != "golden":
        lines += textwrap.wrap(
            "(RTL run: the events and the energy table are counted by the RTL and its analog "
            "models; only the per-opcode and per-MCU tables come from the golden model's run "
            "of the same program, which the comparison below checks ends in the same state "
            "with the same totals.)",
            width=94, initial_indent="  ", subsequent_indent="   ")
    return lines


def _energy(report):
    from panther.analog_models.energy import EnergyModel

    breakdown = EnergyModel(report.config).breakdown(dict(report.state.events["energy_events"]))
    lines = ["energy / latency (analog_models.energy; latency is a serialised upper bound):"]
    return lines + ["  " + line for line in breakdown.format().splitlines()]


def rtl_lines(report):
    """How an RTL run stopped, its cycles and its comparison with the golden model."""
    rtl, events = report.rtl or {}, report.state.events
    c = report.config
    cycles = report.cycles if report.cycles is not None else 0
    what = {"halted": "halted", "error": "halted", "deadlock": "deadlock",
            "cycle_limit": "cycle_limit"}.get(report.status, report.status)
    per_core = ", ".join(str(core["instructions"]) for core in report.cores)
    lines = [f"RTL ({report.sim}): {what} after {cycles} cycles "
             f"({cycles * 1000.0 / c.clock_mhz:.1f} ns at {c.clock_mhz:g} MHz), "
             f"{events['instructions_total']} instructions retired (per core: {per_core}), "
             f"{events['adc_conversions']} ADC conversions"]
    if rtl.get("deadlock"):
        lines.append("RTL deadlock: " + "; ".join(
            f"core {w['core']} waits to {w['op']} shared-memory word {w['saddr']}"
            for w in rtl["deadlock"]))
    if report.status == "cycle_limit":
        running = [core["core"] for core in report.cores if core["status"] == "running"]
        lines.append(f"RTL: not every core halted within {rtl.get('max_cycles')} cycles "
                     f"(running: {running})")
    if rtl.get("waves"):
        lines.append(f"waveforms: {rtl['waves']}")
    comparison = report.comparison or {}
    golden_error = comparison.get("golden_error")
    if golden_error:        # the golden model's messages name it already
        lines.append(golden_error if golden_error.startswith("golden model:")
                     else f"golden model: {golden_error}")
    result = comparison.get("result")
    if result == "mismatch":
        diffs = comparison["differences"]
        lines.append(f"comparison with the golden model: MISMATCH; first diverging state: "
                     f"{diffs[0]}")
        lines += [f"  {diff}" for diff in diffs[1:]]
    elif result == "not_compared":
        lines.append(f"comparison with the golden model: not compared: {comparison['reason']}")
    elif result == "identical":
        counted = comparison["compared_counters"]
        partial = comparison.get("reason")
        lines.append("comparison with the golden model: identical final state (cores, "
                     "register files, XBar buffers, weights and slice digits, shared memory, "
                     f"overflow flags, error codes) and all {len(counted)} event counters "
                     "of the RTL (digital, analog-port transactions, analog energy events, "
                     "per MCU)" + (f"; {partial}" if partial else ""))
        lines.append("golden-model counts the RTL has no counter for (not compared): "
                     + ", ".join(sorted(comparison["not_compared_counters"])))
    return lines


def format_run(report, *, notes=True):
    """The text of ``report`` (a :class:`isa.run_report.RunReport`)."""
    lines = _header(report) + _state_tables(report) + [""] + _energy(report) + [""]
    flags = ", ".join(f"core {core['core']}: {'SET' if core['overflow'] else 'clear'}"
                      for core in report.cores)
    lines.append(f"overflow flags: {flags}")
    if report.sim != "golden":
        lines += [""] + rtl_lines(report)
    elif report.message:
        lines += ["", report.message]
    if report.check is not None:
        lines += ["", report.check.format()]
    elif report.check_note:
        lines += ["", f"check against a float reference: none ({report.check_note})"]
    if notes:
        lines += report.notes
    return "\n".join(lines)
