"""The faults an instruction raises as it is dispatched (semantics §4, §6)."""

from amaranth.hdl import Const, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_BY_NAME

from .constants import ErrorCode
from .layouts import DecodeLayout

__all__ = ["DispatchCheck"]


class DispatchCheck(wiring.Component):
    """Combinational check of a decoded instruction: the faults it raises when dispatched.

    :class:`~hdl.core.fetch.Fetch` runs it in the decode stage and registers the result with
    the instruction (``x_instr.fault``), so it costs the execute stage nothing.

    In order: the decoder's own fault (illegal word, PC out of the program); an operand
    vector that leaves the operand space (``ADDRESS_RANGE``) or the program-visible shared
    memory (``SMEM_ADDRESS_RANGE``, checked before the operand space for ``ld``/``st``; for
    ``ldx``/``stx`` only the base register, the rest once it is read); a ``send``/``recv``
    naming a tile or core the node does not have (``NO_SUCH_TILE``, before its operand range); an
    ``mcu`` or ``crs`` mask naming an MCU the core does not have (``NO_SUCH_MCU``); an opcode
    the core does not execute (``ILLEGAL_INSTRUCTION``). The destination of an ``alu``/``alui``
    other than ``sna`` is checked later, after the results (as the golden model writes last).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    instr : In(DecodeLayout)
    fault : Out(ErrorCode)
        ``NONE`` when the instruction may start.
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({"instr": In(DecodeLayout()), "fault": Out(ErrorCode)})

    def elaborate(self, platform):
        c = self.config
        M = c.mcus_per_core
        m = Module()
        ins = self.instr
        op, vw = ins.op, ins.vw

        def fits(addr, width):
            return (addr + width) <= c.addr_space

        def smem_fits(addr, width):
            return (addr + width) <= c.smem_user_depth

        missing = Const(0, 1)
        for k in range(M, 6):
            missing = missing | (ins[f"m{k}"] != 0)        # mask fields of the ISA table
        crs_missing = (ins.mask >> M) != 0 if M < 6 else Const(0, 1)
        is_sna = op.alui & (ins.fn == ALU_BY_NAME["sna"].code)

        def fault_if(condition, code):
            with m.If(condition):
                m.d.comb += self.fault.eq(code)

        with m.If(ins.fault != ErrorCode.NONE):
            m.d.comb += self.fault.eq(ins.fault)
        with m.Elif(op.nop | op.jmp | op.hlt):
            pass
        with m.Elif(op.set):
            fault_if(~fits(ins.dst, 1), ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.cp):
            fault_if(~fits(ins.src, vw) | ~fits(ins.dst, vw), ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.alu | op.alui):
            fault_if(~fits(ins.src1, vw) | (op.alu & ~fits(ins.src2, vw))
                     | (is_sna & ~fits(ins.dst, vw)), ErrorCode.ADDRESS_RANGE)
        for name, operand in (("ld", ins.dst), ("st", ins.src)):
            with m.Elif(op[name]):
                with m.If(~smem_fits(ins.saddr, vw)):
                    m.d.comb += self.fault.eq(ErrorCode.SMEM_ADDRESS_RANGE)
                with m.Elif(~fits(operand, vw)):
                    m.d.comb += self.fault.eq(ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.ldx | op.stx):
            # the base register here; the effective address and the vector once it is read
            fault_if(~fits(ins.base, 1), ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.send | op.recv):
            with m.If((ins.tile >= c.tiles_per_node) | (ins.core >= c.cores_per_tile)):
                m.d.comb += self.fault.eq(ErrorCode.NO_SUCH_TILE)
            with m.Elif(~fits(Mux(op.send, ins.src, ins.dst), vw)):
                m.d.comb += self.fault.eq(ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.alu_int | op.br):
            fault_if(~fits(ins.src1, 1) | ~fits(ins.src2, 1) | (op.alu_int & ~fits(ins.dst, 1)),
                     ErrorCode.ADDRESS_RANGE)
        with m.Elif(op.mcu):
            fault_if(missing, ErrorCode.NO_SUCH_MCU)
        with m.Elif(op.crs):
            fault_if(crs_missing, ErrorCode.NO_SUCH_MCU)
        with m.Else():
            m.d.comb += self.fault.eq(ErrorCode.ILLEGAL_INSTRUCTION)
        return m
