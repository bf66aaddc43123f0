"""The RTL back ends of :func:`panther.apps.api.run` for programs that use the node's network:
the whole node in RTL (:mod:`cosim.node_runner`), or one RTL tile among golden ones
(``rtl_tile``, :mod:`cosim.tile_in_loop`). Both return the ``panther.run/1`` report of the
node (:mod:`cosim.node_outcome_report`)."""

from __future__ import annotations

from panther.errors import UserError
from panther.isa.node_image import NodeImage

from .node_outcome_report import node_run_report
from .node_runner import run_node_and_compare
from .program_runner import DEFAULT_MAX_CYCLES
from .tile_in_loop import run_tile_in_loop

__all__ = ["node_rtl_run"]


def node_rtl_run(image, *, simulator, rtl_tile=None, max_cycles=None, max_rounds=None,
                 waves=None, program=None, notes=()):
    """Run ``image`` (a :class:`isa.node_image.NodeImage`) on the node RTL under ``simulator``,
    every tile RTL or only ``rtl_tile``, and compare it with the golden node. Returns a
    :class:`isa.node_run_report.NodeRunReport`."""
    if not isinstance(image, NodeImage):
        image = NodeImage(config=image.config, tiles=[image])
    if waves:
        raise UserError("panther run: --waves is not supported for node programs yet")
    max_cycles = max_cycles or DEFAULT_MAX_CYCLES
    if rtl_tile is None:
        outcome, = run_node_and_compare([image], simulator=simulator, max_cycles=max_cycles,
                                        max_rounds=max_rounds)
    else:
        outcome = run_tile_in_loop(image, rtl_tile, simulator=simulator, max_cycles=max_cycles,
                                   max_rounds=max_rounds)
    return node_run_report(outcome, image, simulator=simulator, max_rounds=max_rounds,
                           program=program, notes=notes)
