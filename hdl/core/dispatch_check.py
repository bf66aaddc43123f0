"""The faults an instruction raises as it is dispatched (semantics §4, §6)."""

from amaranth.hdl import Const, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_BY_NAME, INSTR_BITS

from .constants import FIELD_SLOTS, ErrorCode
from .decoder import any_of
from .layouts import DecodeLayout, OpLayout

__all__ = ["DispatchCheck"]


def _field(word, name):
    """The raw bits of field slot ``name`` of ``word``."""
    f = FIELD_SLOTS[name]
    return word[f.lsb:f.lsb + f.width]


def _vector_leaves(addr, raw_width, limit):
    """``addr + raw_width + 1 > limit``: a vector of ``raw_width + 1`` words at ``addr`` leaves
    ``[0, limit)``. One addition's carry out, ``addr + raw_width + (2**n - limit) >= 2**n``
    (Yosys maps the three operands to a carry-save row and one carry chain), not an adder
    followed by a comparator."""
    n = max(len(addr), len(raw_width), limit.bit_length()) + 1
    return (addr + raw_width + Const((1 << n) - limit, n))[n]


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

    Every range comparison is made on the raw fields of the word, in parallel and whatever
    the operation (a vector's width is its raw field ``vw - 1``, so no ``+ 1`` adder precedes
    them); the operation then selects among them with a flat AND-OR (the operations are one
    hot once the decoder's fault is ``NONE``), not a priority chain (issue 20).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    instr : In(DecodeLayout)
        The decoder's output (its operations and its fault).
    word : In(64)
        The raw instruction word it decoded.
    legal_op : In(OpLayout)
        The decoder's per-instruction legality (:attr:`Decoder.legal_op`).
    pc_range : In(1)
        The decoder's ``pc_range`` input (the word lies beyond the program).
    fault : Out(ErrorCode)
        ``NONE`` when the instruction may start.
    quick : Out(1)
        No fault, and it retires in the execute stage's ``DISPATCH`` (``nop``, ``jmp``,
        ``set``).
    """

    #: The operations the check knows; any other one is ``ILLEGAL_INSTRUCTION``.
    KNOWN = ("nop", "hlt", "jmp", "set", "cp", "alu", "alui", "ld", "st", "ldx", "stx",
             "send", "recv", "alu_int", "br", "mcu", "crs")

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({"instr": In(DecodeLayout()), "word": In(INSTR_BITS),
                          "legal_op": In(OpLayout()), "pc_range": In(1),
                          "fault": Out(ErrorCode), "quick": Out(1)})

    def elaborate(self, platform):
        c = self.config
        M = c.mcus_per_core
        m = Module()
        # The decoder's per-instruction legality, not its opcode hits: one hot for a legal
        # word and 0 for an illegal one, so that no "the decoder found no fault" term (the OR
        # of every instruction's legality) follows the causes and `quick` (issue 20).
        op, word = self.legal_op, self.word
        raw_vw = _field(word, "vw")

        def named(name, value):
            s = Signal(name=name)
            m.d.comb += s.eq(value)
            return s

        # -- the comparisons, from the fields alone ----------------------------------------
        out_v = {n: named(f"out_v_{n}", _vector_leaves(_field(word, n), raw_vw, c.addr_space))
                 for n in ("dst", "src", "src1", "src2")}
        out_1 = {n: named(f"out_1_{n}", _field(word, n) >= c.addr_space)
                 for n in ("dst", "src1", "src2", "base")}
        smem_out = named("smem_out", _vector_leaves(_field(word, "saddr"), raw_vw,
                                                    c.smem_user_depth))
        no_tile = named("no_tile", (_field(word, "tile") >= c.tiles_per_node)
                        | (_field(word, "core") >= c.cores_per_tile))
        missing = named("mcu_missing", any_of(_field(word, f"m{k}") != 0     # mask fields
                                              for k in range(M, 6)))
        mask = _field(word, "mask")
        crs_missing = named("crs_missing", mask[M:] != 0 if M < len(mask) else Const(0, 1))
        is_sna = named("is_sna", op.alui & (_field(word, "fn") == ALU_BY_NAME["sna"].code))

        # -- the operation selects (one hot: an AND-OR) --------------------------------------
        address = named("address", any_of([
            op.set & out_1["dst"], op.cp & (out_v["src"] | out_v["dst"]),
            (op.alu | op.alui) & out_v["src1"], op.alu & out_v["src2"], is_sna & out_v["dst"],
            op.ld & ~smem_out & out_v["dst"], op.st & ~smem_out & out_v["src"],
            (op.ldx | op.stx) & out_1["base"],
            op.send & ~no_tile & out_v["src"], op.recv & ~no_tile & out_v["dst"],
            (op.alu_int | op.br) & (out_1["src1"] | out_1["src2"]), op.alu_int & out_1["dst"]]))
        unknown = any_of(op[name] for name in OpLayout().members if name not in self.KNOWN)
        causes = ((address, ErrorCode.ADDRESS_RANGE),
                  ((op.ld | op.st) & smem_out, ErrorCode.SMEM_ADDRESS_RANGE),
                  ((op.send | op.recv) & no_tile, ErrorCode.NO_SUCH_TILE),
                  (op.mcu & missing | op.crs & crs_missing, ErrorCode.NO_SUCH_MCU),
                  (unknown, ErrorCode.ILLEGAL_INSTRUCTION))
        fault, dec_fault = Value.cast(self.fault), Value.cast(self.instr.fault)
        width = len(fault)
        code = any_of(cause.replicate(width) & value.value for cause, value in causes)
        # The decoder's fault (NONE is 0) comes first: `code` is 0 for an illegal word (no
        # `legal_op` bit), so only PC_RANGE has to mask it.
        in_range = named("in_range", ~self.pc_range)
        m.d.comb += [fault.eq(dec_fault | (in_range.replicate(width) & code)),
                     self.quick.eq(in_range & (op.nop | op.jmp | op.set & ~out_1["dst"]))]
        return m
