"""Round-robin arbitration of the cores' shared-memory ports onto one access pipeline."""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import SmemAccessSignature

from .smem_port import core_port_members

__all__ = ["Arbiter"]


class Arbiter(wiring.Component):
    """Starts one :class:`~hdl.tile.shared_memory.SharedMemory` attempt per cycle, round robin.

    Every cycle the arbiter grants the first requesting core at or after its pointer, skipping
    the cores whose attempts are still in flight (one is answered ``latency`` cycles after its
    grant and its core presents its next request in the following cycle). After a grant the
    pointer moves past the granted core. A rejected attempt (word not ready) is simply not acked: its core keeps ``req`` high
    and is tried again on its next turn, so a waiting core never blocks the others.

    Parameters
    ----------
    config : PantherConfig
    n_ports : int
        Cores served (default ``config.cores_per_tile``).
    latency : int
        Cycles from an attempt's start to its answer (the memory's ``latency``).

    Members
    -------
    ports : list of In(SharedMemoryPortSignature)
        One per core (the tile's side of each core's port).
    memory : Out(SmemAccessSignature(config))
        The memory's side (see :class:`~hdl.tile.shared_memory.SharedMemory`).
    who : Out(n_ports)
        One-hot core of the attempt starting in this cycle (the memory's ``who``).
    acks : In(n_ports)
        The memory's ``ack`` per core (its ``acks``): a port's acknowledge.
    acked, rejected : Out(n_ports)
        Per-core strobes: the core's attempt finished in this cycle with / without access.
    """

    def __init__(self, *, config, latency, n_ports=None):
        n_ports, members = core_port_members(config, n_ports)
        if not (isinstance(latency, int) and not isinstance(latency, bool) and latency >= 1):
            raise ValueError(f"latency must be a positive integer, not {latency!r}")
        self.config = config
        self.n_ports = n_ports
        self.latency = latency
        members.update({"memory": Out(SmemAccessSignature(config)), "who": Out(n_ports),
                        "acks": In(n_ports), "acked": Out(n_ports), "rejected": Out(n_ports)})
        super().__init__(members)

    @property
    def ports(self):
        return [getattr(self, f"port{i}") for i in range(self.n_ports)]

    def elaborate(self, platform):
        n = self.n_ports
        ports, mem = self.ports, self.memory
        m = Module()
        id_bits = max(1, (n - 1).bit_length())
        pointer = Signal(id_bits)
        # Per cycle of the memory's latency, the core whose attempt is in flight (one-hot;
        # the last one is answered). A port's acknowledge is the memory's for its core.
        inflight = [Signal(n, name=f"inflight{k}") for k in range(self.latency)]

        # Answer the attempt in flight.
        for i, port in enumerate(ports):
            mine = inflight[-1][i]
            m.d.comb += [
                port.rdata.eq(mem.rdata),
                port.ack.eq(self.acks[i]),
                self.acked[i].eq(self.acks[i]),
                self.rejected[i].eq(mine & mem.reject),
            ]

        # Grant the next candidate, round robin from the pointer.
        candidate = Signal(n)
        for i, port in enumerate(ports):
            busy = Cat(*(inflight[k][i] for k in range(self.latency))).any()
            m.d.comb += candidate[i].eq(port.req & ~busy)
        grant = Signal(id_bits)
        granted = Signal()
        m.d.comb += granted.eq(candidate.any())
        with m.Switch(pointer):
            for p in range(n):
                with m.Case(p):
                    order = [(p + k) % n for k in range(n)]
                    for k, i in enumerate(order):
                        cond = candidate[i]
                        with (m.If(cond) if k == 0 else m.Elif(cond)):
                            m.d.comb += grant.eq(i)
        with m.Switch(grant):
            for i, port in enumerate(ports):
                with m.Case(i):
                    m.d.comb += [mem.write.eq(port.write), mem.addr.eq(port.addr),
                                 mem.wdata.eq(port.wdata), mem.count.eq(port.count)]
        m.d.comb += mem.start.eq(granted)
        m.d.comb += self.who.eq(Mux(granted, 1 << grant, 0))
        m.d.sync += inflight[0].eq(self.who)
        for k in range(1, self.latency):
            m.d.sync += inflight[k].eq(inflight[k - 1])
        with m.If(granted):
            m.d.sync += pointer.eq(_next_index(grant, n))
        return m


def _next_index(value, n):
    """``(value + 1) % n`` for a signal holding ``0 .. n-1``."""
    return Mux(value == n - 1, 0, value + 1)
