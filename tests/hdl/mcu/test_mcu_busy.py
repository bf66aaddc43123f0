"""An MCU's ``busy`` and its requests while busy (Amaranth simulator, analog port served by
analog_models.AnalogMCU).

The controller takes a request only while idle (``busy`` low): ``busy`` rises the cycle after
the request and falls with the ``done`` pulse, and a ``start`` while busy neither starts
anything nor snapshots the XBar buffers again. Expected values from numpy integer math
(_mcu_reference).
"""

import numpy as np
from _mcu_reference import mtvm_expected, mvm_expected, random_operands

from panther.analog_models import AnalogMCU
from panther.config import PRESETS
from panther.cosim.amaranth_bridge import add_analog_bridge, read_buffer, simulator, write_buffer
from panther.hdl.mcu import MCU, McuOp, rtl_cycles

V1 = PRESETS["small"].replace(variant=1)        # MVM then MTVM: two phases, two restarts
MASK = McuOp.MVM.value | McuOp.MTVM.value


def test_a_start_while_busy_is_ignored_and_busy_spans_the_request():
    rng = np.random.default_rng(70)
    weights, x, v = random_operands(V1, rng, weight_bits=26)
    _, x2, v2 = random_operands(V1, rng, weight_bits=26)
    amcu = AnalogMCU(V1)
    amcu.program(weights)
    dut = MCU(config=V1)
    sim = simulator(dut)
    add_analog_bridge(sim, dut.analog, amcu)
    res = {}

    async def tb(ctx):
        await write_buffer(ctx, dut, "xin", x)
        await write_buffer(ctx, dut, "xout", v)
        ctx.set(dut.start_mask, MASK)
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        # From the third cycle: new operands, one word a cycle, then a second start, while
        # the first request runs.
        n = V1.xbar_size
        writes = [("xin", i, x2[i]) for i in range(n)] + [("xout", i, v2[i]) for i in range(n)]
        busy, dones = [], 0
        while not ctx.get(dut.done):
            busy.append(ctx.get(dut.busy))
            k = len(busy) - 3
            for name in ("xin", "xout"):
                ctx.set(getattr(dut, name).w_en, 0)
            if 0 <= k < len(writes):
                name, i, value = writes[k]
                buf = getattr(dut, name)
                ctx.set(buf.w_addr, i)
                ctx.set(buf.w_data, int(value))
                ctx.set(buf.w_en, 1)
            ctx.set(dut.start, int(k == len(writes)))
            await ctx.tick()
        ctx.set(dut.start, 0)
        res["busy"], res["busy_at_done"] = busy, ctx.get(dut.busy)
        for _ in range(rtl_cycles(V1, MASK)):
            await ctx.tick()
            dones += ctx.get(dut.done)
        res["late_dones"] = dones
        res["xout"] = await read_buffer(ctx, dut, "xout")
        res["xin"] = await read_buffer(ctx, dut, "xin")

    sim.add_testbench(tb)
    sim.run()
    # busy from the cycle after the start until the cycle before `done` (rtl_cycles counts
    # the strobe's cycle too)
    assert rtl_cycles(V1, MASK) > 2 * V1.xbar_size + 4      # the second start is inside
    assert res["busy"] == [1] * (rtl_cycles(V1, MASK) - 1)
    assert res["busy_at_done"] == 0 and res["late_dones"] == 0
    assert res["xout"] == list(mvm_expected(weights, x, V1)[0])
    assert res["xin"] == list(mtvm_expected(weights, v, V1)[0])
