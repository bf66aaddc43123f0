"""The scalar ALU and the branch comparator against isa.vfu_math / plain integers."""

import shutil

import numpy as np
import pytest
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


def test_the_ecp5_form_has_the_product_register_in_the_dsp(tmp_path):
    """On an ECP5 platform the product register is the MULT18X18D's output register (no
    input register: no added cycle), and ``mul`` still gives vfu_math's wrapped product a
    cycle later (iverilog, with test_pipelined_mul's behavioural DSP)."""
    from amaranth.back import verilog

    from tests.hdl.core.test_pipelined_mul import ECP5, run_with_dsp_model

    if shutil.which("iverilog") is None:
        pytest.skip("needs iverilog")
    dut = AluInt(config=CFG)
    text = verilog.convert(dut, name="dut", platform=ECP5)
    assert text.count("MULT18X18D") == 1
    for reg, clock in (("INPUTA", "NONE"), ("INPUTB", "NONE"), ("OUTPUT", "CLK0"),
                       ("PIPELINE", "NONE")):
        assert f'.REG_{reg}_CLK("{clock}")' in text
    w, mul = CFG.data_bits, next(f.code for f in ALU_INT_FUNCS if f.name == "mul")
    pairs = _operands()
    lines = [f"a = {w}'d{x % (1 << w)}; b = {w}'d{y % (1 << w)}; @(posedge clk); #1;"
             f' $display("%0d", r);' for x, y in pairs]
    out = run_with_dsp_model(tmp_path, text, f"""
module tb; reg clk = 0; always #5 clk = ~clk;
reg [{w - 1}:0] a; reg [{w - 1}:0] b; wire [{w - 1}:0] r;
dut d(.clk(clk), .rst(1'b0), .fn({len(dut.fn)}'d{mul}), .a(a), .b(b), .result(r));
initial begin #1; {chr(10).join(lines)} $finish; end
endmodule
""")
    got = [int(v) - (1 << w) if int(v) >> (w - 1) else int(v) for v in out]
    assert got == [vfu_math.alu_int("mul", x, y, config=CFG) for x, y in pairs]


def test_mul_operands_feed_the_multiplier_alone():
    """With ``mul_operands`` ``mul`` multiplies ``mul_a`` by ``mul_b`` and every other
    function reads ``a`` and ``b`` (the execute stage drives them from separate copies)."""
    dut = AluInt(config=CFG, mul_operands=True)
    pairs = _operands()
    bad = []

    async def bench(ctx):
        for f in ALU_INT_FUNCS:
            for (a, b), (x, y) in zip(pairs, reversed(pairs)):
                ctx.set(dut.fn, f.code)
                ctx.set(dut.a, a)
                ctx.set(dut.b, b)
                ctx.set(dut.mul_a, x)
                ctx.set(dut.mul_b, y)
                want = (vfu_math.alu_int("mul", x, y, config=CFG) if f.name == "mul"
                        else vfu_math.alu_int(f.name, a, b, config=CFG))
                await ctx.tick()
                if ctx.get(dut.result) != want:
                    bad.append((f.name, a, b, x, y))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert not bad, bad[:5]
