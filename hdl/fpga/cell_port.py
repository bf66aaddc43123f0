"""The host's access to single cells of an FPGA digital crossbar (one protocol)."""

from types import SimpleNamespace

from amaranth.hdl import Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu.replica import REPLICA
from panther.hdl.widths import McuWidths

__all__ = ["CellPortSignature", "register_cell_request"]


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


def register_cell_request(m, cells, widths, capture):
    """Registers of a host access on ``cells`` (the crossbar's side of a
    :class:`CellPortSignature`), loaded in the cycles ``capture`` is high (the host holds its
    fields until ``ack``), so that the host bus's decode reaches no cell RAM path.

    Returns a namespace: ``ck`` (the cell's row as an index into the read rows, ordered copy,
    slice), ``wdata``, ``we``, ``row``, ``col`` (one-hot), ``wen[c][k]`` (write copy ``c``'s
    slice ``k``), ``wdata_ck[c][k]`` (copies of ``wdata``, one per copy and slice: each
    drives one RAM's write data only).
    """
    w = widths
    n, S, C = w.n, w.slices, w.copies
    q = SimpleNamespace(ck=Signal(range(max(C * S, 2)), name="h_ck"),
                        wdata=Signal(signed(w.digit_bits), name="h_wdata"),
                        wdata_ck=[[Signal(signed(w.digit_bits), name=f"h_wdata_{c}_{k}",
                                          attrs=REPLICA, reset_less=True) for k in range(S)] for c in range(C)],
                        we=Signal(name="h_we"), row=Signal(w.index_bits, name="h_row"),
                        col=Signal(n, name="h_col"),
                        wen=[[Signal(name=f"h_wen_{c}_{k}") for k in range(S)]
                             for c in range(C)])
    with m.If(capture):
        m.d.sync += [q.ck.eq(cells.copy * S + cells.slice),
                     q.wdata.eq(cells.wdata), q.we.eq(cells.we), q.row.eq(cells.row),
                     q.col.eq(1 << cells.col)]
        m.d.sync += [q.wen[c][k].eq(cells.we & (cells.copy == c) & (cells.slice == k))
                     for c in range(C) for k in range(S)]
        m.d.sync += [r.eq(cells.wdata) for rs in q.wdata_ck for r in rs]
    return q
