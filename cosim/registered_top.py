"""A simulation top level that registers every input of a component once.

Verilator re-evaluates, at every ``eval()`` (twice per clock cycle under cocotb), all logic
that depends combinationally on top-level inputs. Putting one register stage between the
testbench and the design leaves only plain copies in that region, so everything else is
evaluated once per clock edge. Outputs pass straight through. The ``sync`` domain has no
reset (its clock is the ``clk`` port; registers start from their init values), for the same
reason. Used for standalone co-simulation of the MCU; the design itself is unchanged.
"""

from amaranth.hdl import ClockDomain
from amaranth.lib.wiring import In

from panther.hdl.flatten import FlatPorts

__all__ = ["RegisteredInputs"]


class RegisteredInputs(FlatPorts):
    """``inner`` with plain ports (:class:`~panther.hdl.flatten.FlatPorts`) and a one-cycle
    register on each input.

    Parameters
    ----------
    inner : wiring.Component

    Members
    -------
    inner : wiring.Component
    input_latency : int
        Extra cycles every input takes to reach ``inner`` (1).
    clk : In(1)
        Clock of the ``sync`` domain.
    (every port of ``inner``, flattened: same direction, plain shape)
    """

    input_latency = 1

    def extra_members(self):
        return {"clk": In(1)}

    def connect_port(self, m, port, outer, inner):
        if port.flow == In:
            m.d.sync += inner.eq(outer)
        else:
            m.d.comb += outer.eq(inner)

    def elaborate(self, platform):
        m = super().elaborate(platform)
        # Reset-less: registers start from their init values. A synchronous reset from a
        # top-level input would make every register's next-state logic depend on an input,
        # which Verilator then re-evaluates at every eval().
        m.domains.sync = sync = ClockDomain("sync", reset_less=True)
        m.d.comb += sync.clk.eq(self.clk)
        return m
