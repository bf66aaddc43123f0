"""A reset in the middle of a request, then requests back to back: the MCU's data registers
have no reset (issue 20), so this checks that each is written before it is read.

The tile testbenches reset the tile between program images (cosim.tile_tb), with the MCUs
possibly stopped mid-request by the previous image's cycle limit. Expected values come from
numpy integer math (_mcu_reference), never from the RTL.
"""

import numpy as np
import pytest
from _mcu_reference import mtvm_expected, mvm_expected, opa_digits_expected, random_operands
from amaranth.hdl import ClockDomain, Elaboratable, Module, ResetSignal, Signal

from panther.analog_models import AnalogMCU
from panther.config import PRESETS
from panther.cosim.amaranth_bridge import (
    add_analog_bridge,
    read_buffer,
    run_request,
    simulator,
    write_buffer,
)
from panther.fixed_point import canonical_digits, weights_from_digits
from panther.hdl.mcu import MCU, McuOp, commit_cycles, crs_cycles, rtl_cycles

SMALL = PRESETS["small"]
MVM, MTVM, OPA = McuOp.MVM.value, McuOp.MTVM.value, McuOp.OPA.value


class _WithReset(Elaboratable):
    """The MCU in a ``sync`` domain whose reset is the signal ``rst``."""

    def __init__(self, mcu):
        self.mcu = mcu
        self.rst = Signal()

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain("sync")
        m.d.comb += ResetSignal("sync").eq(self.rst)
        m.submodules.mcu = self.mcu
        return m


async def _reset_midway(ctx, top, dut, cycles, **request):
    """Strobe ``request`` (as :func:`run_request`), reset the MCU ``cycles`` cycles later
    (still busy), and check it is idle after."""
    if "mask" in request:
        ctx.set(dut.start_mask, request["mask"])
        ctx.set(dut.start, 1)
    ctx.set(dut.crs, int(request.get("crs", False)))
    ctx.set(dut.commit, int(request.get("commit", False)))
    await ctx.tick()
    for s in (dut.start, dut.crs, dut.commit):
        ctx.set(s, 0)
    await ctx.tick().repeat(cycles)
    assert ctx.get(dut.busy)
    ctx.set(top.rst, 1)
    await ctx.tick()
    ctx.set(top.rst, 0)
    await ctx.tick()
    assert not ctx.get(dut.busy) and not ctx.get(dut.done)


@pytest.mark.parametrize("variant", [1, 3])
def test_requests_after_a_reset_midway_are_exact(variant):
    """MVM|MTVM cut by a reset, then MVM and MTVM back to back (MTVM's input is the MVM's
    result in XBarOut), then MVM|MTVM|OPA; a CRS (and on variant 3 a commit) cut by a reset
    and run again; a final MVM sees the re-normalised weights."""
    cfg = SMALL.replace(variant=variant)
    rng = np.random.default_rng(80 + variant)
    weights, x, v = random_operands(cfg, rng, weight_bits=26)
    x2, v2 = random_operands(cfg, rng)[1:]
    probe = random_operands(cfg, rng)[1]
    saturated = opa_digits_expected(canonical_digits(weights, cfg), x2, v2, cfg)
    assert (saturated != np.clip(saturated, -7, 6)).any()       # the OPA saturates slices
    learned = weights_from_digits(saturated, cfg)
    dut = MCU(config=cfg)
    top = _WithReset(dut)
    amcu = AnalogMCU(cfg)
    amcu.program(weights)
    sim = simulator(top)
    add_analog_bridge(sim, dut.analog, amcu)
    res = {}

    async def tb(ctx):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        # Every cycle of a sampling step (issue, answer, the ADC rounds) and of a row's
        # re-normalisation (after its serial reads) is cut once.
        step = rtl_cycles(cfg, MVM) // cfg.input_steps + 1
        for cut in range(step):
            await _reset_midway(ctx, top, dut, rtl_cycles(cfg, MVM | MTVM) // 2 + cut,
                                mask=MVM | MTVM)
        await write_buffer(ctx, dut, "xin", x)
        await run_request(ctx, dut, mask=MVM)
        res["cycles"] = await run_request(ctx, dut, mask=MTVM)
        res["y"] = await read_buffer(ctx, dut, "xout")
        res["z"] = await read_buffer(ctx, dut, "xin")
        await write_buffer(ctx, dut, "xin", x2)
        await write_buffer(ctx, dut, "xout", v2)
        await run_request(ctx, dut, mask=MVM | MTVM | OPA)
        res["y2"] = await read_buffer(ctx, dut, "xout")
        res["z2"] = await read_buffer(ctx, dut, "xin")
        # (Not during the serial writes: a row half written back changes its weights.)
        row = (crs_cycles(cfg) - 1) // cfg.xbar_size
        for cut in range(0, cfg.xbar_size + 3, 3):
            await _reset_midway(ctx, top, dut, row + 3 * cfg.n_slices + 1 + cut, crs=True)
        await run_request(ctx, dut, crs=True)
        if variant == 3:
            for cut in (0, 5, 9):
                await _reset_midway(ctx, top, dut, commit_cycles(cfg) // 3 + cut, commit=True)
            await run_request(ctx, dut, commit=True)
        await write_buffer(ctx, dut, "xin", probe)
        await run_request(ctx, dut, mask=MVM)
        res["probe"] = await read_buffer(ctx, dut, "xout")

    sim.add_testbench(tb)
    sim.run()
    y = mvm_expected(weights, x, cfg)[0]
    assert res["y"] == list(y)
    assert res["z"] == list(mtvm_expected(weights, y, cfg)[0])
    assert res["cycles"] == rtl_cycles(cfg, MTVM)
    assert res["y2"] == list(mvm_expected(weights, x2, cfg)[0])
    assert res["z2"] == list(mtvm_expected(weights, v2, cfg)[0])
    for c in range(cfg.xbar_copies):
        np.testing.assert_array_equal(amcu.xbars[c].digits(), canonical_digits(learned, cfg))
    assert res["probe"] == list(mvm_expected(learned, probe, cfg)[0])
