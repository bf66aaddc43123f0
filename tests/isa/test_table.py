"""The ISA table: consistency of opcodes, fields, slots and function sub-tables."""

import pytest

from panther.config import PantherConfig
from panther.isa import table
from panther.isa.table import (
    ALU_FUNCS,
    ALU_INT_FUNCS,
    BRANCH_CONDS,
    BY_MNEMONIC,
    BY_OPCODE,
    FIELD_KINDS,
    INSTR_BITS,
    INSTRUCTIONS,
    OPCODE_LSB,
    OPCODE_WIDTH,
)

CONTRACT_MNEMONICS = {"nop", "hlt", "set", "cp", "ld", "st", "alu", "alui", "alu_int", "br",
                      "jmp", "mcu", "crs", "send", "recv", "ldx", "stx"}


def test_every_contract_instruction_is_in_the_table():
    assert set(BY_MNEMONIC) == CONTRACT_MNEMONICS
    assert len(INSTRUCTIONS) == len(CONTRACT_MNEMONICS)


def test_opcodes_are_unique_and_fit():
    codes = [s.opcode for s in INSTRUCTIONS]
    assert len(set(codes)) == len(codes)
    assert all(0 <= c < 2 ** OPCODE_WIDTH for c in codes)
    assert OPCODE_LSB + OPCODE_WIDTH == INSTR_BITS == 64
    assert set(BY_OPCODE) == set(codes)


@pytest.mark.parametrize("spec", INSTRUCTIONS, ids=lambda s: s.mnemonic)
def test_fields_do_not_overlap_each_other_or_the_opcode(spec):
    used = ((1 << OPCODE_WIDTH) - 1) << OPCODE_LSB
    for f in spec.fields:
        bits = ((1 << f.width) - 1) << f.lsb
        assert used & bits == 0, f"{spec.mnemonic}.{f.name} overlaps"
        assert f.msb < INSTR_BITS
        assert f.kind in FIELD_KINDS
        used |= bits
    assert used | spec.reserved_mask == (1 << 64) - 1
    assert used & spec.reserved_mask == 0


def test_widths_follow_the_configuration_limits():
    for spec in INSTRUCTIONS:
        for f in spec.fields:
            if f.kind == "addr":
                assert f.width == PantherConfig.ADDR_BITS
            if f.kind == "saddr":
                assert f.width == PantherConfig.SMEM_ADDR_BITS
            if f.kind in ("vw", "count"):
                assert f.width == 8
            if f.kind in ("imm", "target"):
                assert f.width == 16
            if f.kind == "base":
                assert f.width == 6
            if f.kind == "tile":
                assert f.width == PantherConfig.TILE_BITS
            if f.kind == "core":
                assert f.width == PantherConfig.CORE_BITS
    assert BY_MNEMONIC["alu"].field("vw").value_range == (1, 256)
    assert BY_MNEMONIC["set"].field("imm").value_range == (-32768, 32767)
    assert BY_MNEMONIC["st"].field("count").value_range == (1, 255)
    assert BY_MNEMONIC["ldx"].field("base").value_range == (0, 63)


def test_indexed_ld_st_share_the_direct_forms_slots():
    """ldx/stx are ld/st plus the base register, at opcodes 15 and 16 (13 and 14 are send/recv)."""
    for direct, indexed in (("ld", "ldx"), ("st", "stx")):
        d, x = BY_MNEMONIC[direct], BY_MNEMONIC[indexed]
        assert [f for f in x.fields if f.name != "base"] == list(d.fields)
        assert x.field("base").lsb == 52 and x.field("base").width == 6
    assert (BY_MNEMONIC["ldx"].opcode, BY_MNEMONIC["stx"].opcode) == (15, 16)
    assert (BY_OPCODE[13].mnemonic, BY_OPCODE[14].mnemonic) == ("send", "recv")


def test_shared_slots_are_at_the_same_bits():
    """Register-read addresses sit at one position for every instruction (simple decoder)."""
    positions = {}
    for spec in INSTRUCTIONS:
        for f in spec.fields:
            positions.setdefault(f.name, set()).add((f.lsb, f.width))
    for name in ("dst", "src1", "src2", "vw", "fn", "target", "imm", "saddr", "base", "count",
                 "tile", "core"):
        assert len(positions[name]) == 1, name
    # cp's and st's 'src' is read at the src1 slot
    assert positions["src"] == positions["src1"]


def test_mcu_has_six_three_bit_masks_and_crs_one_six_bit_mask():
    mcu = BY_MNEMONIC["mcu"]
    assert [f.name for f in mcu.fields] == [f"m{i}" for i in range(6)]
    assert all(f.width == 3 and f.kind == "mask" for f in mcu.fields)
    assert PantherConfig.MAX_MCUS == 6
    assert dict(table.MCU_OPS) == {"mvm": 1, "mtvm": 2, "opa": 4}
    crs = BY_MNEMONIC["crs"]
    assert crs.field("mask").width == 6


@pytest.mark.parametrize("funcs,width", [(ALU_FUNCS, 6), (ALU_INT_FUNCS, 6), (BRANCH_CONDS, 2)])
def test_function_codes_unique_and_fit(funcs, width):
    codes = [f.code for f in funcs]
    names = [f.name for f in funcs]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(0 <= c < 2 ** width for c in codes)
    assert all(f.summary for f in funcs)


def test_function_sets_match_the_contract():
    alu = {f.name for f in ALU_FUNCS}
    assert {"add", "sub", "mul", "sna", "min", "max", "relu", "relu_d", "sigmoid", "sigmoid_d",
            "tanh", "tanh_d"} <= alu
    assert {f.name for f in ALU_INT_FUNCS} == {"add", "sub", "and", "or", "xor", "shl", "shr", "mul"}
    assert {f.name for f in BRANCH_CONDS} == {"beq", "bne", "blt", "bge"}
    assert BY_MNEMONIC["alu"].field("fn").width == 6
    assert BY_MNEMONIC["br"].field("cond").width == 2
    assert [f.name for f in ALU_FUNCS if f.imm_only] == ["sna"]
    unary = {f.name for f in ALU_FUNCS if f.unary}
    assert unary == {"relu", "relu_d", "sigmoid", "sigmoid_d", "tanh", "tanh_d", "neg", "abs",
                     "exp", "recip"}


def test_every_module_exports_all():
    for name in table.__all__:
        assert hasattr(table, name), name


def test_committed_isa_doc_is_generated_from_the_table():
    from pathlib import Path

    from panther.isa.doc import render
    committed = (Path(__file__).resolve().parents[2] / "docs" / "ISA.md").read_text()
    assert committed == render(), "docs/ISA.md is stale: run  python -m panther.isa.doc > docs/ISA.md"


def test_doc_examples_assemble_to_the_documented_words():
    from panther.config import PRESETS
    from panther.isa.assembler import assemble
    from panther.isa.doc import EXAMPLES
    from panther.isa.encoding import encode, make
    for mnemonic, (text, ops) in EXAMPLES.items():
        image = assemble(text, config=PRESETS["small"], filename="example")
        assert image.programs[0] == [encode(make(mnemonic, **ops))], mnemonic
    assert set(EXAMPLES) == set(BY_MNEMONIC)


def test_every_summary_mentions_its_semantics():
    for spec in INSTRUCTIONS:
        assert spec.summary and spec.syntax
    for f in ALU_FUNCS:
        # every VFU result is saturated, or provably in range (min/max/relu/relu_d/eq)
        assert "sat(" in f.summary or f.name in ("min", "max", "relu", "relu_d", "eq"), f.name
