"""The execute stage's operand-space port: the port of the unit that owns it, selected by
one-hot ownership flip-flops."""

from amaranth.hdl import Cat, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

from .data_space import DataPortSignature

__all__ = ["OperandPort", "UNITS"]

#: The units that take the port while they run, in the order of ``start``/``end``'s bits;
#: ``own`` (the execute stage itself) has it otherwise.
UNITS = ("transfer", "vector", "network")


class OperandPort(wiring.Component):
    """Hands the operand-space port to the unit that runs.

    A unit owns the port from the cycle after its ``start`` until the cycle of its ``end``
    (``done``, or a fault that ends it) inclusive, i.e. exactly while it is not idle; the
    execute stage (``own``) owns it otherwise. Ownership is one flip-flop per requester
    (``owner``, one-hot), so the address and the data are an AND-OR of the requesters' with
    registered selects: no unit's state decode reaches the XBar buffers' read select and
    write register (issue 20; no cycles). Units run one at a time. A requester asks (``re``,
    ``we``) only while it owns the port, so the enables are the OR of the requesters', with
    no select: a level less on the way from the units' states into the operand space's
    flags (section "dispreq").

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    transfer, vector, network, own : In(DataPortSignature(config))
        The requesters' ports (``re`` and ``we`` 0 while the requester does not own the
        port).
    start, end : In(len(UNITS))
        One bit per unit of :data:`UNITS`: it starts (it owns the port from the next cycle),
        its last cycle.
    port : Out(DataPortSignature(config))
        To the operand space.
    owner : Out(len(UNITS) + 1)
        The ownership flip-flops (one-hot: the units of :data:`UNITS`, then ``own``).
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        port = DataPortSignature(config)
        k = len(UNITS)
        super().__init__({**{name: In(port) for name in (*UNITS, "own")},
                          "start": In(k), "end": In(k), "port": Out(port),
                          "owner": Out(k + 1, init=1 << k)})

    def elaborate(self, platform):
        m = Module()
        k = len(UNITS)
        owner = self.owner
        # Each flip-flop's next value on its own (no clock enable shared by all of them, a
        # LUT after the requesters' `start` and `end`, section "dispreq"): a unit owns from
        # its start until its end; `own` from any end until any start. A unit's start and
        # another's end in one cycle give the starting unit, as before.
        started = self.start.any()
        m.d.sync += [owner[i].eq(self.start[i] | owner[i] & ~self.end[i]) for i in range(k)]
        m.d.sync += owner[k].eq(~started & (owner[k] | self.end.any()))
        ports = [getattr(self, name) for name in (*UNITS, "own")]
        for field in ("addr", "wdata"):
            value = 0
            for i, p in enumerate(ports):
                value = value | (getattr(p, field).as_unsigned() & owner[i].replicate(
                    len(getattr(p, field))))
            m.d.comb += getattr(self.port, field).eq(value)
        for field in ("re", "we"):
            m.d.comb += getattr(self.port, field).eq(Cat(getattr(p, field) for p in ports).any())
        m.d.comb += [p.rdata.eq(self.port.rdata) for p in ports]
        return m
