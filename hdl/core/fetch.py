"""Fetch and decode stages: PC, instruction-memory read, decoder, decode -> execute register."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import INSTR_BITS

from .decoder import Decoder
from .dispatch_check import CheckFlags, DispatchCheck, DispatchCompare
from .layouts import PC_BITS, DecodeLayout, OpLayout

__all__ = ["Fetch"]


class Fetch(wiring.Component):
    """The front end: ``f_`` (fetch), ``b_`` (memory output), ``d_`` (decode), ``c_``
    (check) and ``s_`` (skid) stages.

    Every cycle the front end can move, it reads the word at ``f_pc`` (latency 1) and
    sequentially prefetches ``f_pc + 1``; the word that arrives is registered (``d_word``,
    the decode stage's register), then again with the dispatch check's comparisons in the
    check stage (``c_word``), whose decoder turns it into a :class:`DecodeLayout` that enters
    the execute stage's register ``x_instr`` when the execute stage takes a new instruction
    (``x_ready``). The instruction memory's block RAM output thus ends at a register: no read
    reaches the decoder, the dispatch check or an execute decision in the cycle it is read
    (issue 20). A restart reads PC 0, and a taken branch or jump in the execute stage
    (``redirect``) its target, in their own cycle; a redirect flushes the stages with a
    3-cycle bubble, the first instruction reaches ``x_instr`` four cycles after ``restart``.

    The dispatch check (:mod:`hdl.core.dispatch_check`) is split by a register: the decode
    stage makes its range comparisons on the raw fields (:class:`DispatchCompare`, one carry
    chain) and a decoder of its own gives each instruction's legality; the check stage
    registers both (``c_flags``, ``c_legal``) and selects among them by operation
    (:class:`DispatchCheck`): ``x_instr.fault`` is the fault the instruction raises when it
    is dispatched, ``x_instr.vec_out`` the vector range ``ldx``/``stx`` raise after their
    base's read, so that the execute stage only tests registers. The check stage costs a
    cycle per redirect and run start (docs/synthesis.md, "chkstage"): the comparisons' carry
    chains and the AND-OR after them were one path from the word register, 1.5 ns too long.
    The ``PC_RANGE`` comparison (``pc >= prog_len``) is made in the memory stage and
    registered with the word (``d_range``).

    Beside the check stage's registers sits a one-word skid register (``s_word``): when the
    execute stage does not take the checked instruction, the skid register takes its word
    and the check's results, the decoder decodes the skid register's word while it is full
    (``s_valid``), and the front end stalls on the registered valid bits only. So the
    execute stage's ``x_ready`` (its ``retire``, decoded from the units' states) reaches only
    ``x_instr``'s enable and ``s_valid``, not the instruction memory's enable and address or
    the front end's registers (issue 20). It costs no cycle: ``x_instr`` takes the skid
    register's instruction first, and the front end moves again in the next cycle.

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
        The core runs in the next cycle too; low, it also empties the execute stage's
        register (``x_valid`` is never high while the core is stopped).
    restart : In(1)
        Start again at PC 0 with empty stages (PC 0 is read in this cycle: the instruction
        memory must not be written in it).
    prog_len : In(PC_BITS)
        The loaded program's length, compared as a word enters the decode register.
    redirect : In(1)
    redirect_pc : In(PC_BITS)
    x_ready : In(1)
        The execute stage may take a new instruction at this clock edge.
    x_valid : Out(1)
    x_instr : Out(DecodeLayout)
        The execute stage's instruction register; its ``fault`` and ``vec_out`` are the
        dispatch check's.
    x_quick : Out(1)
        Registered with ``x_instr``: it has no fault and retires in the execute stage's
        ``DISPATCH`` (``nop``, ``jmp``, ``set``). Decoded here so that the execute stage's
        retire (the front end's enables) tests one register, not the operation and the fault
        (issue 20).
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
            "x_quick": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        # `decoder` gives x_instr's fields (of the skid register's word while it is full); the
        # check's first half runs on the decode stage's word with a decoder of its own, and
        # its flags and that decoder's per-instruction legality are registered in the check
        # stage, where the second half selects among them.
        m.submodules.decoder = dec = Decoder()
        m.submodules.check_decoder = cdec = Decoder()
        m.submodules.compare = cmp = DispatchCompare(config=self.config)
        m.submodules.check = check = DispatchCheck(config=self.config)
        f_pc = Signal(PC_BITS)
        b_valid = Signal()              # the instruction memory's output holds b_pc's word
        b_pc = Signal(PC_BITS)
        d_valid = Signal()              # the decode stage's word register
        d_pc = Signal(PC_BITS, reset_less=True)
        d_word = Signal(INSTR_BITS, reset_less=True)
        d_range = Signal(reset_less=True)                   # d_pc >= prog_len
        c_valid = Signal()              # the check stage's registers
        c_pc = Signal(PC_BITS, reset_less=True)
        c_word = Signal(INSTR_BITS, name="c_word", reset_less=True)
        c_range = Signal(name="c_range", reset_less=True)
        c_flags = Signal(CheckFlags(), name="c_flags", reset_less=True)
        c_legal = Signal(OpLayout(), name="c_legal", reset_less=True)
        # Only the check decoder's legality is used; its `vec_out` is driven all the same, as
        # the word's own (a constant field is an `always @*` Verilator rejects, ALWNEVER).
        m.d.comb += [cdec.fetch.word.eq(d_word), cdec.fetch.pc.eq(d_pc),
                     cdec.pc_range.eq(d_range), cmp.word.eq(d_word),
                     cdec.vec_out.eq(Mux(cdec.legal_op.ldx, cmp.flags.out_v_dst,
                                         cmp.flags.out_v_src)),
                     check.flags.eq(c_flags), check.legal_op.eq(c_legal),
                     check.pc_range.eq(c_range)]
        depth = self.config.imem_depth

        d_take = Signal()               # the decode register takes the memory's word
        c_take = Signal()               # the check stage takes the decode stage's word
        f_advance = Signal()            # a sequential read is issued
        m.d.comb += [
            f_advance.eq(self.running & (~b_valid | d_take)),
            # restart and redirect read their first word in their own cycle (PC 0, the
            # target), so the word register costs a refill nothing
            self.imem_addr.eq(f_pc), self.imem_en.eq(f_advance | self.restart | self.redirect),
        ]
        first = Signal(PC_BITS)         # the PC a restart or a redirect reads
        m.d.comb += first.eq(Mux(self.restart, 0, self.redirect_pc))
        with m.If(self.restart | self.redirect):
            m.d.comb += self.imem_addr.eq(first)
        # PC_RANGE (also beyond the instruction memory itself) is compared in the memory
        # stage and registered with the word, so no comparator precedes the decoder's fault.
        b_range = self.prog_len <= b_pc
        if depth < 2 ** PC_BITS:
            b_range = b_range | (b_pc >= depth)

        # The skid register holds a word the check stage handed on but the execute stage did
        # not take, with its dispatch check's results; x_instr takes it first. It keeps the
        # word, not the decoded fields, so that x_instr's fields of the same word bits stay
        # one flip-flop each (fewer enables for `x_ready`).
        s_valid = Signal()
        s_word = Signal(INSTR_BITS, reset_less=True)
        s_pc = Signal(PC_BITS, reset_less=True)
        s_range = Signal(reset_less=True)
        s_fault = Signal.like(check.fault, reset_less=True)
        s_quick = Signal(reset_less=True)
        s_vec_out = Signal(reset_less=True)
        m.d.comb += [
            c_take.eq(~c_valid | ~s_valid), d_take.eq(~d_valid | c_take),
            dec.fetch.word.eq(Mux(s_valid, s_word, c_word)),
            dec.fetch.pc.eq(Mux(s_valid, s_pc, c_pc)),
            dec.pc_range.eq(Mux(s_valid, s_range, c_range)),
            dec.vec_out.eq(Mux(s_valid, s_vec_out, check.vec_out)),
        ]

        # Data registers load on their stage's take alone (no restart or redirect in their
        # enables); the valid bits say what they hold. The skid register loads whenever it
        # is empty (a register enable), x_instr on x_ready.
        with m.If(d_take):
            m.d.sync += [d_word.eq(self.imem_data), d_pc.eq(b_pc), d_range.eq(b_range)]
        with m.If(c_take):
            m.d.sync += [c_word.eq(d_word), c_pc.eq(d_pc), c_range.eq(d_range),
                         c_flags.eq(cmp.flags), c_legal.eq(cdec.legal_op)]
        with m.If(~s_valid):
            m.d.sync += [s_word.eq(c_word), s_pc.eq(c_pc), s_range.eq(c_range),
                         s_fault.eq(check.fault), s_quick.eq(check.quick),
                         s_vec_out.eq(check.vec_out)]
        with m.If(self.x_ready):
            m.d.sync += [self.x_instr.eq(dec.decode),
                         self.x_instr.fault.eq(Mux(s_valid, s_fault, check.fault)),
                         self.x_quick.eq(Mux(s_valid, s_quick, check.quick))]
        with m.If(self.restart | self.redirect):
            # the next PC adds to the registered target, not to the restart's multiplexer
            m.d.sync += [f_pc.eq(Mux(self.restart, 1, self.redirect_pc + 1)), b_pc.eq(first),
                         b_valid.eq(1), d_valid.eq(0), c_valid.eq(0), s_valid.eq(0),
                         self.x_valid.eq(0)]
        with m.Else():
            with m.If(f_advance):
                m.d.sync += [f_pc.eq(f_pc + 1), b_pc.eq(f_pc), b_valid.eq(1)]
            with m.Elif(d_take):
                m.d.sync += b_valid.eq(0)
            with m.If(d_take):
                m.d.sync += d_valid.eq(b_valid)
            with m.If(c_take):
                m.d.sync += c_valid.eq(d_valid)
            with m.If(self.x_ready):
                m.d.sync += [self.x_valid.eq(s_valid | c_valid), s_valid.eq(0)]
            with m.Elif(~s_valid):
                m.d.sync += s_valid.eq(c_valid)
            with m.If(~self.running):
                m.d.sync += self.x_valid.eq(0)
        return m
