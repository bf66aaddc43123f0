"""The instruction decoder, generated from the ISA table."""

from amaranth.hdl import Const, Module, Signal
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
from .layouts import DecodeLayout, FetchLayout

__all__ = ["Decoder", "legal_codes"]


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
    decode : Out(DecodeLayout)
    """

    def __init__(self):
        super().__init__({
            "fetch": In(FetchLayout()),
            "pc_range": In(1),
            "decode": Out(DecodeLayout()),
        })

    def elaborate(self, platform):
        m = Module()
        word = self.fetch.word
        d = self.decode
        opcode = word[OPCODE_LSB:OPCODE_LSB + OPCODE_WIDTH]
        m.d.comb += d.pc.eq(self.fetch.pc)
        for name, f in FIELD_SLOTS.items():
            raw = word[f.lsb:f.lsb + f.width]
            if f.kind == "vw":
                m.d.comb += d[name].eq(raw + 1)
            else:
                m.d.comb += d[name].eq(raw)
        legal = Const(0, 1)
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
                else:
                    any_code = 0
                    for code in codes:
                        any_code = any_code | (raw == code)
                    ok = ok & any_code
            legal = legal | hit & ok
        with m.If(self.pc_range):
            m.d.comb += d.fault.eq(ErrorCode.PC_RANGE)
        with m.Elif(~legal):
            m.d.comb += d.fault.eq(ErrorCode.ILLEGAL_INSTRUCTION)
        with m.Else():
            m.d.comb += d.fault.eq(ErrorCode.NONE)
        return m

