"""XBarIn / XBarOut: the MCU's operand and result registers (one data word per row / column)."""

from amaranth.hdl import Array, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import XBarBufferSignature
from panther.hdl.widths import McuWidths

__all__ = ["XBarBuffer", "XBarIn", "XBarOut"]


class XBarBuffer(wiring.Component):
    """A bank of ``xbar_size`` data-word registers.

    The core reads and writes it through a simple port (synchronous read: ``core.r_data``
    shows the word ``core.addr`` addressed in the previous cycle; a write goes to
    ``core.w_addr``). The MCU reads every word at once
    (``words``, snapshotted by the input drivers when an operation starts) and writes the
    results of a shift-and-add unit ``lanes`` words per cycle (``res_*``); a result write wins
    over a core write in the same cycle (the core must not write while the MCU is busy anyway).

    Parameters
    ----------
    config : PantherConfig
        Architecture parameters (``xbar_size``, ``data_bits``, ``adcs_per_xbar``).

    Members
    -------
    core : In(XBarBufferSignature(config))
        Core port.
    words : Out(xbar_size * data_bits)
        Every word, combinationally (word ``i`` at bit ``i * data_bits``).
    res_en : In(1)
    res_round : In(round_bits)
        Writes ``res_data[l]`` to word ``res_round * lanes + l``.
    res_data : In(ArrayLayout(signed(data_bits), lanes))
    latency : int
        Core read latency in cycles (1).
    """

    latency = 1
    GROUP = 16      # words per group of the read port's first selection

    def __init__(self, *, config):
        self.widths = w = McuWidths(config)
        word = signed(w.data_bits)
        super().__init__({
            "core": In(XBarBufferSignature(config)),
            "words": Out(w.n * w.data_bits),
            "res_en": In(1),
            "res_round": In(w.round_bits),
            "res_data": In(data.ArrayLayout(word, w.lanes)),
        })

    def elaborate(self, platform):
        w = self.widths
        db, lanes = w.data_bits, w.lanes
        m = Module()
        # One wide register (what the drivers snapshot and a testbench reads directly),
        # written one row of `lanes` words (a result) or one word (the core) per cycle.
        # For simulation speed in Verilator: each word's enable is a single comparison with
        # `row` (which is out of range when nothing writes), the data is shared, and the read
        # port selects a group of `GROUP` words, then the word (no shift of the whole vector).
        store = Signal(w.n * db)
        m.d.comb += self.words.eq(store)
        lane_bits = (lanes - 1).bit_length()
        row = Signal(range(w.rounds + 1))
        row_data = Signal(data.ArrayLayout(signed(db), lanes))
        lane_en = Signal(lanes)
        with m.If(self.res_en):
            m.d.comb += [row.eq(self.res_round), row_data.eq(self.res_data), lane_en.eq(-1)]
        with m.Else():
            m.d.comb += [row.eq(Mux(self.core.w_en, self.core.w_addr >> lane_bits, w.rounds)),
                         lane_en.eq(1 << self.core.w_addr[:lane_bits])]
            m.d.comb += [word.eq(self.core.w_data) for word in row_data]
        for i in range(w.n):
            enable = row == i // lanes
            if lanes > 1:
                enable &= lane_en[i % lanes]
            with m.If(enable):
                m.d.sync += store[i * db:(i + 1) * db].eq(row_data[i % lanes])
        group = min(self.GROUP, w.n)
        group_bits = (group - 1).bit_length()
        groups = Array(store[g * group * db:(g + 1) * group * db] for g in range(w.n // group))
        selected = Signal(group * db)
        m.d.comb += selected.eq(groups[self.core.addr[group_bits:]])
        m.d.sync += self.core.r_data.eq(selected.word_select(self.core.addr[:group_bits], db))
        return m


class XBarIn(XBarBuffer):
    """XBarIn: one word per crossbar row (MVM input, MTVM output, OPA row operand ``x``)."""


class XBarOut(XBarBuffer):
    """XBarOut: one word per crossbar column (MVM output, MTVM input, OPA column operand ``v``)."""
