"""cocotb driver of a core's host/debug port (see :class:`panther.hdl.ports.DebugPortSignature`),
by its flattened top-level names. The memories are loaded by backdoor
(:mod:`panther.cosim.backdoor`); the tile's shared-memory host port serves the FPGA host."""

from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge, Timer

from panther.fixed_point import wrap
from panther.hdl.ports import DebugPortSignature

__all__ = ["HostPort", "as_int", "as_signed"]


def as_int(value):
    """``int`` of a cocotb value, or None when it holds X/Z bits (uninitialised state)."""
    try:
        return int(value)
    except ValueError:
        return None


def as_signed(value, bits):
    value = as_int(value)
    if value is None:
        return None
    return wrap(value & ((1 << bits) - 1), bits)


class HostPort:
    """One core's host/debug port (``<prefix>req`` ... see
    :class:`panther.hdl.ports.DebugPortSignature`).

    :meth:`write_many` and :meth:`read_many` stream words back to back: the port takes a
    request when none is in flight and acknowledges it exactly
    :attr:`~panther.hdl.ports.DebugPortSignature.latency` (``L``) cycles later, so with
    ``req`` held high a new word can be presented every ``L + 1``-th falling edge; Python
    then wakes once per word (a :class:`~cocotb.triggers.Timer`) instead of ``2 L + 2``
    times (:meth:`access`, which polls ``ack`` every cycle and so works at any latency).

    Members
    -------
    latency : int
        The port's ``DebugPortSignature.latency``.
    """

    latency = DebugPortSignature.latency

    def __init__(self, dut, clock, prefix, *, period_ps):
        self.clock, self.period_ps = clock, period_ps
        self.req, self.space, self.addr, self.we, self.wdata, self.ack, self.rdata = (
            getattr(dut, prefix + n) for n in ("req", "space", "addr", "we", "wdata", "ack", "rdata"))
        self.req.value = 0
        self.we.value = 0

    async def access(self, space, addr, *, wdata=None):
        """One request; returns ``rdata`` (raw unsigned)."""
        await FallingEdge(self.clock)
        self.space.value = int(space)
        self.addr.value = int(addr)
        self.we.value = int(wdata is not None)
        self.wdata.value = int(wdata or 0)
        self.req.value = 1
        while True:
            await RisingEdge(self.clock)
            await ReadOnly()
            if int(self.ack.value):
                value = None if wdata is not None else as_int(self.rdata.value)
                break
        await RisingEdge(self.clock)        # keep the request through its ack cycle
        self.req.value = 0
        self.we.value = 0
        return value

    async def write(self, space, addr, value):
        await self.access(space, addr, wdata=value)

    async def read(self, space, addr):
        return await self.access(space, addr)

    async def write_many(self, space, items):
        """Write ``(addr, value)`` pairs (raw unsigned values), one every ``latency + 1``
        cycles."""
        items = list(items)
        if not items:
            return
        await self._idle_falling_edge()
        self.space.value = int(space)
        self.we.value = 1
        self.req.value = 1
        for addr, value in items:
            self.addr.value = int(addr)
            self.wdata.value = int(value)
            # taken at the next rising edge, acknowledged `latency` edges later
            await Timer((self.latency + 1) * self.period_ps, "ps")
        self.req.value = 0
        self.we.value = 0

    async def read_many(self, space, addrs):
        """``rdata`` (raw unsigned, None for X) of every address, one every ``latency + 1``
        cycles."""
        addrs = [int(a) for a in addrs]
        out = []
        if not addrs:
            return out
        await self._idle_falling_edge()
        self.space.value = int(space)
        self.we.value = 0
        self.req.value = 1
        self.addr.value = addrs[0]
        # `latency` edges after the one that took it: its ack cycle
        await Timer(self.latency * self.period_ps, "ps")
        for k in range(len(addrs)):
            out.append(as_int(self.rdata.value))
            if k + 1 < len(addrs):
                self.addr.value = addrs[k + 1]         # taken at the edge after the next
                await Timer((self.latency + 1) * self.period_ps, "ps")
        self.req.value = 0                             # ack is high: no new request taken
        await Timer(self.period_ps, "ps")              # ... and low after the next edge
        return out

    async def _idle_falling_edge(self):
        """A falling edge where ``ack`` is low, so the request presented there is taken at
        the next rising edge (the streams' fixed timing starts from it). A FallingEdge
        awaited at a falling edge's own time step may fire in that step."""
        await FallingEdge(self.clock)
        while as_int(self.ack.value) != 0:
            await FallingEdge(self.clock)
