"""The tile side of the cores' shared-memory ports (the signature is
:class:`panther.hdl.ports.SharedMemoryPortSignature`; see ``docs/tile.md``)."""

from amaranth.lib.wiring import In

from panther.config import PantherConfig
from panther.hdl.ports import SharedMemoryPortSignature

__all__ = ["core_port_members"]


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
