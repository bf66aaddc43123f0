"""The RTL VFU against isa.vfu_math, bit for bit, for every ALU function of the ISA table."""

from types import SimpleNamespace

import numpy as np
import pytest
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.vfu import VFU, VFU_IMPLEMENTED
from panther.isa import vfu_math
from panther.isa.table import ALU_FUNCS, SNA_SHIFT_BITS

CFG = PRESETS["small"]
B = CFG.data_bits
LO, HI = -(1 << (B - 1)), (1 << (B - 1)) - 1


def test_every_table_function_is_implemented():
    assert sorted(VFU_IMPLEMENTED) == sorted(f.name for f in ALU_FUNCS)


def _run_vfu(config, cases):
    """cases: list of (fn_name, a, b, d) with lane-vectors; returns list of (result, ovf).

    The cases stream through the pipeline one per cycle, with a one-cycle bubble after every
    fifth, and each result must come out exactly ``latency`` cycles after its case went in."""
    dut = VFU(config=config)
    lanes = config.vfu_lanes
    out = []
    issued = []

    async def bench(ctx):
        cycle = 0
        pending = list(cases)
        while pending or len(out) < len(cases):
            valid = bool(pending) and cycle % 6 != 5
            if valid:
                name, a, b, d = pending.pop(0)
                ctx.set(dut.i_fn, next(f.code for f in ALU_FUNCS if f.name == name))
                for i in range(lanes):
                    ctx.set(dut.i_a[i], int(a[i]))
                    ctx.set(dut.i_b[i], int(b[i]))
                    ctx.set(dut.i_d[i], int(d[i]))
                issued.append(cycle)
            else:   # garbage on the inputs of a bubble must not come out
                ctx.set(dut.i_fn, 0)
                for i in range(lanes):
                    ctx.set(dut.i_a[i], -1)
            ctx.set(dut.i_valid, valid)
            await ctx.tick()
            cycle += 1
            if ctx.get(dut.o_valid):
                assert cycle - issued[len(out)] == dut.latency
                res = [ctx.get(dut.o_result[i]) for i in range(lanes)]
                ovf = [(ctx.get(dut.o_overflow) >> i) & 1 for i in range(lanes)]
                out.append((res, ovf))
            assert ctx.get(dut.busy) == any(0 < cycle - c < dut.latency for c in issued)
            assert cycle < 10 * len(cases) + 100

    sim = Simulator(dut)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    return out


def _expected(config, name, a, b, d):
    if name == "sna":
        # one shift per vector: the immediate
        return vfu_math.vfu(name, a, b, config=config, dst=d)
    return vfu_math.vfu(name, a, b, config=config, dst=d)


def _check(config, cases):
    got = _run_vfu(config, cases)
    for (name, a, b, d), (res, ovf) in zip(cases, got):
        exp, exp_ovf = _expected(config, name, np.asarray(a), np.asarray(b), np.asarray(d))
        assert res == [int(v) for v in exp], (name, list(a), list(b), list(d))
        assert ovf == [int(v) for v in exp_ovf], (name, list(a), list(b), list(d))


def _edge_values(config):
    B, F = config.data_bits, config.data_frac_bits
    lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
    vals = {lo, lo + 1, -1, 0, 1, hi - 1, hi, 1 << F, -(1 << F), (1 << F) - 1, (1 << F) + 1}
    for seg in vfu_math.SIGMOID_PWL:   # PWL segment edges, and half of them (tanh)
        t = vfu_math.raw_constant(seg.lower, config)
        for v in (t - 1, t, t + 1, t // 2, t // 2 + 1, (t - 1) // 2):
            for s in (v, -v):
                if lo <= s <= hi:
                    vals.add(s)
    return sorted(vals)


def _cases_for(config, name, rng, n_random):
    lanes = config.vfu_lanes
    B = config.data_bits
    lo, hi = -(1 << (B - 1)), (1 << (B - 1)) - 1
    edges = _edge_values(config)
    cases = []
    if name == "sna":
        for s in range(-(1 << (SNA_SHIFT_BITS - 1)), 1 << (SNA_SHIFT_BITS - 1)):
            for _ in range(2):
                a = rng.choice(edges + list(rng.integers(lo, hi + 1, 4)), lanes)
                d = rng.choice(edges + list(rng.integers(lo, hi + 1, 4)), lanes)
                # upper immediate bits are ignored: put garbage there
                imm = (s & ((1 << SNA_SHIFT_BITS) - 1)) | (int(rng.integers(0, 1 << (B - SNA_SHIFT_BITS))) << SNA_SHIFT_BITS)
                imm = imm - (1 << B) if imm > hi else imm
                cases.append((name, a, [imm] * lanes, d))
        return cases
    # edges against edges
    pairs = [(x, y) for x in edges for y in edges[::3]]
    for i in range(0, len(pairs), lanes):
        chunk = pairs[i:i + lanes]
        chunk += [(0, 0)] * (lanes - len(chunk))
        cases.append((name, [p[0] for p in chunk], [p[1] for p in chunk], [0] * lanes))
    for _ in range(n_random):
        cases.append((name, rng.integers(lo, hi + 1, lanes), rng.integers(lo, hi + 1, lanes),
                      rng.integers(lo, hi + 1, lanes)))
    return cases


@pytest.mark.parametrize("name", [f.name for f in ALU_FUNCS])
def test_vfu_function_exact(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    _check(CFG, _cases_for(CFG, name, rng, 40))


def test_activation_every_input_exhaustive_sampled():
    """sigmoid, tanh, exp and recip over a dense sweep of the whole input range (every 97th
    word)."""
    lanes = CFG.vfu_lanes
    xs = list(range(LO, HI + 1, 97)) + [HI]
    cases = []
    for name in ("sigmoid", "tanh", "exp", "recip"):
        for i in range(0, len(xs), lanes):
            a = (xs[i:i + lanes] + [0] * lanes)[:lanes]
            cases.append((name, a, [0] * lanes, [0] * lanes))
    _check(CFG, cases)


def test_other_format_and_lane_count():
    """A Q2.5 8-bit configuration with 3 lanes (nothing hard-wired to Q4.12 / 4 lanes)."""
    cfg = CFG.replace(data_bits=8, data_frac_bits=5, vfu_lanes=3, weight_bits=32,
                      weight_frac_bits=10)
    rng = np.random.default_rng(5)
    cases = []
    for f in ALU_FUNCS:
        cases += _cases_for(cfg, f.name, rng, 10)
    _check(cfg, cases)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the project's environment
    given = None

if given is not None:
    _word = st.integers(LO, HI)
    _vec = st.lists(_word, min_size=CFG.vfu_lanes, max_size=CFG.vfu_lanes)
    _case = st.tuples(st.sampled_from([f.name for f in ALU_FUNCS if f.name != "sna"]),
                      _vec, _vec, _vec)
    _sna = st.tuples(st.just("sna"), _vec,
                     st.integers(LO, HI).map(lambda imm: [imm] * CFG.vfu_lanes), _vec)

    @settings(max_examples=15, deadline=None)
    @given(st.lists(st.one_of(_case, _sna), min_size=1, max_size=30))
    def test_vfu_hypothesis(cases):
        _check(CFG, cases)


def test_paper_configuration_lanes():
    """The paper preset's 8 lanes, random vectors of every function."""
    cfg = PRESETS["paper"]
    rng = np.random.default_rng(8)
    cases = []
    for f in ALU_FUNCS:
        cases += _cases_for(cfg, f.name, rng, 4)[-6:]
    _check(cfg, cases)


def test_narrow_words_take_the_whole_immediate():
    """With 8-bit data an alui immediate is wider than a word: it is used unsaturated, and
    min/max saturate when it wins."""
    cfg = CFG.replace(data_bits=8, data_frac_bits=5, vfu_lanes=2, weight_frac_bits=10)
    cases = []
    for name in ("add", "sub", "mul", "min", "max"):
        for a, imm in ((100, 300), (-100, -20000), (5, 32767), (-127, -32768), (3, -2)):
            cases.append((name, [a, -a], [imm, imm], [0, 0]))
    _check(cfg, cases)


def test_eq_on_equal_and_unequal_lanes():
    """eq's mask where the lanes are equal, differ by one LSB or only in sign; with 8-bit data a
    wide immediate never equals a word."""
    cases = [("eq", [v, v, v, -v], [v, v + 1, v - 1, v], [0] * 4)
             for v in (LO + 1, -4096, -1, 0, 1, 4096, HI - 1)]
    _check(CFG, cases)
    cfg = CFG.replace(data_bits=8, data_frac_bits=5, vfu_lanes=2, weight_frac_bits=10)
    _check(cfg, [("eq", [100, -100], [100 + 256, -100], [0, 0]), ("eq", [-128, 5], [-128, 5], [0, 0])])


@pytest.mark.parametrize("bits", [4, 5, 8, 16, 17])
def test_the_divider_steps_cover_the_quotient_with_the_odd_step_first(bits):
    """Issue 20: ``B - 1`` restoring steps in ``recip_stages`` stages, at most
    ``RECIP_STEPS_PER_STAGE`` a stage, every stage but the first full (the first starts from
    ``|a|``'s register; the bit-exact sweeps above check the quotient itself)."""
    from panther.hdl.core.vfu_recip import RECIP_STEPS_PER_STAGE, recip_stages, recip_steps

    config = SimpleNamespace(data_bits=bits)       # the step plan reads data_bits alone
    steps = recip_steps(config)
    assert sum(steps) == bits - 1 and len(steps) == recip_stages(config)
    assert steps[1:] == [RECIP_STEPS_PER_STAGE] * (len(steps) - 1)
    assert 1 <= steps[0] <= RECIP_STEPS_PER_STAGE


def test_every_lane_multiplier_is_a_registered_dsp_on_the_ecp5():
    """On an ECP5 platform each lane's five products (the shared one, ``a log2 e`` and the
    three Horner products) are MULT18X18Ds with their input and output registers; without a
    platform there is none."""
    from amaranth.back import rtlil

    ecp5 = SimpleNamespace(family="ecp5")
    text = rtlil.convert(VFU(config=CFG), platform=ecp5)
    cells = text.split("cell \\MULT18X18D ")[1:]
    assert len(cells) == 5 * CFG.vfu_lanes
    for cell in cells:
        body = cell.split("\n  end")[0]
        for reg in ("INPUTA", "INPUTB", "OUTPUT"):
            assert f'parameter \\REG_{reg}_CLK "CLK0"' in body
    assert "MULT18X18D" not in rtlil.convert(VFU(config=CFG))
