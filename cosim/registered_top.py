"""A simulation top level that registers every input of a component once.

Verilator re-evaluates, at every ``eval()`` (twice per clock cycle under cocotb), all logic
that depends combinationally on top-level inputs. Putting one register stage between the
testbench and the design leaves only plain copies in that region, so everything else is
evaluated once per clock edge. Outputs pass straight through. The ``sync`` domain has no
reset (its clock is the ``clk`` port; registers start from their init values), for the same
reason. Used for standalone
co-simulation of the MCU; the design itself is unchanged.
"""

from amaranth.hdl import ClockDomain, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

__all__ = ["RegisteredInputs"]


class RegisteredInputs(wiring.Component):
    """``inner`` with a one-cycle register on each of its (flat) input ports.

    Parameters
    ----------
    inner : wiring.Component
        A component whose signature has only plain (non-nested) members.

    Members
    -------
    inner : wiring.Component
    input_latency : int
        Extra cycles every input takes to reach ``inner`` (1).
    clk : In(1)
        Clock of the ``sync`` domain.
    (every member of ``inner.signature``, same direction and shape)
    """

    input_latency = 1

    def __init__(self, inner):
        if not isinstance(inner, wiring.Component):
            self._MustUse__silence = True
            raise TypeError(f"inner must be an Amaranth wiring.Component, not {inner!r}")
        self.inner = inner
        members = dict(inner.signature.members)
        for name, member in members.items():
            if not member.is_port:
                inner._MustUse__silence = self._MustUse__silence = True
                raise TypeError(f"member {name!r} of {inner!r} is not a plain port")
        if "clk" in members:
            inner._MustUse__silence = self._MustUse__silence = True
            raise TypeError(f"{inner!r} already has a member named 'clk'")
        super().__init__({"clk": In(1), **members})

    def elaborate(self, platform):
        m = Module()
        # Reset-less: registers start from their init values. A synchronous reset from a
        # top-level input would make every register's next-state logic depend on an input,
        # which Verilator then re-evaluates at every eval().
        m.domains.sync = sync = ClockDomain("sync", reset_less=True)
        m.d.comb += sync.clk.eq(self.clk)
        m.submodules.inner = self.inner
        for name, member in self.inner.signature.members.items():
            outer, inner = getattr(self, name), getattr(self.inner, name)
            if member.flow == In:
                m.d.sync += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        return m
