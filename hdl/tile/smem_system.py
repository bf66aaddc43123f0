"""Shared memory, round-robin arbiter and deadlock detector: the tile without its cores."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu.replica import REPLICA
from panther.hdl.ports import SmemHostSignature

from .arbiter import Arbiter
from .deadlock import DeadlockDetector
from .shared_memory import SharedMemory
from .smem_port import core_port_members

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
    host : In(SmemHostSignature(config))
        Host port of :class:`~hdl.tile.shared_memory.SharedMemory` (read latency 1).
    accesses : Out(n_ports)
        Per-core strobe: a word access completed this cycle.
    """

    def __init__(self, *, config, n_ports=None):
        n_ports, members = core_port_members(config, n_ports)
        self.config = config
        self.n_ports = n_ports
        members.update({
            "halted": In(n_ports), "deadlock": Out(1), "stuck": Out(n_ports),
            "accesses": Out(n_ports), "host": In(SmemHostSignature(config)),
        })
        super().__init__(members)

    @property
    def ports(self):
        return [getattr(self, f"port{i}") for i in range(self.n_ports)]

    def elaborate(self, platform):
        m = Module()
        m.submodules.memory = mem = SharedMemory(config=self.config,
                                                 n_requesters=self.n_ports)
        m.submodules.arbiter = arb = Arbiter(config=self.config, n_ports=self.n_ports,
                                             latency=mem.latency)
        m.submodules.deadlock = det = DeadlockDetector(n_cores=self.n_ports)
        for i, port in enumerate(self.ports):
            wiring.connect(m, wiring.flipped(port), arb.ports[i])
            m.d.comb += [det.req[i].eq(port.req), mem.addrs[i].eq(port.addr)]
        wiring.connect(m, arb.memory, mem.access)
        m.d.comb += [mem.who.eq(arb.who), arb.acks.eq(mem.acks)]
        wiring.connect(m, wiring.flipped(self.host), mem.host)
        # A host write lands a cycle after `we` (SharedMemory): the memory changes in that
        # cycle, and the detector forgets the rejects up to it from `we` on.
        # REPLICA: kept apart from the memory's own copy (`h_we`), which stays by the memory.
        host_we_r = Signal(name="host_we_r", attrs=REPLICA)
        m.d.sync += host_we_r.eq(self.host.we)
        m.d.comb += [
            det.halted.eq(self.halted), det.acked.eq(arb.acked), det.rejected.eq(arb.rejected),
            det.changed.eq(self.host.we | host_we_r), self.deadlock.eq(det.deadlock),
            self.stuck.eq(det.stuck),
            self.accesses.eq(arb.acked),
        ]
        return m
