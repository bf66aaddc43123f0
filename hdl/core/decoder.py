"""The instruction decoder, generated from the ISA table."""

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.isa.table import (
    COND_BY_CODE,
    INSTRUCTIONS,
    OPCODE_LSB,
    OPCODE_WIDTH,
    func_table,
)

from .constants import FIELD_SLOTS, ErrorCode
from .layouts import DecodeLayout, FetchLayout, OpLayout

__all__ = ["Decoder", "any_of", "legal_codes"]


def any_of(values):
    """The OR of ``values`` as a balanced tree (a chain of ORs would be ``len - 1`` levels
    deep in the netlist before ABC restructures it); ``Const(0, 1)`` when empty."""
    values = list(values)
    if not values:
        return Const(0, 1)
    while len(values) > 1:
        values = [values[k] | values[k + 1] if k + 1 < len(values) else values[k]
                  for k in range(0, len(values), 2)]
    return values[0]


def legal_codes(spec, field):
    """Legal raw values of a ``fn``/``cond``/``count`` field of ``spec`` (None: all)."""
    if field.kind == "fn":
        entries = func_table(spec.mnemonic)[1].values()
        return sorted(e.code for e in entries if spec.mnemonic == "alui" or not e.imm_only)
    if field.kind == "cond":
        return sorted(COND_BY_CODE)
    if field.kind == "count":
        low, high = field.value_range
        return list(range(low, high + 1))
    return None


class Decoder(wiring.Component):
    """Combinational decoder: instruction word -> :class:`DecodeLayout`.

    Everything comes from :mod:`isa.table`: the opcode values, the field slots, the reserved
    bits of each instruction (must be zero), the legal function/condition codes (``alu`` may
    not use an ``alui``-only function) and the legal store counts (1 .. 255). A word that
    :func:`isa.encoding.decode` rejects gets ``fault = ILLEGAL_INSTRUCTION``; a fetch from
    ``pc >= prog_len`` (``pc_range``) gets ``fault = PC_RANGE`` (precedence over the word).
    Each instruction's legality is computed from the word in parallel and selected by its
    opcode with a flat AND-OR (issue 20).

    Members
    -------
    fetch : In(FetchLayout)
    pc_range : In(1)
        ``fetch.pc`` is at or beyond the loaded program's length (the front end compares it a
        stage earlier, so that no comparator precedes the decoder's fault).
    vec_out : In(1)
        The dispatch check's ``vec_out`` of the word (a stage earlier, the front end), passed
        on as ``decode.vec_out``: the decoder compares no operand range.
    decode : Out(DecodeLayout)
    legal_op : Out(OpLayout)
        Per instruction: the opcode is its own and every field is legal (``pc_range`` not
        included; at most one bit set). The dispatch check selects by these bits, so that its
        fault and ``quick`` need not wait for the OR of them (issue 20).
    """

    def __init__(self):
        super().__init__({
            "fetch": In(FetchLayout()),
            "pc_range": In(1),
            "vec_out": In(1),
            "decode": Out(DecodeLayout()),
            "legal_op": Out(OpLayout()),
        })

    def elaborate(self, platform):
        m = Module()
        word = self.fetch.word
        d = self.decode
        opcode = word[OPCODE_LSB:OPCODE_LSB + OPCODE_WIDTH]
        m.d.comb += [d.pc.eq(self.fetch.pc), d.vec_out.eq(self.vec_out)]
        for name, f in FIELD_SLOTS.items():
            raw = word[f.lsb:f.lsb + f.width]
            if f.kind == "vw":
                m.d.comb += d[name].eq(raw + 1)
            else:
                m.d.comb += d[name].eq(raw)
        hits = []                       # each instruction's opcode and legality
        for spec in INSTRUCTIONS:
            hit = Signal(name=f"is_{spec.mnemonic}")
            m.d.comb += hit.eq(opcode == spec.opcode)
            m.d.comb += d.op[spec.mnemonic].eq(hit)
            ok = (word & spec.reserved_mask) == 0
            for f in spec.fields:
                codes = legal_codes(spec, f)
                if codes is None or len(codes) == 1 << f.width:
                    continue
                raw = word[f.lsb:f.lsb + f.width]
                if codes == list(range(codes[0], codes[-1] + 1)):
                    ok = ok & (raw >= codes[0]) & (raw <= codes[-1])
                else:                   # a table of the legal codes, indexed by the field
                    table = Const(sum(1 << code for code in codes), 1 << f.width)
                    ok = ok & table.bit_select(raw, 1)
            m.d.comb += self.legal_op[spec.mnemonic].eq(hit & ok)
            hits.append(self.legal_op[spec.mnemonic])
        m.d.comb += d.dp_addr.eq(Mux(d.op.set, d.dst, d.base))
        legal = Signal()
        m.d.comb += legal.eq(any_of(hits))
        with m.If(self.pc_range):
            m.d.comb += d.fault.eq(ErrorCode.PC_RANGE)
        with m.Elif(~legal):
            m.d.comb += d.fault.eq(ErrorCode.ILLEGAL_INSTRUCTION)
        with m.Else():
            m.d.comb += d.fault.eq(ErrorCode.NONE)
        return m

