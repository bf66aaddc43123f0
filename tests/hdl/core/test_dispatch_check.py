"""The dispatch check against an integer model of its rules (docs/semantics.md §4, §6; the
golden model's order): random words of every instruction, with operands at and around the
range limits, on the small preset and the FPGA tile's configuration."""

import pathlib

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from panther.config import PRESETS, PantherConfig
from panther.hdl.core import Decoder, DispatchCheck, DispatchCompare
from panther.isa.encoding import IllegalInstruction, decode, encode, make
from panther.isa.faults import CoreFault
from panther.isa.table import ALU_FUNCS, ALU_INT_FUNCS, BRANCH_CONDS, INSTRUCTIONS

TILE = pathlib.Path(__file__).parents[3] / "hdl" / "fpga" / "ulx3s_tile_config.json"


def _expected(instr, c):
    """The fault of a legal instruction when dispatched, by the rules in integers."""
    o, name = instr.operands, instr.mnemonic
    vw = o.get("vw", 1)

    def out(addr, width):
        return addr + width > c.addr_space

    if name == "set" and out(o["dst"], 1):
        return CoreFault.ADDRESS_RANGE
    if name == "cp" and (out(o["src"], vw) or out(o["dst"], vw)):
        return CoreFault.ADDRESS_RANGE
    if name in ("alu", "alui"):
        sna = name == "alui" and o["fn"] == next(f.code for f in ALU_FUNCS if f.name == "sna")
        if (out(o["src1"], vw) or (name == "alu" and out(o["src2"], vw))
                or (sna and out(o["dst"], vw))):
            return CoreFault.ADDRESS_RANGE
    if name in ("ld", "st"):
        if o["saddr"] + vw > c.smem_user_depth:
            return CoreFault.SMEM_ADDRESS_RANGE
        if out(o["dst"] if name == "ld" else o["src"], vw):
            return CoreFault.ADDRESS_RANGE
    if name in ("ldx", "stx") and out(o["base"], 1):
        return CoreFault.ADDRESS_RANGE
    if name in ("send", "recv"):
        if o["tile"] >= c.tiles_per_node or o["core"] >= c.cores_per_tile:
            return CoreFault.NO_SUCH_TILE
        if out(o["src"] if name == "send" else o["dst"], vw):
            return CoreFault.ADDRESS_RANGE
    if name in ("alu_int", "br") and (out(o["src1"], 1) or out(o["src2"], 1)
                                      or (name == "alu_int" and out(o["dst"], 1))):
        return CoreFault.ADDRESS_RANGE
    if name == "mcu" and any(o[f"m{k}"] for k in range(c.mcus_per_core, 6)):
        return CoreFault.NO_SUCH_MCU
    if name == "crs" and o["mask"] >> c.mcus_per_core:
        return CoreFault.NO_SUCH_MCU
    return CoreFault.NONE


def _operand(rng, f, c):
    """A value of field ``f``, often at or next to a limit of ``c``."""
    low, high = f.value_range
    limits = {"addr": [c.addr_space], "saddr": [c.smem_user_depth], "vw": [1, 2],
              "tile": [c.tiles_per_node], "core": [c.cores_per_tile]}.get(f.kind, [])
    near = [v + d for v in limits for d in (-2, -1, 0, 1) if low <= v + d <= high]
    if near and rng.random() < 0.5:
        return int(rng.choice(near))
    return int(rng.integers(low, high + 1))


def _words(c):
    rng = np.random.default_rng(3)
    words = []
    for spec in INSTRUCTIONS:
        for _ in range(60):
            ops = {f.name: _operand(rng, f, c) for f in spec.fields}
            if spec.mnemonic in ("alu", "alui"):
                ops["fn"] = int(rng.choice([f.code for f in ALU_FUNCS
                                            if spec.mnemonic == "alui" or not f.imm_only]))
            if spec.mnemonic == "alu_int":
                ops["fn"] = int(rng.choice([f.code for f in ALU_INT_FUNCS]))
            if spec.mnemonic == "br":
                ops["cond"] = int(rng.choice([b.code for b in BRANCH_CONDS]))
            if spec.mnemonic in ("mcu", "crs") and rng.random() < 0.5:
                ops = {k: 0 for k in ops}
            words.append(encode(make(spec.mnemonic, **ops)))
    words += [w ^ (1 << int(rng.integers(0, 64))) for w in words[::7]]     # often illegal
    return words


@pytest.mark.parametrize("which", ["small", "tile"])
def test_dispatch_check_matches_the_rules(which):
    c = PRESETS["small"] if which == "small" else PantherConfig.from_json(TILE.read_text())
    dec, cmp, check = Decoder(), DispatchCompare(config=c), DispatchCheck(config=c)
    words = _words(c)
    got = []

    async def bench(ctx):
        for k, w in enumerate(words):
            pc_range = int(k % 17 == 0)
            ctx.set(dec.fetch.word, w)
            ctx.set(dec.pc_range, pc_range)
            ctx.set(cmp.word, w)
            ctx.set(check.flags, ctx.get(cmp.flags))    # a register between them in Fetch
            ctx.set(check.legal_op, ctx.get(dec.legal_op))
            ctx.set(check.pc_range, pc_range)
            fault = ctx.get(check.fault)
            got.append((w, pc_range, CoreFault(getattr(fault, "value", fault)),
                        ctx.get(check.quick), ctx.get(check.vec_out)))

    m = Module()
    m.submodules.dec, m.submodules.cmp, m.submodules.check = dec, cmp, check
    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    seen = set()
    vec_outs = set()
    for w, pc_range, fault, quick, vec_out in got:
        try:
            instr = decode(w)
        except IllegalInstruction:
            instr = None
        if pc_range:
            want = CoreFault.PC_RANGE
        elif instr is None:
            want = CoreFault.ILLEGAL_INSTRUCTION
        else:
            want = _expected(instr, c)
        assert fault == want, (hex(w), pc_range)
        name = instr.mnemonic if instr is not None else None
        ok = want == CoreFault.NONE
        assert quick == int(ok and name in ("nop", "jmp", "set")), hex(w)
        if name in ("ldx", "stx"):     # the vector's range, raised after the base's read
            o = instr.operands
            want_out = (o["dst"] if name == "ldx" else o["src"]) + o["vw"] > c.addr_space
            assert vec_out == int(want_out), hex(w)
            vec_outs.add(vec_out)
        seen.add(want)
    assert seen == {CoreFault.NONE, CoreFault.PC_RANGE, CoreFault.ILLEGAL_INSTRUCTION,
                    CoreFault.ADDRESS_RANGE, CoreFault.SMEM_ADDRESS_RANGE,
                    CoreFault.NO_SUCH_TILE, CoreFault.NO_SUCH_MCU}
    assert vec_outs == {0, 1}
