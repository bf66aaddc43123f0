"""Replicated flip-flops: copies of one register, each driving a share of a wide fan-out."""

from amaranth.hdl import Signal

__all__ = ["REPLICA", "replicas"]

#: Attributes of a replicated flip-flop: Yosys keeps the wire, and ``panther fpga``'s script
#: keeps the flip-flop that drives it (:data:`hdl.fpga.build.SCRIPT_AFTER_READ`), so equal
#: replicas are not merged back into one high-fanout net.
REPLICA = {"keep": 1}


def replicas(count, *, name, **kwargs):
    """``count`` one-bit signals ``{name}{i}`` with the :data:`REPLICA` attributes (further
    ``Signal`` keyword arguments: ``kwargs``); the caller assigns them all alike."""
    return [Signal(name=f"{name}{i}", attrs=REPLICA, **kwargs) for i in range(count)]
