"""Encoding: round trips at every field's extremes, bit positions, illegal words."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panther.isa.disassembler import format_instruction
from panther.isa.encoding import IllegalInstruction, Instruction, decode, encode, make
from panther.isa.table import (
    ALU_FUNCS,
    ALU_INT_FUNCS,
    BRANCH_CONDS,
    BY_MNEMONIC,
    INSTRUCTIONS,
    OPCODE_LSB,
    func_table,
)


def legal_values(spec, field):
    """Extreme and typical legal values of one field."""
    if field.kind == "fn":
        codes = [f.code for f in func_table(spec.mnemonic)[1].values()
                 if spec.mnemonic == "alui" or not f.imm_only]
        return sorted(set([min(codes), max(codes)] + codes))
    if field.kind == "cond":
        return [c.code for c in BRANCH_CONDS]
    low, high = field.value_range
    return sorted({low, low + 1, (low + high) // 2, high - 1, high})


def operand_sets(spec):
    """For each field and each of its extreme values, one operand dict (others random)."""
    rng = random.Random(spec.opcode)
    choices = {f.name: legal_values(spec, f) for f in spec.fields}
    if not spec.fields:
        yield {}
    for f in spec.fields:
        for v in choices[f.name]:
            ops = {g.name: rng.choice(choices[g.name]) for g in spec.fields}
            ops[f.name] = v
            yield ops


CASES = [(spec, ops) for spec in INSTRUCTIONS for ops in operand_sets(spec)]


@pytest.mark.parametrize("spec,ops", CASES, ids=[f"{s.mnemonic}-{i}" for i, (s, _) in enumerate(CASES)])
def test_round_trip_at_extremes(spec, ops):
    instr = Instruction(spec.mnemonic, ops)
    word = encode(instr)
    assert 0 <= word < 2 ** 64
    assert (word >> OPCODE_LSB) == spec.opcode
    assert decode(word) == instr
    assert encode(decode(word)) == word


def _independent_encode(spec, ops):
    """Bit packing computed here, from the field descriptions only."""
    word = spec.opcode << 58
    for f in spec.fields:
        v = ops[f.name]
        if f.kind == "vw":
            v -= 1
        v %= 2 ** f.width
        word += v * 2 ** f.lsb
    return word


@pytest.mark.parametrize("spec,ops", CASES[::3], ids=lambda x: getattr(x, "mnemonic", "ops"))
def test_bits_land_where_the_table_says(spec, ops):
    assert encode(Instruction(spec.mnemonic, ops)) == _independent_encode(spec, ops)


def test_known_words():
    # hand-computed words: opcode at bits 63:58, fn 57:52, dst 51:38, src1 37:24, imm 23:8, vw 7:0
    assert encode(make("nop")) == 0
    assert encode(make("hlt")) == 1 << 58
    assert encode(make("set", dst=3, imm=-1)) == (2 << 58) | (3 << 38) | (0xFFFF << 8)
    assert encode(make("alu", fn="mul", dst=1, src1=2, src2=3, vw=256)) == \
        (6 << 58) | (2 << 52) | (1 << 38) | (2 << 24) | (3 << 8) | 255
    assert encode(make("bge", src1=5, src2=6, target=0xABCD)) == \
        (9 << 58) | (3 << 56) | (0xABCD << 40) | (5 << 24) | (6 << 8)
    assert encode(make("mcu", m0=0b011, m1=0b110, m2=0, m3=0, m4=0, m5=0b111)) == \
        (11 << 58) | 0b011 | (0b110 << 3) | (0b111 << 15)
    assert encode(make("st", saddr=0xFFFF, src=0x3FFF, vw=1, count=255)) == \
        (5 << 58) | (255 << 38) | (0x3FFF << 24) | (0xFFFF << 8)


@given(st.data())
@settings(max_examples=300, deadline=None)
def test_round_trip_property(data):
    spec = data.draw(st.sampled_from(INSTRUCTIONS))
    ops = {f.name: data.draw(st.sampled_from(legal_values(spec, f)) if f.kind in ("fn", "cond")
                             else st.integers(*f.value_range)) for f in spec.fields}
    instr = Instruction(spec.mnemonic, ops)
    assert decode(encode(instr)) == instr


@given(st.integers(0, 2 ** 64 - 1))
@settings(max_examples=500, deadline=None)
def test_decode_is_total_or_illegal_and_reencodes(word):
    try:
        instr = decode(word)
    except IllegalInstruction:
        return
    assert encode(instr) == word


@pytest.mark.parametrize("spec", INSTRUCTIONS, ids=lambda s: s.mnemonic)
def test_out_of_range_operands_are_rejected(spec):
    for f in spec.fields:
        if f.kind in ("fn", "cond"):
            continue
        low, high = f.value_range
        for bad in (low - 1, high + 1):
            ops = {g.name: legal_values(spec, g)[0] for g in spec.fields}
            ops[f.name] = bad
            with pytest.raises(IllegalInstruction, match=f.name):
                encode(Instruction(spec.mnemonic, ops))


def test_unknown_opcode_is_illegal():
    used = {s.opcode for s in INSTRUCTIONS}
    free = next(c for c in range(64) if c not in used)
    with pytest.raises(IllegalInstruction, match="unknown opcode"):
        decode(free << 58)


@pytest.mark.parametrize("spec", INSTRUCTIONS, ids=lambda s: s.mnemonic)
def test_every_reserved_bit_is_checked(spec):
    ops = {f.name: legal_values(spec, f)[0] for f in spec.fields}
    word = encode(Instruction(spec.mnemonic, ops))
    for bit in range(64):
        if spec.reserved_mask >> bit & 1:
            with pytest.raises(IllegalInstruction, match="reserved"):
                decode(word | (1 << bit))


def test_unknown_functions_and_sna_in_alu_are_illegal():
    alu_codes = {f.code for f in ALU_FUNCS}
    bad = next(c for c in range(64) if c not in alu_codes)
    word = encode(make("alu", fn="add", dst=0, src1=0, src2=0, vw=1))
    with pytest.raises(IllegalInstruction, match="unknown function"):
        decode(word | (bad << 52))
    int_codes = {f.code for f in ALU_INT_FUNCS}
    bad = next(c for c in range(64) if c not in int_codes)
    word = encode(make("alu_int", fn="add", dst=0, src1=0, src2=0))
    with pytest.raises(IllegalInstruction, match="unknown function"):
        decode(word | (bad << 52))
    sna = next(f.code for f in ALU_FUNCS if f.name == "sna")
    with pytest.raises(IllegalInstruction, match="only in alui"):
        decode(word & ~(63 << 58) | (6 << 58) | (sna << 52))
    with pytest.raises(IllegalInstruction, match="only in alui"):
        encode(Instruction("alu", {"fn": sna, "dst": 0, "src1": 0, "src2": 0, "vw": 1}))
    assert decode(encode(make("alui", fn="sna", dst=1, src1=2, imm=-3, vw=4))).func.name == "sna"


def test_store_count_zero_is_illegal():
    word = encode(make("st", saddr=0, src=0, vw=1, count=1))
    with pytest.raises(IllegalInstruction, match="count"):
        decode(word & ~(0xFF << 38))


def test_instruction_validates_operand_names_and_helpers():
    with pytest.raises(IllegalInstruction, match="unknown mnemonic"):
        Instruction("add", {})
    with pytest.raises(IllegalInstruction, match="takes operands"):
        Instruction("set", {"dst": 1})
    with pytest.raises(IllegalInstruction, match="unknown alu function"):
        make("alu", fn="addd", dst=0, src1=0, src2=0, vw=1)
    b = make("blt", src1=1, src2=2, target=3)
    assert b.mnemonic == "br" and b.name == "blt" and b.func.name == "blt"
    assert hash(b) == hash(make("blt", src1=1, src2=2, target=3))
    assert b["target"] == 3 and b.spec is BY_MNEMONIC["br"]
    with pytest.raises(IllegalInstruction, match="must be an int"):
        encode(Instruction("set", {"dst": 1, "imm": 1.5}))
    with pytest.raises(IllegalInstruction):
        decode(2 ** 64)


def test_text_of_an_instruction():
    assert format_instruction(make("bge", src1=5, src2=6, target=9)) == "bge 5, 6, 9"
    assert format_instruction(make("alu", fn="mul", dst=1, src1=2, src2=3, vw=4)) == "alu mul, 1, 2, 3, 4"
