"""A node RTL run as a ``panther.run/1`` report: :class:`isa.node_run_report.NodeRunReport` of a
:class:`cosim.node_runner.NodeOutcome` (every tile RTL) or a
:class:`cosim.tile_in_loop.LoopOutcome` (one RTL tile among golden ones), with the comparison
against the golden node.

Each RTL tile's state and counts are its own (:func:`cosim.rtl_report.rtl_report`, as for a
tile run); a golden tile of a mixed run is the golden model's state in that run. The
comparison lists every counter it covers, per tile (``tile 1: rf_reads``): on an RTL tile the
counters of :func:`cosim.compare.compared_counters`, on a golden tile of a mixed run every
event count. It says ``identical`` only when the state of every tile and every listed counter
agree; ``not_compared`` when the RTL stopped at its cycle limit and the golden node at its
round limit.
"""

from __future__ import annotations

from panther.isa.golden import GoldenReport
from panther.isa.golden.tile import DEFAULT_MAX_ROUNDS
from panther.isa.node_run_report import NodeRunReport, flat_counters
from panther.isa.run_report import RunReport

from .compare import GOLDEN_ONLY, compared_counters
from .outcome_report import COMPARED_STATE, stop_message
from .rtl_report import rtl_report

__all__ = ["node_run_report", "golden_node_stopped"]


def golden_node_stopped(outcome, max_rounds=None):
    """How the golden node's run of ``outcome`` ended: ``'halted'`` (every core stopped, with
    or without a fault), ``'deadlock'`` or ``'round_limit'``."""
    if not outcome.golden_error:
        return "halted"
    return ("round_limit" if outcome.golden.rounds >= (max_rounds or DEFAULT_MAX_ROUNDS)
            else "deadlock")


def _halted(*cores):
    return all(core["status"] == "halted" for core in cores)


def _tiles(outcome, image, simulator):
    """Per tile: ``(state, core cycles or None, model that ran it, counters compared)``."""
    dump, golden = outcome.dump, outcome.golden
    k = dump.get("rtl_tile")
    rtl_dumps = {k: dump["rtl"]} if k is not None else dict(enumerate(dump["tiles"]))
    out = []
    for t, tile_image in enumerate(image.tiles):
        expected = GoldenReport.from_dict(golden.tiles[t])
        if t in rtl_dumps:
            rtl = rtl_dumps[t]
            halted = _halted(*golden.tiles[t]["cores"], *rtl["cores"])
            out.append((rtl_report(tile_image, rtl, expected),
                        [core.get("core_cycles") for core in rtl["cores"]], simulator,
                        [f"tile {t}: {name}"
                         for name in compared_counters(rtl["events"], halted=halted)]))
        else:                           # a golden tile of a mixed run: its own state and events
            mixed = GoldenReport.from_dict(dump["golden_tiles"][t])
            out.append((mixed, None, "golden", flat_counters(mixed.events, f"tile {t}: ")))
    return out


def _status(outcome, cores):
    stopped = outcome.stopped
    if stopped == "halted":
        return "error" if any(core["status"] == "error" for core in cores) else "halted"
    return stopped if stopped == "deadlock" else "cycle_limit"


def _comparison(outcome, counters, golden_stopped):
    base = {"reference": "golden", "golden_status": golden_stopped,
            "golden_error": outcome.golden_error or None,
            "not_compared_counters": dict(sorted(GOLDEN_ONLY.items()))}
    if outcome.stopped == "cycle_limit" and golden_stopped == "round_limit":
        return {**base, "result": "not_compared",
                "reason": f"both stopped before the end of the program: the RTL at its limit of "
                          f"{outcome.dump['max_cycles']} cycles (--max-cycles) and the golden node "
                          "at its round limit (--max-rounds)",
                "compared_state": [], "compared_counters": [], "differences": []}
    if outcome.diffs:
        return {**base, "result": "mismatch", "reason": None,
                "compared_state": list(COMPARED_STATE), "compared_counters": counters,
                "differences": list(outcome.diffs)}
    halted = outcome.stopped == "halted"
    return {**base, "result": "identical",
            "reason": None if halted else "digital counts not compared: a core did not halt",
            "compared_state": list(COMPARED_STATE), "compared_counters": counters,
            "differences": []}


def node_run_report(outcome, image, *, simulator, max_rounds=None, program=None, notes=()):
    """The :class:`isa.node_run_report.NodeRunReport` of ``outcome``, a run of ``image`` (a
    :class:`isa.node_image.NodeImage`) on ``simulator``."""
    dump = outcome.dump
    tiles = _tiles(outcome, image, simulator)
    cores = [core for state, *_ in tiles for core in state.summaries()]
    status = _status(outcome, cores)
    message = stop_message(status, dump)
    reports = [RunReport(image=tile_image, state=state, sim=sim, status=status,
                         core_cycles=cycles)
               for tile_image, (state, cycles, sim, _) in zip(image.tiles, tiles)]
    rtl_tiles = [t for t, (_, _, sim, _) in enumerate(tiles) if sim != "golden"]
    transactions = {}
    for t in rtl_tiles:
        for kind, n in reports[t].events["analog_transactions"].items():
            transactions[kind] = transactions.get(kind, 0) + n
    waits = [{"tile": w.get("tile", dump.get("rtl_tile")), "core": w["core"], "op": w["op"],
              "saddr": w.get("saddr")} for w in dump.get("deadlock") or []]
    rtl = {"simulator": simulator, "stopped": dump["stopped"], "max_cycles": dump["max_cycles"],
           "deadlock": waits, "waves": None, "analog_transactions": transactions,
           "rtl_tile": dump.get("rtl_tile")}
    counters = [name for *_, names in tiles for name in names]
    comparison = _comparison(outcome, counters, golden_node_stopped(outcome, max_rounds))
    return NodeRunReport(image=image, tiles=reports, noc=outcome.golden.noc, sim=simulator,
                         status=status, tile_sims=[sim for _, _, sim, _ in tiles],
                         message=message, program=program, cycles=dump["cycles"], rtl=rtl,
                         comparison=comparison, notes=notes)
