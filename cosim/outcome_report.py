"""An RTL run as a ``panther.run/1`` report: :class:`isa.run_report.RunReport` of an
:class:`cosim.program_runner.RtlOutcome`, with the comparison against the golden model.

The comparison says ``identical`` only when it compared the whole state and every counter the
RTL has (:func:`cosim.compare.compared_counters`); ``mismatch`` with the differences, first
diverging state first; ``not_compared`` when neither the RTL nor the golden model ran the
program to its end (the RTL at its cycle limit, the golden model at its round limit), where a
difference would only say that they stopped at different points.
"""

from __future__ import annotations

from panther.isa.run_report import RunReport

from .compare import GOLDEN_ONLY, compared_counters

__all__ = ["comparison_json", "run_status", "stop_message", "run_report"]

#: What an ``identical`` comparison covers besides the counters.
COMPARED_STATE = ("status", "fault_code", "pc", "overflow", "register_file", "xbar_in",
                  "xbar_out", "pending_updates", "weights", "slice_digits", "shared_memory")


def comparison_json(outcome):
    """The ``comparison`` object of the report of ``outcome``."""
    dump = outcome.dump
    halted = all(core["status"] == "halted" for core in dump["cores"])
    base = {"reference": "golden", "golden_status": outcome.golden_stopped,
            "golden_error": outcome.golden_error or None,
            "not_compared_counters": dict(sorted(GOLDEN_ONLY.items()))}
    if outcome.both_limits:
        return {**base, "result": "not_compared",
                "reason": f"both stopped before the end of the program: the RTL at its limit of "
                          f"{dump['max_cycles']} cycles (--max-cycles) and the golden model at its "
                          "round limit (--max-rounds)",
                "compared_state": [], "compared_counters": [], "differences": []}
    counters = compared_counters(dump["events"], halted=halted)
    if outcome.diffs:
        return {**base, "result": "mismatch", "reason": None, "compared_state": list(COMPARED_STATE),
                "compared_counters": counters, "differences": list(outcome.diffs)}
    return {**base, "result": "identical",
            "reason": None if halted else "digital counts not compared: a core did not halt",
            "compared_state": list(COMPARED_STATE), "compared_counters": counters,
            "differences": []}


def run_status(outcome):
    """The report status of an RTL run (see :data:`isa.run_report.STATUSES`)."""
    stopped = outcome.stopped
    if stopped == "halted":
        return "error" if any(c["status"] == "error" for c in outcome.dump["cores"]) else "halted"
    if stopped in ("deadlock", "cycle_limit"):
        return stopped
    return "cycle_limit"        # X on the stop outputs: the run never ended visibly


def stop_message(status, dump):
    """What a report says of an RTL run that did not halt (``status`` as :func:`run_status`,
    ``dump`` the RTL dump), or None."""
    if status == "deadlock":
        return "deadlock"
    if status == "cycle_limit":
        return (f"not every core halted within {dump['max_cycles']} cycles (--max-cycles)"
                if dump["stopped"] == "cycle_limit" else dump["stopped"])
    return None


def run_report(outcome, *, mcu_model="exact", program=None):
    """The :class:`isa.run_report.RunReport` of ``outcome`` (its ``image`` must be set)."""
    dump = outcome.dump
    status = run_status(outcome)
    message = stop_message(status, dump)
    rtl = {"simulator": dump["simulator"], "stopped": dump["stopped"],
           "max_cycles": dump["max_cycles"], "deadlock": dump["deadlock"] or [],
           "waves": dump.get("waves"), "analog_transactions": dump["analog_transactions"],
           "sim_cycles": dump.get("sim_cycles"), "bridge_wakeups": dump.get("bridge_wakeups")}
    return RunReport(image=outcome.image, state=outcome.report, sim=dump["simulator"],
                     status=status, message=message, mcu_model=mcu_model, program=program,
                     cycles=dump["cycles"],
                     core_cycles=[core.get("core_cycles") for core in dump["cores"]],
                     rtl=rtl, comparison=comparison_json(outcome))
