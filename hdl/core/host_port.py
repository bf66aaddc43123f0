"""The host/debug port of a core (program loading, state dump, status)."""

from amaranth.hdl import unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.isa.table import INSTR_BITS

from .constants import DebugSpace

__all__ = ["DebugPortSignature", "DBG_ADDR_BITS", "DBG_DATA_BITS"]

#: Address width (enough for a 65536-word instruction memory and the 14-bit operand space).
DBG_ADDR_BITS = 16
#: Data width (one instruction word).
DBG_DATA_BITS = INSTR_BITS


class DebugPortSignature(wiring.Signature):
    """Host/debug port, from the host's side (the core has ``In(DebugPortSignature())``).

    Protocol (as the shared-memory port): the host raises ``req`` with ``space``, ``addr``,
    ``we`` and ``wdata`` stable and holds it until a cycle with ``ack = 1`` (one cycle after
    the request is taken); ``rdata`` is valid in that cycle. The host may present the next
    request in the cycle after ``ack``.

    * ``IMEM``: any time (a write while running changes the program under the core's feet).
    * ``DATA``: register file and XBar buffers, only while the core is not running (while it
      runs the request is acknowledged with ``rdata = 0`` and a write is dropped); data words
      are sign-extended in ``rdata``.
    * ``STATUS``: :class:`hdl.core.constants.StatusReg`; ``PROG_LEN`` is writable.

    Members
    -------
    req : Out(1)
    space : Out(DebugSpace)
    addr : Out(DBG_ADDR_BITS)
    we : Out(1)
    wdata : Out(DBG_DATA_BITS)
    ack : In(1)
    rdata : In(DBG_DATA_BITS)
    """

    def __init__(self):
        super().__init__({"req": Out(1), "space": Out(DebugSpace), "addr": Out(DBG_ADDR_BITS),
                          "we": Out(1), "wdata": Out(DBG_DATA_BITS), "ack": In(1),
                          "rdata": In(unsigned(DBG_DATA_BITS))})
