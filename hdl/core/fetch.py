"""Fetch and decode stages: PC, instruction-memory read, decoder, decode -> execute register."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import INSTR_BITS

from .decoder import Decoder
from .dispatch_check import DispatchCheck
from .layouts import PC_BITS, DecodeLayout

__all__ = ["Fetch"]


class Fetch(wiring.Component):
    """The front end: ``f_`` (fetch) and ``d_`` (decode) stages of the pipeline.

    Every cycle the front end can move, it reads the word at ``f_pc`` (latency 1) and
    sequentially prefetches ``f_pc + 1``; the decoder turns the word that arrived into a
    :class:`DecodeLayout` which enters the execute stage's register ``x_instr`` when the
    execute stage takes a new instruction (``x_ready``). A taken branch or jump in the execute
    stage (``redirect``) flushes both stages (a 2-cycle bubble). The front end stalls whenever
    the execute stage does.

    The decode stage also runs :class:`~hdl.core.dispatch_check.DispatchCheck` on the decoded
    instruction: ``x_instr.fault`` is the fault the instruction raises when it is dispatched
    (the decoder's own, else the operand-range and MCU checks), so that the execute stage
    only tests a register (its address adders and comparators were on the core's longest
    path, issue 20). It costs no cycle: the check depends on the instruction alone.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    imem_addr : Out(imem addr bits)
    imem_en : Out(1)
    imem_data : In(64)
        To :class:`hdl.core.imem.InstructionMemory` (fetch port).
    running : In(1)
    restart : In(1)
        Start again at PC 0 with empty stages.
    prog_len : In(PC_BITS)
    redirect : In(1)
    redirect_pc : In(PC_BITS)
    x_ready : In(1)
        The execute stage may take a new instruction at this clock edge.
    x_valid : Out(1)
    x_instr : Out(DecodeLayout)
        The execute stage's instruction register; its ``fault`` is the dispatch check's.
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.imem_bits = max(1, (config.imem_depth - 1).bit_length())
        super().__init__({
            "imem_addr": Out(self.imem_bits), "imem_en": Out(1), "imem_data": In(INSTR_BITS),
            "running": In(1), "restart": In(1), "prog_len": In(PC_BITS),
            "redirect": In(1), "redirect_pc": In(PC_BITS),
            "x_ready": In(1), "x_valid": Out(1), "x_instr": Out(DecodeLayout()),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.decoder = dec = Decoder()
        m.submodules.check = check = DispatchCheck(config=self.config)
        m.d.comb += check.instr.eq(dec.decode)
        f_pc = Signal(PC_BITS)
        d_valid = Signal()
        d_pc = Signal(PC_BITS)
        depth = self.config.imem_depth

        d_advance = Signal()
        f_advance = Signal()
        m.d.comb += [
            dec.fetch.pc.eq(d_pc), dec.fetch.word.eq(self.imem_data),
            # PC_RANGE also beyond the instruction memory itself.
            dec.prog_len.eq(self.prog_len),
            d_advance.eq(self.x_ready),
            f_advance.eq(self.running & (~d_valid | d_advance)),
            self.imem_addr.eq(f_pc), self.imem_en.eq(f_advance),
        ]
        if depth < 2 ** PC_BITS:
            with m.If(self.prog_len > depth):
                m.d.comb += dec.prog_len.eq(depth)

        with m.If(self.restart):
            m.d.sync += [f_pc.eq(0), d_valid.eq(0), self.x_valid.eq(0)]
        with m.Elif(self.redirect):
            m.d.sync += [f_pc.eq(self.redirect_pc), d_valid.eq(0), self.x_valid.eq(0)]
        with m.Else():
            with m.If(f_advance):
                m.d.sync += [f_pc.eq(f_pc + 1), d_pc.eq(f_pc), d_valid.eq(1)]
            with m.Elif(d_advance):
                m.d.sync += d_valid.eq(0)
            with m.If(d_advance):
                m.d.sync += [self.x_instr.eq(dec.decode), self.x_instr.fault.eq(check.fault),
                             self.x_valid.eq(d_valid)]
        return m
