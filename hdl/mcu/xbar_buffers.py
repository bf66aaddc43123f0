"""XBarIn / XBarOut: the MCU's operand and result registers (one data word per row / column)."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .widths import component_widths

__all__ = ["XBarBuffer", "XBarIn", "XBarOut"]


class XBarBuffer(wiring.Component):
    """A bank of ``xbar_size`` data-word registers.

    The core reads and writes it through a simple port (synchronous read: ``core_r_data``
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
    core_addr : In(index_bits)
    core_w_en : In(1)
    core_w_data : In(signed(data_bits))
    core_r_data : Out(signed(data_bits))
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
        self.widths = w = component_widths(self, config)
        word = signed(w.data_bits)
        super().__init__({
            "core_addr": In(w.index_bits),
            "core_w_en": In(1),
            "core_w_data": In(word),
            "core_r_data": Out(word),
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
        with m.Elif(self.core_w_en):
            m.d.sync += store.word_select(self.core_addr, w.data_bits).eq(self.core_w_data)
        m.d.sync += self.core_r_data.eq(store.word_select(self.core_addr, w.data_bits))
        return m


class XBarIn(XBarBuffer):
    """XBarIn: one word per crossbar row (MVM input, MTVM output, OPA row operand ``x``)."""


class XBarOut(XBarBuffer):
    """XBarOut: one word per crossbar column (MVM output, MTVM input, OPA column operand ``v``)."""
