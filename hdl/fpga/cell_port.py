"""The host's access to single cells of an FPGA digital crossbar (one protocol)."""

from amaranth.hdl import signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.widths import McuWidths

__all__ = ["CellPortSignature"]


class CellPortSignature(wiring.Signature):
    """Host access to single crossbar cells, from the host's side (only served between analog
    transactions).

    The host holds ``req`` with the fields stable until ``ack`` and drops it at the latest in
    the cycle after ``ack`` (the crossbar registers ``req``); ``we`` 1 writes ``wdata``, 0
    reads into ``rdata``.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    req, we : Out(1)
    copy, slice, row, col : Out
        The cell: crossbar copy, slice (0 = LSB slice), row, column.
    wdata : Out(signed(digit_bits))
        Digit to write (truncated to the slice's bits).
    ack : In(1)
        One-cycle pulse: the access is done (``rdata`` valid from then on).
    rdata : In(signed(digit_bits))
    """

    def __init__(self, config):
        w = McuWidths(config)
        self.config = config
        super().__init__({
            "req": Out(1), "we": Out(1), "copy": Out(w.copy_bits),
            "slice": Out(w.slice_index_bits), "row": Out(w.index_bits), "col": Out(w.index_bits),
            "wdata": Out(signed(w.digit_bits)), "ack": In(1), "rdata": In(signed(w.digit_bits)),
        })

    def __eq__(self, other):
        return type(other) is type(self) and other.members == self.members

    def __hash__(self):
        return hash(type(self))

