"""Reports of RTL runs: the golden-model-shaped report of an RTL dump, and the outcome of one
program (how it stopped, cycles, and the comparison with the golden model) as text."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from panther.config import PantherConfig
from panther.isa.events import MCU_EVENTS, energy_events
from panther.isa.golden import GoldenReport
from panther.isa.run_text import rtl_lines

from .outcome_report import run_report

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
    golden_stopped : str
        How the golden model's run ended: ``'halted'`` (every core stopped, with or without
        a fault), ``'deadlock'`` or ``'round_limit'``.
    image : ProgramImage or None
        The program that ran.
    """

    dump: dict
    golden: object
    golden_error: str
    report: object
    diffs: list = field(default_factory=list)
    golden_stopped: str = "halted"
    image: object = None

    @property
    def stopped(self):
        """``'halted'``, ``'deadlock'`` or ``'cycle_limit'``."""
        return self.dump["stopped"]

    @property
    def both_limits(self):
        """The RTL reached its cycle limit and the golden model its round limit: neither ran
        the program to its end, so their states are not compared."""
        return self.stopped == "cycle_limit" and self.golden_stopped == "round_limit"

    @property
    def ok(self):
        """Halted like the golden model and the same state."""
        return self.stopped == "halted" and not self.golden_error and not self.diffs

    @property
    def cycles(self):
        return self.dump["cycles"]

    def format(self):
        """Text: how the run stopped, cycles, and the comparison with the golden model."""
        return "\n".join(rtl_lines(run_report(self)))
