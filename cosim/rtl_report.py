"""Reports of RTL runs: the golden-model-shaped report of an RTL dump, and the outcome of one
program (how it stopped, cycles, and the comparison with the golden model) as text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from panther.config import PantherConfig
from panther.isa.events import MCU_EVENTS, energy_events
from panther.isa.golden import GoldenReport

from .compare import GOLDEN_ONLY, compared_counters

__all__ = ["rtl_report", "RtlOutcome"]


def rtl_report(image, dump, golden):
    """A :class:`isa.golden.GoldenReport`-shaped report of an RTL run.

    State, retired instructions, MCU operations, ADC conversions, the digital event counts
    (VFU operations, register-file, XBar-buffer and shared-memory words) and so the energy
    events are the RTL's own (from the dump); only the per-opcode instruction counts and the
    per-MCU operation table are the golden model's for the same program, which the comparison
    checks is the same program run.
    """
    g = golden.to_dict()
    events = json.loads(json.dumps(g["events"]))
    for key, value in dump["events"].items():
        if key == "mcu_totals":
            events["mcu_totals"] = {**events.get("mcu_totals", {}), **value}
        elif key == "mcu":
            # the golden model's per-MCU table with the RTL's own counts where it has them
            rows = {(row["core"], row["mcu"]): row for row in events.get("mcu", [])}
            zero = dict.fromkeys(MCU_EVENTS, 0)
            merged = [{**zero, **rows.get((row["core"], row["mcu"]), {}), **row} for row in value]
            events["mcu"] = [row for row in merged if any(row[name] for name in MCU_EVENTS)]
        elif key != "energy_events":
            events[key] = value
    energy = energy_events(events, PantherConfig.from_dict(g["config"]))
    energy.update(dump["events"]["energy_events"])       # the analog models' own counts
    events["energy_events"] = energy
    return GoldenReport(config=g["config"], rounds=g["rounds"], cores=dump["cores"],
                        smem=dump["smem"], events=events)


@dataclass
class RtlOutcome:
    """The result of one program on the RTL, with the golden comparison.

    Members
    -------
    dump : dict
        The RTL dump (see the module docstring).
    golden : GoldenReport
        The golden model's report (its state when it stopped, if it deadlocked).
    golden_error : str
        The golden model's error message ('' if it completed).
    report : GoldenReport
        :func:`rtl_report` of the dump.
    diffs : list of str
        :func:`compare` (empty when the RTL matches).
    """

    dump: dict
    golden: object
    golden_error: str
    report: object
    diffs: list = field(default_factory=list)

    @property
    def stopped(self):
        """``'halted'``, ``'deadlock'`` or ``'cycle_limit'``."""
        return self.dump["stopped"]

    @property
    def ok(self):
        """Halted like the golden model and the same state."""
        return self.stopped == "halted" and not self.golden_error and not self.diffs

    @property
    def cycles(self):
        return self.dump["cycles"]

    def format(self):
        """Text: how the run stopped, cycles, and the comparison with the golden model."""
        d = self.dump
        lines = [f"RTL ({d['simulator']}): {self.stopped} after {d['cycles']} cycles "
                 f"({d['cycles'] * 1000.0 / d['clock_mhz']:.1f} ns at {d['clock_mhz']:g} MHz), "
                 f"{d['events']['instructions_total']} instructions retired "
                 f"(per core: {', '.join(str(c['instret']) for c in d['cores'])}), "
                 f"{d['events']['adc_conversions']} ADC conversions"]
        if d.get("deadlock"):
            lines.append("RTL deadlock: " + "; ".join(
                f"core {w['core']} waits to {w['op']} shared-memory word {w['saddr']}"
                for w in d["deadlock"]))
        if self.stopped == "cycle_limit":
            lines.append(f"RTL: not every core halted within {d['max_cycles']} cycles "
                         f"(running: {[i for i, c in enumerate(d['cores']) if c['status'] == 'running']})")
        if d.get("waves"):
            lines.append(f"waveforms: {d['waves']}")
        if self.golden_error:        # the golden model's messages name it already
            error = self.golden_error
            lines.append(error if error.startswith("golden model:") else f"golden model: {error}")
        if self.diffs:
            lines.append(f"comparison with the golden model: MISMATCH; first diverging state: "
                         f"{self.diffs[0]}")
            lines += [f"  {diff}" for diff in self.diffs[1:]]
        else:
            halted = all(core["status"] == "halted" for core in d["cores"])
            counted = compared_counters(d["events"], halted=halted)
            lines.append("comparison with the golden model: identical final state (cores, "
                         "register files, XBar buffers, weights and slice digits, shared memory, "
                         f"overflow flags, error codes) and all {len(counted)} event counters "
                         "of the RTL (digital, analog-port transactions, analog energy events, "
                         "per MCU)" + ("" if halted else "; digital counts not compared: a core "
                                       "did not halt"))
            lines.append("golden-model counts the RTL has no counter for (not compared): "
                         + ", ".join(sorted(GOLDEN_ONLY)))
        return "\n".join(lines)
