"""``panther run --sim verilator|icarus``: the RTL back ends of :mod:`panther.apps.commands.run`.

A back end is ``f(image, args) -> report``: it runs the image on the tile RTL
(:mod:`cosim.program_runner`), runs the golden model on the same image and returns an
:class:`RtlRunReport`, a :class:`isa.golden.GoldenReport` of the RTL's final state whose
``ok`` also requires the golden comparison to pass, and whose :meth:`RtlRunReport.extra_text`
gives the cycles and the comparison (printed by ``panther run`` after the common report).
"""

from __future__ import annotations

from panther.isa.golden import GoldenReport
from panther.isa.golden.analog_mcu import analog_mcu_factory

from .program_runner import DEFAULT_MAX_CYCLES, run_and_compare

__all__ = ["RtlRunReport", "rtl_backend"]


class RtlRunReport(GoldenReport):
    """The report of one RTL run (see the module docstring).

    Members
    -------
    outcome : cosim.program_runner.RtlOutcome
    """

    outcome = None

    @classmethod
    def from_outcome(cls, outcome):
        base = outcome.report
        report = cls(config=base.config, rounds=base.rounds, cores=base.cores, smem=base.smem,
                     events=base.events)
        report.outcome = outcome
        return report

    @property
    def ok(self):
        return self.outcome.ok and super().ok

    def extra_text(self):
        """Cycles, instructions, how the run stopped and the golden comparison."""
        return self.outcome.format()

    def to_dict(self):
        data = super().to_dict()
        dump = self.outcome.dump
        data["rtl"] = {"simulator": dump["simulator"], "stopped": dump["stopped"],
                       "cycles": dump["cycles"], "deadlock": dump["deadlock"],
                       "analog_transactions": dump["analog_transactions"],
                       "golden_error": self.outcome.golden_error,
                       "mismatches": self.outcome.diffs}
        return data


def rtl_backend(simulator):
    """The ``panther run`` back end for ``simulator`` (``'verilator'`` or ``'icarus'``)."""

    def backend(image, args):
        factory = analog_mcu_factory if getattr(args, "mcu", "exact") == "analog" else None
        max_cycles = getattr(args, "max_cycles", None) or DEFAULT_MAX_CYCLES
        waves = getattr(args, "waves", None)
        outcome, = run_and_compare([image], simulator=simulator, waves=bool(waves),
                                   waves_file=waves or None, max_cycles=max_cycles,
                                   golden_factory=factory,
                                   max_rounds=getattr(args, "max_rounds", None))
        return RtlRunReport.from_outcome(outcome)

    backend.__name__ = f"rtl_{simulator}"
    return backend
