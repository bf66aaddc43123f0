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
    over a core write to the same word in the same cycle (the core must not write while the
    MCU is busy anyway).

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
    words : Out(ArrayLayout(signed(data_bits), xbar_size))
        Every word, combinationally.
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
            "words": Out(data.ArrayLayout(word, w.n)),
            "res_en": In(1),
            "res_round": In(w.round_bits),
            "res_data": In(data.ArrayLayout(word, w.lanes)),
        })

    def elaborate(self, platform):
        w = self.widths
        m = Module()
        regs = [Signal(signed(w.data_bits), name=f"word{i}") for i in range(w.n)]
        for i, reg in enumerate(regs):
            m.d.comb += self.words[i].eq(reg)
            with m.If(self.res_en & (self.res_round == i // w.lanes)):
                m.d.sync += reg.eq(self.res_data[i % w.lanes])
            with m.Elif(self.core_w_en & (self.core_addr == i)):
                m.d.sync += reg.eq(self.core_w_data)
        with m.Switch(self.core_addr):
            for i, reg in enumerate(regs):
                with m.Case(i):
                    m.d.sync += self.core_r_data.eq(reg)
        return m


class XBarIn(XBarBuffer):
    """XBarIn: one word per crossbar row (MVM input, MTVM output, OPA row operand ``x``)."""


class XBarOut(XBarBuffer):
    """XBarOut: one word per crossbar column (MVM output, MTVM input, OPA column operand ``v``)."""
