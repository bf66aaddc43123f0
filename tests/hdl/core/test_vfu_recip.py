"""The reciprocal divider of a VFU lane (``hdl/core/vfu_recip.py``) against the golden
semantics ``isa.vfu_math`` (``recip_raw``, saturated), for every input word, and the depth of
one divider stage."""

import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import Cat, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.vfu_recip import RecipPipeline, recip_steps
from panther.hdl.core.vfu_recip_radix4 import radix2_step, radix4_step
from panther.isa import vfu_math

CFG = PRESETS["small"]


class _Recip(wiring.Component):
    """An input register, the divider, and its result and overflow into output registers."""

    def __init__(self, *, config):
        self.config = config
        B = config.data_bits
        super().__init__({"a": In(signed(B)), "y": Out(signed(B)), "ovf": Out(1)})

    def elaborate(self, platform):
        m = Module()
        a = Signal(signed(self.config.data_bits), name="a_r")
        m.d.sync += a.eq(self.a)
        self.pipe = RecipPipeline(m, self.config, a, prefix="t_")
        value, ovf = self.pipe.result(m, prefix="t_")
        m.d.sync += [self.y.eq(value), self.ovf.eq(ovf)]
        return m


def _run(config, words):
    """Streams ``words`` through the divider, one a cycle; returns (results, overflows)."""
    dut = _Recip(config=config)
    words = [int(w) for w in words]
    got = []

    async def bench(ctx):
        latency = None
        for cycle in range(len(words) + 64):
            if cycle < len(words):
                ctx.set(dut.a, words[cycle])
            await ctx.tick()
            if latency is None:
                latency = dut.pipe.stages + 2        # input and output registers
            if cycle + 1 >= latency and len(got) < len(words):
                got.append((ctx.get(dut.y), ctx.get(dut.ovf)))

    sim = Simulator(dut)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    return np.array([g[0] for g in got]), np.array([g[1] for g in got], dtype=bool)


def _check_all(config):
    B = config.data_bits
    words = np.arange(-(1 << (B - 1)), 1 << (B - 1), dtype=np.int64)
    words = np.concatenate([words, np.random.default_rng(B).permutation(words)])
    value, ovf = _run(config, words)
    exp, exp_ovf = vfu_math.VFU_FUNCTIONS["recip"](words, 0, 0, config)
    bad = np.flatnonzero((value != exp) | (ovf != exp_ovf))
    assert bad.size == 0, [(int(words[i]), int(value[i]), int(exp[i])) for i in bad[:8]]


@pytest.mark.slow
def test_every_q4_12_word():
    """All 65536 Q4.12 words, in order and shuffled (so no result depends on the previous
    word's registers)."""
    _check_all(CFG)


@pytest.mark.parametrize("bits, frac", [(8, 5), (9, 4), (11, 8), (12, 6)])
def test_every_word_of_other_formats(bits, frac):
    """Every word of narrower formats; with 9 and 11 bits ``B - 1`` is even and the first stage
    then takes two radix-2 steps."""
    _check_all(SimpleNamespace(data_bits=bits, data_frac_bits=frac))


class _Stage(wiring.Component):
    """One divider stage between registers: one radix-4 step, or ``steps`` radix-2 steps."""

    def __init__(self, *, radix4, steps=1, B=16):
        self.radix4, self.steps, self.B = radix4, steps, B
        super().__init__({"rem": In(B), "low": In(2), "mag": In(B), "mag3": In(B + 1),
                          "out": Out(B + 2)})

    def elaborate(self, platform):
        m = Module()
        rem, low, mag, mag3 = (Signal.like(getattr(self, n), name=n + "_r")
                               for n in ("rem", "low", "mag", "mag3"))
        m.d.sync += [rem.eq(self.rem), low.eq(self.low), mag.eq(self.mag), mag3.eq(self.mag3)]
        if self.radix4:
            rem, bits = radix4_step(m, "x", Cat(low, rem), mag, mag3)
        else:
            bits = []
            for i in reversed(range(self.steps)):
                rem, ge = radix2_step(m, f"x{i}", Cat(low[i], rem), mag)
                bits.append(ge)
        m.d.sync += self.out.eq(Cat(rem, *bits))
        return m


def test_a_radix4_stage_is_one_subtractor_and_a_mux_deep(tmp_path):
    """Generic logic levels (Yosys ``ltp -noff``, no ABC) register to register: the radix-4
    stage is as deep as one radix-2 step plus a mux level, and much less deep than two
    radix-2 steps in a row (the stage it replaces)."""
    from panther.hdl.synth import synthesize

    levels = {}
    for name, stage in (("r4", _Stage(radix4=True)), ("r2", _Stage(radix4=False)),
                        ("r2x2", _Stage(radix4=False, steps=2))):
        (tmp_path / f"{name}.v").write_text(verilog.convert(stage, name=name, emit_src=False))
        levels[name] = synthesize(tmp_path, f"{name}.v", name)["logic_levels"]
    assert levels["r4"] <= levels["r2"] + 2
    assert levels["r4"] < levels["r2x2"] - 6


ECP5 = SimpleNamespace(family="ecp5")

#: ECP5 primitives as Lattice documents them: a LUT4 is ``INIT[{D, C, B, A}]``, a PFUMX
#: ``C0 ? ALUT : BLUT``.
_PRIMITIVES = """
module LUT4 #(parameter [15:0] INIT = 16'h0000) (input A, B, C, D, output Z);
  assign Z = INIT[{D, C, B, A}];
endmodule
module PFUMX (input ALUT, BLUT, C0, output Z);
  assign Z = C0 ? ALUT : BLUT;
endmodule
"""


def test_the_lut4_init_is_a_2to1_mux():
    from panther.hdl.core.vfu_recip_radix4 import mux_lut4_init

    init = mux_lut4_init()
    for i in range(16):
        a, b, c = i & 1, (i >> 1) & 1, (i >> 2) & 1
        assert (init >> i) & 1 == (c if a else b)


def test_only_an_ecp5_platform_gets_luts_and_pfumxes():
    dut = _Recip(config=CFG)
    ecp5 = verilog.convert(dut, name="top", platform=ECP5)
    # radix-4 stages 3..9 of Q4.12; the last one's remainder is unused, but the mux is there
    assert ecp5.count("PFUMX ") == 7 * (CFG.data_bits - 1)
    assert ecp5.count("LUT4 ") == 2 * 7 * (CFG.data_bits - 1)
    plain = verilog.convert(_Recip(config=CFG), name="top")
    assert "PFUMX" not in plain and "LUT4" not in plain


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")
def test_the_ecp5_form_every_q4_12_word(tmp_path):
    """The ECP5 form (LUT4 and PFUMX instances) in iverilog against ``vfu_math``: every
    Q4.12 word, in order and shuffled."""
    B = CFG.data_bits
    words = np.arange(-(1 << (B - 1)), 1 << (B - 1), dtype=np.int64)
    words = np.concatenate([words, np.random.default_rng(1).permutation(words)])
    dut = _Recip(config=CFG)
    (tmp_path / "dut.v").write_text(verilog.convert(dut, name="dut", platform=ECP5))
    (tmp_path / "prims.v").write_text(_PRIMITIVES)
    (tmp_path / "words.hex").write_text("\n".join(f"{int(w) & 0xFFFF:04x}" for w in words))
    latency = 1 + len(recip_steps(CFG)) + 1      # edges from a_r to y: |a|, the divider, y
    (tmp_path / "tb.v").write_text(f"""
module tb; reg clk = 0; always #5 clk = ~clk;
reg [{B - 1}:0] mem [0:{len(words) - 1}]; reg [{B - 1}:0] a; wire [{B - 1}:0] y; wire ovf;
integer i;
dut d(.clk(clk), .rst(1'b0), .a(a), .y(y), .ovf(ovf));
initial begin $readmemh("words.hex", mem);
  for (i = 0; i < {len(words) + latency}; i = i + 1) begin
    a = i < {len(words)} ? mem[i] : 0; @(posedge clk); #1;
    if (i >= {latency}) $display("%0d %0d", y, ovf);
  end
  $finish; end
endmodule
""")
    subprocess.run(["iverilog", "-g2012", "-o", "sim", "tb.v", "dut.v", "prims.v"],
                   cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "sim"], cwd=tmp_path, check=True, capture_output=True,
                         text=True).stdout.split()
    value = np.array([int(v) for v in out[0::2]], dtype=np.int64)
    value = np.where(value >> (B - 1), value - (1 << B), value)
    ovf = np.array([int(v) for v in out[1::2]], dtype=bool)
    exp, exp_ovf = vfu_math.VFU_FUNCTIONS["recip"](words, 0, 0, CFG)
    assert value.size == words.size
    bad = np.flatnonzero((value != exp) | (ovf != exp_ovf))
    assert bad.size == 0, [(int(words[i]), int(value[i]), int(exp[i])) for i in bad[:8]]
