"""Detects a shared-memory deadlock: every running core waits on a word that cannot change."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["DeadlockDetector"]


class DeadlockDetector(wiring.Component):
    """Raises ``deadlock`` when every core that has not halted waits on shared memory and each
    of them has been rejected since the memory last changed.

    Only an acked access (or a host write) changes the shared memory. Once every running core
    holds a request that was rejected after the last change, none can ever be acked: the
    tile is deadlocked (docs/semantics.md §6) and stays so.

    Parameters
    ----------
    n_cores : int

    Members
    -------
    halted : In(n_cores)
        Per core: stopped (halted or in error).
    req : In(n_cores)
        Per core: shared-memory request pending.
    acked, rejected : In(n_cores)
        Per core: an attempt finished with / without access this cycle.
    changed : In(1)
        The memory was written by someone else (host port).
    deadlock : Out(1)
    stuck : Out(n_cores)
        Per core: rejected since the last change and still requesting.
    """

    def __init__(self, *, n_cores):
        if not (isinstance(n_cores, int) and not isinstance(n_cores, bool) and n_cores >= 1):
            raise ValueError(f"n_cores must be a positive integer, not {n_cores!r}")
        self.n_cores = n_cores
        super().__init__({
            "halted": In(n_cores), "req": In(n_cores), "acked": In(n_cores),
            "rejected": In(n_cores), "changed": In(1),
            "deadlock": Out(1), "stuck": Out(n_cores),
        })

    def elaborate(self, platform):
        m = Module()
        failed = Signal(self.n_cores)
        with m.If(self.acked.any() | self.changed):
            m.d.sync += failed.eq(0)
        with m.Else():
            m.d.sync += failed.eq((failed | self.rejected) & self.req)
        m.d.comb += [
            self.stuck.eq(failed & self.req),
            self.deadlock.eq(~self.halted.all() & (self.halted | (failed & self.req)).all()),
        ]
        return m
