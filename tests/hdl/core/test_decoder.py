"""The RTL decoder against isa.encoding.decode, for every instruction and illegal words."""

import numpy as np
from amaranth.sim import Simulator

from panther.hdl.core import FIELD_SLOTS, Decoder, ErrorCode
from panther.isa.encoding import IllegalInstruction, decode, encode, make
from panther.isa.table import (
    ALU_FUNCS,
    ALU_INT_FUNCS,
    BRANCH_CONDS,
    INSTR_BITS,
    INSTRUCTIONS,
    OPCODE_LSB,
)

PROG_LEN = 1000


def _words():
    """Legal words of every instruction (random operands) plus mutated (often illegal) ones."""
    rng = np.random.default_rng(1)
    words = []
    for spec in INSTRUCTIONS:
        for _ in range(6):
            ops = {}
            for f in spec.fields:
                low, high = f.value_range
                ops[f.name] = int(rng.integers(low, high + 1))
            if spec.mnemonic in ("alu", "alui"):
                choices = [f.code for f in ALU_FUNCS if spec.mnemonic == "alui" or not f.imm_only]
                ops["fn"] = int(rng.choice(choices))
            if spec.mnemonic == "alu_int":
                ops["fn"] = int(rng.choice([f.code for f in ALU_INT_FUNCS]))
            if spec.mnemonic == "br":
                ops["cond"] = int(rng.choice([c.code for c in BRANCH_CONDS]))
            words.append(encode(make(spec.mnemonic, **ops)))
    mutated = []
    for w in words:
        for _ in range(3):
            mutated.append(w ^ (1 << int(rng.integers(0, INSTR_BITS))))
    for opcode in range(1 << 6):
        mutated.append(opcode << OPCODE_LSB)
        mutated.append((opcode << OPCODE_LSB) | int(rng.integers(0, 1 << OPCODE_LSB)))
    for f in ALU_FUNCS:     # every fn code in alu and alui, legal or not
        for mnem in ("alu", "alui"):
            mutated.append((dict((s.mnemonic, s.opcode) for s in INSTRUCTIONS)[mnem] << OPCODE_LSB)
                           | (f.code << 52))
    return words + mutated


def test_decoder_matches_isa_encoding():
    dut = Decoder()
    words = _words()
    results = []

    async def bench(ctx):
        for k, w in enumerate(words):
            pc = k % (PROG_LEN + 20)
            ctx.set(dut.fetch.word, w)
            ctx.set(dut.fetch.pc, pc)
            ctx.set(dut.pc_range, pc >= PROG_LEN)
            d = dut.decode
            fields = {name: ctx.get(d[name]) for name in FIELD_SLOTS}
            ops = {spec.mnemonic: ctx.get(d.op[spec.mnemonic]) for spec in INSTRUCTIONS}
            fields["dp_addr"] = ctx.get(d.dp_addr)
            fault = ctx.get(d.fault)
            results.append((w, pc, ErrorCode(getattr(fault, 'value', fault)), ops, fields,
                            ctx.get(d.pc)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    n_legal = 0
    for w, pc, fault, ops, fields, d_pc in results:
        assert d_pc == pc
        try:
            instr = decode(w)
        except IllegalInstruction:
            instr = None
        if pc >= PROG_LEN:
            assert fault == ErrorCode.PC_RANGE
            continue
        if instr is None:
            assert fault == ErrorCode.ILLEGAL_INSTRUCTION, hex(w)
            continue
        n_legal += 1
        assert fault == ErrorCode.NONE, hex(w)
        assert ops == {s.mnemonic: int(s.mnemonic == instr.mnemonic) for s in INSTRUCTIONS}
        for name, value in instr.operands.items():
            assert fields[name] == value, (hex(w), name)
        # The operand address DISPATCH presents: set writes dst, ldx/stx read base.
        if instr.mnemonic == "set":
            assert fields["dp_addr"] == instr.operands["dst"], hex(w)
        elif instr.mnemonic in ("ldx", "stx"):
            assert fields["dp_addr"] == instr.operands["base"], hex(w)
    assert n_legal >= 6 * len(INSTRUCTIONS)
