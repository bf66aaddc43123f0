"""Shared memory, round-robin arbiter and deadlock detector: the tile without its cores."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .arbiter import Arbiter
from .deadlock import DeadlockDetector
from .shared_memory import SharedMemory
from .smem_port import COUNT_BITS, core_port_members

__all__ = ["SharedMemorySystem"]


class SharedMemorySystem(wiring.Component):
    """The tile's shared memory as the cores see it: one port per core, served round robin.

    Parameters
    ----------
    config : PantherConfig
    n_ports : int
        Cores (default ``config.cores_per_tile``).

    Members
    -------
    port0 .. port<n-1> : In(SharedMemoryPortSignature)
        The cores' ports (see :mod:`hdl.tile.smem_port`).
    halted : In(n_ports)
        Per core: stopped (for the deadlock detector).
    deadlock : Out(1)
    stuck : Out(n_ports)
        Cores caught in the deadlock (see :class:`~hdl.tile.deadlock.DeadlockDetector`).
    host_addr, host_we, host_wvalue, host_wvalid, host_wcount, host_rvalue, host_rvalid, host_rcount
        Host port of :class:`~hdl.tile.shared_memory.SharedMemory` (read latency 1).
    accesses : Out(n_ports)
        Per-core strobe: a word access completed this cycle.
    """

    def __init__(self, *, config, n_ports=None):
        n_ports, members = core_port_members(config, n_ports)
        self.config = config
        self.n_ports = n_ports
        a, d = config.SMEM_ADDR_BITS, config.data_bits
        members.update({
            "halted": In(n_ports), "deadlock": Out(1), "stuck": Out(n_ports),
            "accesses": Out(n_ports),
            "host_addr": In(a), "host_we": In(1), "host_wvalue": In(d), "host_wvalid": In(1),
            "host_wcount": In(COUNT_BITS),
            "host_rvalue": Out(d), "host_rvalid": Out(1), "host_rcount": Out(COUNT_BITS),
        })
        super().__init__(members)

    @property
    def ports(self):
        return [getattr(self, f"port{i}") for i in range(self.n_ports)]

    def elaborate(self, platform):
        m = Module()
        m.submodules.memory = mem = SharedMemory(config=self.config)
        m.submodules.arbiter = arb = Arbiter(config=self.config, n_ports=self.n_ports)
        m.submodules.deadlock = det = DeadlockDetector(n_cores=self.n_ports)
        for i, port in enumerate(self.ports):
            wiring.connect(m, wiring.flipped(port), arb.ports[i])
            m.d.comb += det.req[i].eq(port.req)
        for name in ("start", "write", "addr", "wdata", "count"):
            m.d.comb += getattr(mem, name).eq(getattr(arb, name))
        for name in ("ack", "reject", "rdata"):
            m.d.comb += getattr(arb, name).eq(getattr(mem, name))
        for name in ("host_addr", "host_we", "host_wvalue", "host_wvalid", "host_wcount"):
            m.d.comb += getattr(mem, name).eq(getattr(self, name))
        for name in ("host_rvalue", "host_rvalid", "host_rcount"):
            m.d.comb += getattr(self, name).eq(getattr(mem, name))
        m.d.comb += [
            det.halted.eq(self.halted), det.acked.eq(arb.acked), det.rejected.eq(arb.rejected),
            det.changed.eq(self.host_we), self.deadlock.eq(det.deadlock), self.stuck.eq(det.stuck),
            self.accesses.eq(arb.acked),
        ]
        return m
