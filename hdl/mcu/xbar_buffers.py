"""XBarIn / XBarOut: the MCU's operand and result registers (one data word per row / column)."""

from amaranth.hdl import Array, Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import XBarBufferSignature
from panther.hdl.widths import McuWidths

__all__ = ["XBarBuffer", "XBarIn", "XBarOut"]


class XBarBuffer(wiring.Component):
    """A bank of ``xbar_size`` data-word registers.

    The core reads and writes it through a simple port (``core.r_data`` is the word at
    ``core.addr`` combinationally: the core drives ``core.addr`` from a register, so a read
    addressed in one cycle is presented in the next; a write goes to ``core.w_addr`` and
    lands at the end of its cycle). The MCU reads every word at once
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
        Core read latency in cycles (0: the core registers the address).
    """

    latency = 0
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
        # written one row of `lanes` words (a result) or one word (the core) per cycle, with
        # one enable: `store ^ ((store ^ fill) & mask)` takes `fill` where `mask` is set. For
        # simulation speed in Verilator, which tested a per-word enable for every word at
        # every edge (docs/mcu.md, "Eighth pass"). The read port selects a group of `GROUP`
        # words, then the word (no shift of the whole vector).
        store = Signal(w.n * db)
        m.d.comb += self.words.eq(store)
        off = Signal(range(w.n * db))
        narrow = Signal(lanes * db)
        data_in = Signal(lanes * db)
        with m.If(self.res_en):
            m.d.comb += [off.eq(self.res_round * (lanes * db)), narrow.eq(-1),
                         data_in.eq(self.res_data.as_value())]
        with m.Else():
            m.d.comb += [off.eq(self.core.w_addr * db), narrow.eq((1 << db) - 1),
                         data_in.eq(self.core.w_data.as_unsigned())]
        mask = (narrow << off)[:w.n * db]
        fill = (data_in << off)[:w.n * db]
        with m.If(self.res_en | self.core.w_en):
            m.d.sync += store.eq(store ^ ((store ^ fill) & mask))
        group = min(self.GROUP, w.n)
        group_bits = (group - 1).bit_length()
        groups = Array(store[g * group * db:(g + 1) * group * db] for g in range(w.n // group))
        selected = Signal(group * db)
        m.d.comb += selected.eq(groups[self.core.addr[group_bits:]])
        m.d.comb += self.core.r_data.eq(selected.word_select(self.core.addr[:group_bits], db))
        return m


class XBarIn(XBarBuffer):
    """XBarIn: one word per crossbar row (MVM input, MTVM output, OPA row operand ``x``)."""


class XBarOut(XBarBuffer):
    """XBarOut: one word per crossbar column (MVM output, MTVM input, OPA column operand ``v``)."""
