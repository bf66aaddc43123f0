"""XBarIn / XBarOut: the MCU's operand and result registers (one data word per row / column)."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import XBarBufferSignature
from panther.hdl.widths import McuWidths

__all__ = ["XBarBuffer", "XBarIn", "XBarOut"]


class XBarBuffer(wiring.Component):
    """A bank of ``xbar_size`` data-word registers.

    The core reads and writes it through a simple port (synchronous read: ``core.r_data``
    shows the word addressed in the previous cycle). The MCU reads every word at once
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
        m = Module()
        # One wide register, written with indexed part selects (cheap in any simulator).
        store = Signal(w.n * w.data_bits)
        m.d.comb += self.words.eq(store)
        with m.If(self.res_en):
            m.d.sync += store.word_select(self.res_round, w.lanes * w.data_bits).eq(
                self.res_data.as_value())
        with m.Elif(self.core.w_en):
            m.d.sync += store.word_select(self.core.addr, w.data_bits).eq(self.core.w_data)
        m.d.sync += self.core.r_data.eq(store.word_select(self.core.addr, w.data_bits))
        return m


class XBarIn(XBarBuffer):
    """XBarIn: one word per crossbar row (MVM input, MTVM output, OPA row operand ``x``)."""


class XBarOut(XBarBuffer):
    """XBarOut: one word per crossbar column (MVM output, MTVM input, OPA column operand ``v``)."""
