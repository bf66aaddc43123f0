"""AnalogAnswer's ack timing in Amaranth's simulator (the hold registers, Verilog instances
the bridge writes, are left out): ``ack`` in the L-th cycle of ``req`` high, L the modelled
cycles worked out by hand from energy.py's PUMA latencies at 1000 MHz (8.25 ns -> 9 for an
MVM step, 2.25 ns -> 3 for an OPA step, 80.08 / 85.69 ns -> 81 / 86 for a serial row read /
write; a transaction with several operations waits for the longest; an OPA alone is a whole
OPA phase, 16 steps of the OPA latency)."""

import pytest
from amaranth.sim import Simulator

import panther.cosim.analog_answer as analog_answer
from panther.config import PRESETS
from panther.hdl.ports import AnalogOp

#: (op, ideal cycles, modelled cycles)
CASES = [(AnalogOp.MVM, 1, 9), (AnalogOp.MTVM, 1, 9), (AnalogOp.OPA, 16, 16 * 3),
         (AnalogOp.READ, 1, 81), (AnalogOp.WRITE, 1, 86),
         (AnalogOp.MVM | AnalogOp.MTVM | AnalogOp.OPA, 1, 9)]


def cycles_to_ack(config, monkeypatch):
    monkeypatch.setattr(analog_answer, "HELD_MEMBERS", ())
    dut = analog_answer.AnalogAnswer(config)
    seen = []

    async def bench(ctx):
        for op, _, _ in CASES:
            ctx.set(dut.port.op, op)
            ctx.set(dut.port.req, 1)
            n = 1
            while not ctx.get(dut.port.ack):
                await ctx.tick()
                n += 1
                assert n <= 100, f"no ack for {op!r}"
            seen.append(n)
            await ctx.tick()
            ctx.set(dut.port.req, 0)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    return seen


@pytest.mark.parametrize("mode", ["ideal", "modelled"])
def test_ack_after_the_configured_latency(mode, monkeypatch):
    config = PRESETS["small"].replace(analog_latency=mode)
    expected = [modelled if mode == "modelled" else ideal for _, ideal, modelled in CASES]
    assert cycles_to_ack(config, monkeypatch) == expected
