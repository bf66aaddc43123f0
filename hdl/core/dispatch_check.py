"""The faults an instruction raises as it is dispatched (semantics §4, §6)."""

from amaranth.hdl import Const, Module, Mux, Value
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_BY_NAME, INSTR_BITS

from .constants import FIELD_SLOTS, ErrorCode
from .decoder import any_of
from .layouts import OpLayout

__all__ = ["CheckFlags", "DispatchCompare", "DispatchCheck"]


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


class CheckFlags(data.StructLayout):
    """The dispatch check's comparisons of the raw fields of a word, whatever its operation.

    Members
    -------
    out_v_dst, out_v_src, out_v_src1, out_v_src2 : unsigned(1)
        A vector of ``vw`` words at that field leaves the operand space.
    out_1_dst, out_1_src1, out_1_src2, out_1_base : unsigned(1)
        That field (one word) is beyond the operand space.
    smem_out : unsigned(1)
        A vector of ``vw`` words at ``saddr`` leaves the program-visible shared memory.
    no_tile : unsigned(1)
        ``tile`` or ``core`` names one the node does not have.
    mcu_missing, crs_missing : unsigned(1)
        An ``mcu`` mask field / the ``crs`` mask names an MCU the core does not have.
    fn_sna : unsigned(1)
        The ``fn`` field is ``sna``'s code.
    """

    def __init__(self):
        super().__init__({name: 1 for name in (
            "out_v_dst", "out_v_src", "out_v_src1", "out_v_src2",
            "out_1_dst", "out_1_src1", "out_1_src2", "out_1_base",
            "smem_out", "no_tile", "mcu_missing", "crs_missing", "fn_sna")})


class DispatchCompare(wiring.Component):
    """The dispatch check's first half: every range comparison of a raw instruction word.

    Each comparison is made on the raw fields of the word, in parallel and whatever the
    operation (a vector's width is its raw field ``vw - 1``, so no ``+ 1`` adder precedes
    them): one carry chain deep. :class:`~hdl.core.fetch.Fetch` registers the flags, and
    :class:`DispatchCheck` selects among them by operation a stage later.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    word : In(64)
        The raw instruction word.
    flags : Out(CheckFlags)
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({"word": In(INSTR_BITS), "flags": Out(CheckFlags())})

    def elaborate(self, platform):
        c = self.config
        M = c.mcus_per_core
        m = Module()
        word, f = self.word, self.flags
        raw_vw = _field(word, "vw")
        for n in ("dst", "src", "src1", "src2"):
            m.d.comb += f[f"out_v_{n}"].eq(_vector_leaves(_field(word, n), raw_vw,
                                                           c.addr_space))
        for n in ("dst", "src1", "src2", "base"):
            m.d.comb += f[f"out_1_{n}"].eq(_field(word, n) >= c.addr_space)
        mask = _field(word, "mask")
        m.d.comb += [
            f.smem_out.eq(_vector_leaves(_field(word, "saddr"), raw_vw, c.smem_user_depth)),
            f.no_tile.eq((_field(word, "tile") >= c.tiles_per_node)
                         | (_field(word, "core") >= c.cores_per_tile)),
            f.mcu_missing.eq(any_of(_field(word, f"m{k}") != 0 for k in range(M, 6))),
            f.crs_missing.eq(mask[M:] != 0 if M < len(mask) else 0),
            f.fn_sna.eq(_field(word, "fn") == ALU_BY_NAME["sna"].code),
        ]
        return m


class DispatchCheck(wiring.Component):
    """The dispatch check's second half: the faults an instruction raises when dispatched,
    selected by its operation among :class:`DispatchCompare`'s flags.

    :class:`~hdl.core.fetch.Fetch` runs it in its check stage on registered flags and
    registers the result with the instruction (``x_instr.fault``), so it costs the execute
    stage nothing.

    In order: the decoder's own fault (PC out of the program: ``PC_RANGE``; no ``legal_op`` bit:
    ``ILLEGAL_INSTRUCTION``, the OR of the registered bits, not the decoder's); an operand
    vector that leaves the operand space (``ADDRESS_RANGE``) or the program-visible shared
    memory (``SMEM_ADDRESS_RANGE``, checked before the operand space for ``ld``/``st``; for
    ``ldx``/``stx`` only the base register here, the shared-memory range once it is read,
    and the vector's range is ``vec_out`` for the execute stage to raise after it); a
    ``send``/``recv`` naming a tile or core the node does not have (``NO_SUCH_TILE``, before
    its operand range); an ``mcu`` or ``crs`` mask naming an MCU the core does not have
    (``NO_SUCH_MCU``); an opcode the core does not execute (``ILLEGAL_INSTRUCTION``). The
    destination of an ``alu``/``alui`` other than ``sna`` is checked later, after the results
    (as the golden model writes last).

    The operation selects among the flags with a flat AND-OR (the operations are one hot once
    the decoder's fault is ``NONE``), not a priority chain (issue 20).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    flags : In(CheckFlags)
        :class:`DispatchCompare`'s flags of the word.
    legal_op : In(OpLayout)
        The decoder's per-instruction legality (:attr:`Decoder.legal_op`).
    pc_range : In(1)
        The decoder's ``pc_range`` input (the word lies beyond the program).
    fault : Out(ErrorCode)
        ``NONE`` when the instruction may start.
    quick : Out(1)
        No fault, and it retires in the execute stage's ``DISPATCH`` (``nop``, ``jmp``,
        ``set``).
    vec_out : Out(1)
        ``ldx``/``stx``: the vector at ``dst`` / ``src`` leaves the operand space.
    """

    #: The operations the check knows; any other one is ``ILLEGAL_INSTRUCTION``.
    KNOWN = ("nop", "hlt", "jmp", "set", "cp", "alu", "alui", "ld", "st", "ldx", "stx",
             "send", "recv", "alu_int", "br", "mcu", "crs")

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({"flags": In(CheckFlags()), "legal_op": In(OpLayout()),
                          "pc_range": In(1),
                          "fault": Out(ErrorCode), "quick": Out(1), "vec_out": Out(1)})

    def elaborate(self, platform):
        m = Module()
        # The decoder's per-instruction legality, not its opcode hits: one hot for a legal
        # word and 0 for an illegal one, so that no "the decoder found no fault" term (the OR
        # of every instruction's legality) follows the causes and `quick` (issue 20).
        op, f = self.legal_op, self.flags
        is_sna = op.alui & f.fn_sna
        address = any_of([
            op.set & f.out_1_dst, op.cp & (f.out_v_src | f.out_v_dst),
            (op.alu | op.alui) & f.out_v_src1, op.alu & f.out_v_src2, is_sna & f.out_v_dst,
            op.ld & ~f.smem_out & f.out_v_dst, op.st & ~f.smem_out & f.out_v_src,
            (op.ldx | op.stx) & f.out_1_base,
            op.send & ~f.no_tile & f.out_v_src, op.recv & ~f.no_tile & f.out_v_dst,
            (op.alu_int | op.br) & (f.out_1_src1 | f.out_1_src2), op.alu_int & f.out_1_dst])
        unknown = any_of(op[name] for name in OpLayout().members if name not in self.KNOWN)
        causes = ((address, ErrorCode.ADDRESS_RANGE),
                  ((op.ld | op.st) & f.smem_out, ErrorCode.SMEM_ADDRESS_RANGE),
                  ((op.send | op.recv) & f.no_tile, ErrorCode.NO_SUCH_TILE),
                  (op.mcu & f.mcu_missing | op.crs & f.crs_missing, ErrorCode.NO_SUCH_MCU),
                  (unknown, ErrorCode.ILLEGAL_INSTRUCTION))
        fault = Value.cast(self.fault)
        width = len(fault)
        dec_fault = Mux(self.pc_range, ErrorCode.PC_RANGE.value,
                        Mux(any_of(Value.cast(op)), ErrorCode.NONE.value, ErrorCode.ILLEGAL_INSTRUCTION.value))
        code = any_of(cause.replicate(width) & value.value for cause, value in causes)
        # The decoder's fault (NONE is 0) comes first: `code` is 0 for an illegal word (no
        # `legal_op` bit), so only PC_RANGE has to mask it.
        in_range = ~self.pc_range
        m.d.comb += [fault.eq(dec_fault | (in_range.replicate(width) & code)),
                     self.quick.eq(in_range & (op.nop | op.jmp | op.set & ~f.out_1_dst)),
                     self.vec_out.eq(Mux(op.ldx, f.out_v_dst, f.out_v_src))]
        return m
