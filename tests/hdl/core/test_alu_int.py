"""The scalar ALU and the branch comparator against isa.vfu_math / plain integers."""

import numpy as np
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.alu_int import ALU_INT_IMPLEMENTED, AluInt
from panther.hdl.core.branch import BranchCompare
from panther.isa import vfu_math
from panther.isa.table import ALU_INT_FUNCS, BRANCH_CONDS

CFG = PRESETS["small"]
LO, HI = -(1 << (CFG.data_bits - 1)), (1 << (CFG.data_bits - 1)) - 1


def _operands():
    rng = np.random.default_rng(3)
    edges = [LO, LO + 1, -17, -1, 0, 1, 15, 16, 17, HI - 1, HI]
    pairs = [(a, b) for a in edges for b in edges]
    pairs += [tuple(int(v) for v in rng.integers(LO, HI + 1, 2)) for _ in range(100)]
    return pairs


def test_alu_int_table_complete():
    assert sorted(ALU_INT_IMPLEMENTED) == sorted(f.name for f in ALU_INT_FUNCS)


def test_alu_int_matches_vfu_math_a_cycle_later():
    """Each result appears a cycle after its inputs (the ALU registers it, issue 20) and not
    before: in the cycle the inputs change, ``result`` still shows the previous pair's."""
    dut = AluInt(config=CFG)
    assert AluInt.latency == 1
    pairs = _operands()
    bad = []

    async def bench(ctx):
        previous = None
        for f in ALU_INT_FUNCS:
            for a, b in pairs:
                ctx.set(dut.fn, f.code)
                ctx.set(dut.a, a)
                ctx.set(dut.b, b)
                want = vfu_math.alu_int(f.name, a, b, config=CFG)
                if previous is not None and ctx.get(dut.result) != previous:
                    bad.append(("early", f.name, a, b))
                await ctx.tick()
                got = ctx.get(dut.result)
                if got != want:
                    bad.append((f.name, a, b, got, want))
                previous = want

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]


def test_branch_conditions():
    dut = BranchCompare(config=CFG)
    pairs = _operands()
    reference = {"beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
                 "blt": lambda a, b: a < b, "bge": lambda a, b: a >= b}
    bad = []

    async def bench(ctx):
        for cond in BRANCH_CONDS:
            ctx.set(dut.cond, cond.code)
            for a, b in pairs:
                ctx.set(dut.a, a)
                ctx.set(dut.b, b)
                if ctx.get(dut.taken) != int(reference[cond.name](a, b)):
                    bad.append((cond.name, a, b))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]
