"""The shared-memory port between a core and its tile (see ``docs/tile.md``)."""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig

__all__ = ["SharedMemoryPortSignature", "COUNT_BITS", "core_port_members"]

#: Width of a shared-memory word's consumer counter (and of a store's ``count``).
COUNT_BITS = 8


class SharedMemoryPortSignature(wiring.Signature):
    """One core's word port into the tile's shared memory, from the core's side.

    Protocol: the core raises ``req`` and holds it, with every other output unchanged, until
    a cycle with ``ack = 1``; it may present its next word's request in the following cycle.
    A word that is not ready (``ld``: invalid; ``st``: still valid) is simply not acked; the
    tile keeps serving the other cores round-robin, so a waiting core never blocks the others.
    Synchronisation rules: ``docs/semantics.md`` §6.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    req : Out(1)
        A word access is requested; the fields below are stable while ``req`` is high.
    write : Out(1)
        1 = ``st`` (store), 0 = ``ld`` (load).
    addr : Out(config.SMEM_ADDR_BITS)
        Word address (must be below ``config.smem_depth``).
    wdata : Out(config.data_bits)
        Store data.
    count : Out(COUNT_BITS)
        Consumer count of a store.
    ack : In(1)
        The access completed in this cycle (store written / load's ``rdata`` valid now).
    rdata : In(config.data_bits)
        Load data, valid in the cycle of ``ack``.
    """

    def __init__(self, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({
            "req": Out(1),
            "write": Out(1),
            "addr": Out(config.SMEM_ADDR_BITS),
            "wdata": Out(config.data_bits),
            "count": Out(COUNT_BITS),
            "ack": In(1),
            "rdata": In(config.data_bits),
        })

    def __eq__(self, other):
        return (type(other) is type(self) and other.config.SMEM_ADDR_BITS == self.config.SMEM_ADDR_BITS
                and other.config.data_bits == self.config.data_bits)

    def __repr__(self):
        return f"SharedMemoryPortSignature(data_bits={self.config.data_bits})"


def core_port_members(config, n_ports):
    """Validate a tile-side component's port count and build its ``port<i>`` members.

    Returns ``(n_ports, members)``: ``n_ports`` defaults to ``config.cores_per_tile``, and
    ``members`` maps ``port0 .. port<n-1>`` to flipped :class:`SharedMemoryPortSignature`.
    """
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    n_ports = config.cores_per_tile if n_ports is None else n_ports
    if not (isinstance(n_ports, int) and not isinstance(n_ports, bool) and n_ports >= 1):
        raise ValueError(f"n_ports must be a positive integer, not {n_ports!r}")
    return n_ports, {f"port{i}": In(SharedMemoryPortSignature(config)) for i in range(n_ports)}
