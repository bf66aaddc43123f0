"""``panther run --sim verilator|icarus`` for programs that use the node's network: the whole
node in RTL (:mod:`cosim.node_runner`), or one RTL tile among golden ones (``--rtl-tile K``,
:mod:`cosim.tile_in_loop`)."""

from __future__ import annotations

from panther.errors import UserError
from panther.isa.golden import NodeReport

from .program_runner import DEFAULT_MAX_CYCLES

__all__ = ["NodeRunReport", "node_backend"]


class NodeRunReport(NodeReport):
    """The golden node's report of a program, with the RTL run's outcome: ``ok`` also needs
    the RTL to have halted in the same state; :meth:`extra_text` gives the comparison.

    Members
    -------
    outcome : cosim.node_runner.NodeOutcome or cosim.tile_in_loop.LoopOutcome
    """

    outcome = None

    @classmethod
    def from_outcome(cls, outcome):
        base = outcome.golden
        report = cls(config=base.config, rounds=base.rounds, tiles=base.tiles, noc=base.noc,
                     events=base.events)
        report.outcome = outcome
        return report

    @property
    def ok(self):
        return self.outcome.ok and super().ok

    def extra_text(self):
        return ("(the tables above are the golden node's run of the program; the RTL run is "
                "compared with it below)\n" + self.outcome.format())

    def to_dict(self):
        data = super().to_dict()
        data["rtl"] = {"simulator": self.outcome.dump["simulator"],
                       "stopped": self.outcome.dump["stopped"],
                       "cycles": self.outcome.dump["cycles"], "mismatches": self.outcome.diffs}
        return data


def node_backend(simulator):
    """The back end of a node program on ``simulator``: every tile RTL, or ``args.rtl_tile``
    alone RTL."""

    def backend(image, args):
        from panther.isa.node_image import NodeImage

        if not isinstance(image, NodeImage):
            image = NodeImage(config=image.config, tiles=[image])
        if getattr(args, "waves", None):
            raise UserError("panther run: --waves is not supported for node programs yet")
        max_cycles = getattr(args, "max_cycles", None) or DEFAULT_MAX_CYCLES
        rtl_tile = getattr(args, "rtl_tile", None)
        if rtl_tile is None:
            from .node_runner import run_node_and_compare

            outcome, = run_node_and_compare([image], simulator=simulator, max_cycles=max_cycles,
                                            max_rounds=getattr(args, "max_rounds", None))
        else:
            from .tile_in_loop import run_tile_in_loop

            outcome = run_tile_in_loop(image, rtl_tile, simulator=simulator,
                                       max_cycles=max_cycles,
                                       max_rounds=getattr(args, "max_rounds", None))
        return NodeRunReport.from_outcome(outcome)

    backend.__name__ = f"node_{simulator}"
    return backend
