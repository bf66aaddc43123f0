"""The pipelined multiplier (hdl/core/pipelined_mul.py): the behavioural form against Python's
integer product, ``latency`` cycles later; the ECP5 form's MULT18X18D parameters, and its
wiring simulated (iverilog) with a model of the DSP written here from Lattice's description
(TN1267: P = A * B, operands sign-extended under SIGNEDA/SIGNEDB; each REG_* set to a clock is
a register rank)."""

import random
import shutil
import subprocess
from types import SimpleNamespace

import pytest
from amaranth.back import verilog
from amaranth.hdl import signed, unsigned
from amaranth.sim import Simulator

from panther.hdl.core.pipelined_mul import MUL_LATENCY, PipelinedMul, fits_dsp, is_ecp5

ECP5 = SimpleNamespace(family="ecp5")
SHAPES = [(signed(16), signed(18)), (signed(16), unsigned(17)), (unsigned(16), unsigned(17)),
          (unsigned(16), unsigned(13)), (signed(20), signed(20))]


def _values(shape, n, rng):
    lo, hi = (-(1 << (shape.width - 1)), (1 << (shape.width - 1)) - 1) if shape.signed \
        else (0, (1 << shape.width) - 1)
    return [lo, hi, 0, -1 if shape.signed else 1] + [rng.randint(lo, hi) for _ in range(n)]


def _cases(a_shape, b_shape, n=60):
    rng = random.Random(f"{a_shape}{b_shape}")
    a, b = _values(a_shape, n, rng), _values(b_shape, n, rng)
    return list(zip(a, b[::-1]))


@pytest.mark.parametrize("a_shape, b_shape", SHAPES)
def test_the_product_comes_latency_cycles_later_one_per_cycle(a_shape, b_shape):
    dut = PipelinedMul(a_shape=a_shape, b_shape=b_shape)
    assert dut.latency == MUL_LATENCY == 2
    cases = _cases(a_shape, b_shape)
    seen = []

    async def bench(ctx):
        for k in range(len(cases) + dut.latency):
            if k < len(cases):
                ctx.set(dut.a, cases[k][0])
                ctx.set(dut.b, cases[k][1])
            await ctx.tick()
            if k + 1 >= dut.latency:
                seen.append(ctx.get(dut.p))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen[:len(cases)] == [x * y for x, y in cases]


def test_which_operands_fit_the_dsp():
    fits = {(a, b): fits_dsp(a, b) for a, b in SHAPES}
    assert fits == {(signed(16), signed(18)): True, (signed(16), unsigned(17)): True,
                    (unsigned(16), unsigned(17)): True, (unsigned(16), unsigned(13)): True,
                    (signed(20), signed(20)): False}
    assert not fits_dsp(unsigned(18), signed(4))
    assert fits_dsp(signed(18), signed(18))


def test_only_an_ecp5_platform_gets_the_dsp():
    assert is_ecp5(ECP5) and not is_ecp5(None)
    assert not is_ecp5(SimpleNamespace(family="machxo2"))
    behavioural = verilog.convert(PipelinedMul(a_shape=signed(16), b_shape=signed(18)))
    assert "MULT18X18D" not in behavioural
    wide = verilog.convert(PipelinedMul(a_shape=signed(20), b_shape=signed(18)),
                           platform=ECP5)
    assert "MULT18X18D" not in wide


def test_the_ecp5_form_registers_inputs_and_output_in_the_dsp():
    text = verilog.convert(PipelinedMul(a_shape=signed(16), b_shape=signed(18)),
                           platform=ECP5)
    assert text.count("MULT18X18D") == 1
    for reg, clock in (("INPUTA", "CLK0"), ("INPUTB", "CLK0"), ("OUTPUT", "CLK0"),
                       ("PIPELINE", "NONE")):
        assert f'.REG_{reg}_CLK("{clock}")' in text
    assert "always @(posedge" not in text             # no fabric register around it


#: A behavioural MULT18X18D for the pins and parameters the ECP5 form uses.
_DSP_MODEL = """
module MULT18X18D #(parameter REG_INPUTA_CLK = "NONE", parameter REG_INPUTB_CLK = "NONE",
    parameter REG_OUTPUT_CLK = "NONE", parameter REG_PIPELINE_CLK = "NONE",
    parameter REG_INPUTC_CLK = "NONE", parameter GSR = "ENABLED",
    parameter RESETMODE = "SYNC") (
  input CLK0, CE0, RST0, SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
  %s);
  wire [17:0] a = {%s}; wire [17:0] b = {%s};
  reg [17:0] ra, rb; reg [35:0] rp;
  wire [17:0] ia = REG_INPUTA_CLK == "CLK0" ? ra : a;
  wire [17:0] ib = REG_INPUTB_CLK == "CLK0" ? rb : b;
  wire signed [35:0] prod = $signed({{18{SIGNEDA & ia[17]}}, ia}) *
                            $signed({{18{SIGNEDB & ib[17]}}, ib});
  wire [35:0] p = REG_OUTPUT_CLK == "CLK0" ? rp : prod;
  always @(posedge CLK0) if (CE0) begin ra <= a; rb <= b; rp <= prod; end
  assign {%s} = p;
endmodule
"""


def run_with_dsp_model(tmp_path, dut_text, tb_text):
    """Simulate the Verilog ``dut_text`` (its ``MULT18X18D`` instances under the behavioural
    model above) with the testbench ``tb_text`` in iverilog; the words it displays."""
    (tmp_path / "dut.v").write_text(dut_text)
    pins = ", ".join([f"input A{k}" for k in range(18)] + [f"input B{k}" for k in range(18)]
                     + [f"output P{k}" for k in range(36)])
    (tmp_path / "dsp.v").write_text(_DSP_MODEL % (
        pins, ", ".join(f"A{k}" for k in reversed(range(18))),
        ", ".join(f"B{k}" for k in reversed(range(18))),
        ", ".join(f"P{k}" for k in reversed(range(36)))))
    (tmp_path / "tb.v").write_text(tb_text)
    subprocess.run(["iverilog", "-g2012", "-o", "sim", "tb.v", "dut.v", "dsp.v"],
                   cwd=tmp_path, check=True)
    return subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, check=True, capture_output=True,
                          text=True).stdout.split()


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
@pytest.mark.parametrize("a_shape, b_shape", [s for s in SHAPES if s[0].width <= 18
                                              and s[1].width <= 18])
def test_the_ecp5_form_computes_the_product(tmp_path, a_shape, b_shape):
    dut = PipelinedMul(a_shape=a_shape, b_shape=b_shape)
    assert dut.uses_dsp
    cases = _cases(a_shape, b_shape)
    wa, wb, wp = a_shape.width, b_shape.width, len(dut.p)
    lines = [f"a = {wa}'d{x % (1 << wa)}; b = {wb}'d{y % (1 << wb)}; @(posedge clk); #1;"
             f' $display("%0d", p);' for x, y in cases]
    lines += ['@(posedge clk); #1; $display("%0d", p);'] * MUL_LATENCY
    out = run_with_dsp_model(tmp_path, verilog.convert(dut, name="dut", platform=ECP5), f"""
module tb; reg clk = 0; always #5 clk = ~clk;
reg [{wa - 1}:0] a; reg [{wb - 1}:0] b; wire [{wp - 1}:0] p;
dut d(.clk(clk), .rst(1'b0), .a(a), .b(b), .p(p));
initial begin #1; {chr(10).join(lines)} $finish; end
endmodule
""")
    # the product of the case entered at the edge k is seen after edge k + latency - 1
    got = [int(v) for v in out[MUL_LATENCY - 1:MUL_LATENCY - 1 + len(cases)]]
    signed_p = dut.p.shape().signed
    got = [v - (1 << wp) if signed_p and v >> (wp - 1) else v for v in got]
    assert got == [x * y for x, y in cases]
