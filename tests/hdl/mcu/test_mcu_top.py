"""The whole MCU in Amaranth's simulator, its analog port served by analog_models.AnalogMCU.

Expected values come from numpy integer math (_mcu_reference), never from the RTL.
"""

import numpy as np
import pytest
from _mcu_reference import (
    crs_digits_expected,
    mtvm_expected,
    mvm_expected,
    opa_digits_expected,
    random_operands,
)

from panther.analog_models import AnalogMCU
from panther.config import PRESETS, NoiseConfig
from panther.cosim.amaranth_bridge import (
    add_analog_bridge,
    read_buffer,
    run_request,
    simulator,
    write_buffer,
)
from panther.fixed_point import canonical_digits
from panther.hdl.mcu import MCU, McuOp, analytic_cycles, commit_cycles, crs_cycles, rtl_cycles

SMALL = PRESETS["small"]
MVM, MTVM, OPA = McuOp.MVM.value, McuOp.MTVM.value, McuOp.OPA.value


def simulate(config, weights, script):
    """Run ``script(ctx, dut, results)`` on an MCU whose analog half holds ``weights``."""
    amcu = AnalogMCU(config)
    amcu.program(weights)
    dut = MCU(config=config)
    sim = simulator(dut)
    port = add_analog_bridge(sim, dut.analog, amcu)
    results = {}

    async def tb(ctx):
        await script(ctx, dut, results)

    sim.add_testbench(tb)
    sim.run()
    return amcu, port, results


def mvm_mtvm_script(x, v, mask):
    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        res["cycles"] = await run_request(ctx, dut, mask=mask)
        res["xout"] = await read_buffer(ctx, dut, "xout")
        res["xin"] = await read_buffer(ctx, dut, "xin")
        res["overflow"] = ctx.get(dut.overflow)
    return script


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_mvm_and_mtvm_together_are_exact_and_read_operands_first(variant):
    cfg = SMALL.replace(variant=variant)
    rng = np.random.default_rng(10 + variant)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    amcu, port, res = simulate(cfg, weights, mvm_mtvm_script(x, v, MVM | MTVM))
    y, y_ovf = mvm_expected(weights, x, cfg)
    z, z_ovf = mtvm_expected(weights, v, cfg)
    assert res["xout"] == list(y)
    assert res["xin"] == list(z)
    assert res["overflow"] == int(y_ovf or z_ovf)
    assert res["cycles"] == rtl_cycles(cfg, MVM | MTVM)
    assert port.transactions["mvm"] == port.transactions["mtvm"] == cfg.input_steps
    if variant >= 2:    # concurrent: one pass of steps, as fast as one MVM alone
        assert rtl_cycles(cfg, MVM | MTVM) == rtl_cycles(cfg, MVM)
    else:
        assert rtl_cycles(cfg, MVM | MTVM) > rtl_cycles(cfg, MVM)


@pytest.mark.parametrize("mask", [MVM, MTVM])
def test_single_op_leaves_other_buffer_alone(mask):
    cfg = SMALL
    rng = np.random.default_rng(20 + mask)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    _, port, res = simulate(cfg, weights, mvm_mtvm_script(x, v, mask))
    if mask == MVM:
        assert res["xout"] == list(mvm_expected(weights, x, cfg)[0]) and res["xin"] == list(x)
    else:
        assert res["xin"] == list(mtvm_expected(weights, v, cfg)[0]) and res["xout"] == list(v)
    assert res["cycles"] == rtl_cycles(cfg, mask)


def test_saturating_results_set_the_sticky_overflow_flag_until_cleared():
    cfg = SMALL
    weights = np.full((cfg.xbar_size, cfg.xbar_size), 1 << 28)     # 16.0 in Q8.24
    x = np.full(cfg.xbar_size, 1 << 12)                            # 1.0 -> y = 256, saturates
    y, ovf = mvm_expected(weights, x, cfg)
    assert ovf and y[0] == 2**15 - 1

    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await run_request(ctx, dut, mask=MVM)
        res["first"] = ctx.get(dut.overflow)
        await write_buffer(ctx, dut, "xin", np.zeros_like(x))
        await run_request(ctx, dut, mask=MVM)
        res["sticky"] = ctx.get(dut.overflow)
        ctx.set(dut.overflow_clear, 1)
        await ctx.tick()
        ctx.set(dut.overflow_clear, 0)
        res["cleared"] = ctx.get(dut.overflow)
        res["xout"] = await read_buffer(ctx, dut, "xout")

    _, _, res = simulate(cfg, weights, script)
    assert (res["first"], res["sticky"], res["cleared"]) == (1, 1, 0)
    assert res["xout"] == [0] * cfg.xbar_size


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_all_three_ops_saturating_opa_and_commit(variant):
    """mask MVM|MTVM|OPA: MVM/MTVM see the old weights; the OPA lands on the copies of the
    variant exactly as the per-slice clipped integer model says; commit copies 3 -> 1, 2."""
    cfg = SMALL.replace(variant=variant)
    rng = np.random.default_rng(30 + variant)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    before = canonical_digits(weights, cfg)
    after = opa_digits_expected(before, x, v, cfg)
    assert (after != np.clip(after, -7, 6)).any()          # this OPA does saturate slices

    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        res["cycles"] = await run_request(ctx, dut, mask=MVM | MTVM | OPA)
        res["xout"] = await read_buffer(ctx, dut, "xout")
        res["xin"] = await read_buffer(ctx, dut, "xin")
        res["commit"] = await run_request(ctx, dut, commit=True)

    amcu, port, res = simulate(cfg, weights, script)
    assert res["xout"] == list(mvm_expected(weights, x, cfg)[0])
    assert res["xin"] == list(mtvm_expected(weights, v, cfg)[0])
    assert res["cycles"] == rtl_cycles(cfg, MVM | MTVM | OPA)
    # per row 8 reads and 8 writes of 3 cycles each (issue, answer, capture) on variant 3
    assert res["commit"] == (1 + 16 * 8 * 6 if variant == 3 else 1) == commit_cycles(cfg)
    # one transaction per sampling step (MVM, MTVM and, on variant 3, the OPA pulse share
    # one), one for an OPA-only phase (variants 1-2); the variant-3 commit: a serial read
    # and a serial write per row of every slice
    steps, serial = cfg.input_steps, cfg.n_slices * cfg.xbar_size
    assert port.transactions["requests"] == {1: 2 * steps + 1, 2: steps + 1,
                                             3: steps + 2 * serial}[variant]
    assert port.transactions["opa"] == steps
    for c in range(cfg.xbar_copies):
        np.testing.assert_array_equal(amcu.xbars[c].digits(), after)
    if variant == 3:
        serial = cfg.n_slices * cfg.xbar_size
        assert port.transactions["read"] == port.transactions["write"] == serial
    else:
        assert res["commit"] == 1 and port.transactions["read"] == 0


@pytest.mark.parametrize("variant, noise", [
    (1, None), (2, None), (3, None),
    (2, NoiseConfig(seed=99, program_noise=0.2, c2c_update_variation=0.1, dac_gain_error=0.05,
                    dac_inl=0.02))], ids=["v1", "v2", "v3", "v2-noisy"])
def test_opa_alone_is_one_transaction_of_input_steps_cycles(variant, noise):
    """An OPA alone: ONE analog transaction carrying the operand, the analog half applying
    the steps, done one cycle after the last step (start cycle + input_steps); the weights
    as integer math says (ideal) or as the standalone analog model's whole OPA (noisy)."""
    cfg = SMALL.replace(variant=variant, **({} if noise is None else {"noise": noise}))
    rng = np.random.default_rng(45 + variant)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)

    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        res["cycles"] = await run_request(ctx, dut, mask=OPA)
        res["xin"] = await read_buffer(ctx, dut, "xin")

    amcu, port, res = simulate(cfg, weights, script)
    assert res["cycles"] == cfg.input_steps + 1 == rtl_cycles(cfg, OPA)
    assert analytic_cycles(cfg, OPA) == cfg.input_steps
    assert port.transactions == {"mvm": 0, "mtvm": 0, "opa": cfg.input_steps, "read": 0,
                                 "write": 0, "requests": 1}
    assert res["xin"] == list(x)                       # an OPA writes no buffer
    updated = {1: (0,), 2: (0, 1), 3: (2,)}[variant]
    ref = AnalogMCU(cfg)
    ref.program(weights)
    for c in updated:
        ref.opa(c, x, v)
    for c in range(cfg.xbar_copies):
        np.testing.assert_array_equal(amcu.xbars[c].digits(), ref.xbars[c].digits())
    after = opa_digits_expected(canonical_digits(weights, cfg), x, v, cfg)
    if noise is not None:
        assert (amcu.xbars[0].digits() != after).any(), "noise had no effect"
    else:
        for c in range(cfg.xbar_copies):
            expected = after if c in updated else canonical_digits(weights, cfg)
            np.testing.assert_array_equal(amcu.xbars[c].digits(), expected)


def test_variant3_opa_stays_on_copy3_until_commit():
    cfg = SMALL.replace(variant=3)
    rng = np.random.default_rng(40)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    after = opa_digits_expected(canonical_digits(weights, cfg), x, v, cfg)

    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        await run_request(ctx, dut, mask=OPA)

    amcu, _, _ = simulate(cfg, weights, script)
    np.testing.assert_array_equal(amcu.xbars[2].digits(), after)
    for c in (0, 1):
        np.testing.assert_array_equal(amcu.xbars[c].digits(), canonical_digits(weights, cfg))


def test_opa_without_saturation_is_exact_and_crs_renormalises():
    """x in {-1, 0, 1} and v with 4-bit nibbles <= 7: from canonical digits no slice
    saturates, so W += x v exactly; CRS then rewrites canonical digits of the exact sum
    (headroom again for the second OPA); an MVM afterwards is exact."""
    cfg = SMALL
    rng = np.random.default_rng(50)
    n = cfg.xbar_size
    weights, _, _ = random_operands(cfg, rng, weight_bits=24)
    xs = [rng.integers(-1, 2, n) for _ in range(2)]
    vs = [sum(rng.integers(0, 8, n) << (4 * q) for q in range(4)) * rng.choice([-1, 1], n)
          for _ in range(2)]
    digits = canonical_digits(weights, cfg)
    exact = weights.copy()
    for x, v in zip(xs, vs):
        digits = crs_digits_expected(opa_digits_expected(digits, x, v, cfg), cfg)
        exact = exact + np.outer(x, v)
        assert (sum(digits[k] << (4 * k) for k in range(cfg.n_slices)) == exact).all()
    probe = rng.integers(-2**12, 2**12, n)

    async def script(ctx, dut, res):
        for x, v in zip(xs, vs):
            await write_buffer(ctx, dut, "xin", x)
            await write_buffer(ctx, dut, "xout", v)
            await run_request(ctx, dut, mask=OPA)
            await run_request(ctx, dut, crs=True)
        await write_buffer(ctx, dut, "xin", probe)
        await run_request(ctx, dut, mask=MVM)
        res["y"] = await read_buffer(ctx, dut, "xout")

    amcu, port, res = simulate(cfg, weights, script)
    assert (amcu.weights(0) == exact).all()
    np.testing.assert_array_equal(amcu.xbars[0].digits(), digits)
    np.testing.assert_array_equal(digits, canonical_digits(exact, cfg))
    assert res["y"] == list(mvm_expected(exact, probe, cfg)[0])
    assert port.transactions["read"] == port.transactions["write"] == 2 * cfg.n_slices * n


@pytest.mark.parametrize("variant", [2, 3])
def test_crs_after_saturation_on_the_learning_copy(variant):
    cfg = SMALL.replace(variant=variant)
    rng = np.random.default_rng(60 + variant)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    saturated = opa_digits_expected(canonical_digits(weights, cfg), x, v, cfg)
    expected = crs_digits_expected(saturated, cfg)

    async def script(ctx, dut, res):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        await run_request(ctx, dut, mask=OPA)
        res["crs"] = await run_request(ctx, dut, crs=True)

    amcu, _, res = simulate(cfg, weights, script)
    # per row: 8 reads and 8 writes of 3 cycles, 2 + 16 columns + 3 pipeline stages of
    # re-normalisation; plus the strobe cycle
    assert res["crs"] == 1 + 16 * (8 * 6 + 2 + 16 + 3) == crs_cycles(cfg)
    learning = [2] if variant == 3 else [0, 1]
    for c in learning:
        np.testing.assert_array_equal(amcu.xbars[c].digits(), expected)


def test_zero_mask_and_commit_on_variant1_finish_at_once():
    cfg = SMALL

    async def script(ctx, dut, res):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        res["done"] = ctx.get(dut.done)
        res["commit"] = await run_request(ctx, dut, commit=True)

    _, port, res = simulate(cfg, np.zeros((16, 16), dtype=np.int64), script)
    assert res["done"] == 1 and res["commit"] == 1
    assert sum(port.transactions.values()) == 0


@pytest.mark.parametrize("adcs, latency", [(1, 1), (16, 1), (2, 3)])
def test_adc_sharing_sets_the_cycle_count(adcs, latency):
    cfg = SMALL.replace(adcs_per_xbar=adcs, adc_latency=latency)
    rng = np.random.default_rng(70)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    _, _, res = simulate(cfg, weights, mvm_mtvm_script(x, v, MVM))
    assert res["xout"] == list(mvm_expected(weights, x, cfg)[0])
    assert res["cycles"] == rtl_cycles(cfg, MVM)
    conversions = cfg.input_steps * cfg.xbar_size // adcs * latency
    assert res["cycles"] >= conversions
    assert analytic_cycles(cfg, MVM) == conversions + cfg.xbar_size // adcs


def test_noisy_mode_matches_standalone_analog_model():
    noise = NoiseConfig(seed=1234, read_noise=0.3, program_noise=0.2)
    cfg = SMALL.replace(variant=2, adc_bits=8, noise=noise)
    rng = np.random.default_rng(80)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    _, _, res = simulate(cfg, weights, mvm_mtvm_script(x, v, MVM | MTVM))
    ref = AnalogMCU(cfg)
    ref.program(weights)
    y, y_ovf = ref.mvm(0, x)
    z, z_ovf = ref.mtvm(1, v)
    assert res["xout"] == list(y)
    assert res["xin"] == list(z)
    assert res["overflow"] == int(y_ovf.any() or z_ovf.any())
    assert res["xout"] != list(mvm_expected(weights, x, cfg)[0])   # the noise is really on
