"""The RTL back ends of :func:`panther.apps.api.run` (``panther run --sim verilator|icarus``).

:func:`rtl_run` runs one image on the tile RTL (:mod:`cosim.program_runner`), runs the golden
model on the same image and returns the ``panther.run/1`` report of the RTL's final state
with the comparison (:mod:`cosim.outcome_report`).
"""

from __future__ import annotations

from panther.isa.golden.analog_mcu import analog_mcu_factory

from .outcome_report import run_report
from .program_runner import DEFAULT_MAX_CYCLES, run_and_compare

__all__ = ["rtl_run", "DEFAULT_MAX_CYCLES"]


def rtl_run(image, *, simulator, mcu="exact", max_cycles=None, max_rounds=None, waves=None,
            program=None):
    """Run ``image`` on the tile RTL under ``simulator`` (``'verilator'`` or ``'icarus'``) and
    compare it with the golden model (``mcu``: ``'exact'`` or ``'analog'``).

    ``waves``: None (no recording) or the waveform file (VCD or FST by its suffix). Returns a
    :class:`isa.run_report.RunReport`.
    """
    factory = analog_mcu_factory if mcu == "analog" else None
    outcome, = run_and_compare([image], simulator=simulator, waves=waves is not None,
                               waves_file=waves or None,
                               max_cycles=max_cycles or DEFAULT_MAX_CYCLES,
                               golden_factory=factory, max_rounds=max_rounds)
    return run_report(outcome, mcu_model=mcu, program=program)
