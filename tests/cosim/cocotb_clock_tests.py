"""cocotb test of the clock a top level generates itself, run by tests/cosim/test_design_clock.py.

Expected values: the period the test asks for and the counter's own definition (it counts
rising edges of ``clk``), never read back from the generator."""

import os

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer
from cocotb.utils import get_sim_time

from panther.cosim.clock import DesignClock, start_clock

PERIOD = int(os.environ["CLOCK_TEST_PERIOD"])
DESIGN = os.environ["CLOCK_TEST_DESIGN"] == "1"


@cocotb.test()
async def generated_clock_has_the_period_and_drives_the_design(dut):
    await Timer(3 * PERIOD, unit="ps")
    assert int(dut.count.value) == 0            # no clock before the testbench starts it
    clock = start_clock(dut.clk, PERIOD)
    assert isinstance(clock, DesignClock) == DESIGN
    await RisingEdge(dut.clk)
    rises = [get_sim_time("ps")]
    for _ in range(3):
        await RisingEdge(dut.clk)
        rises.append(get_sim_time("ps"))
    assert [b - a for a, b in zip(rises, rises[1:])] == [PERIOD] * 3
    await FallingEdge(dut.clk)
    assert get_sim_time("ps") - rises[-1] == PERIOD // 2
    before = int(dut.count.value)
    await ClockCycles(dut.clk, 10)
    await FallingEdge(dut.clk)                      # read where the count has settled
    assert int(dut.count.value) == before + 10
    await Timer(5 * PERIOD, unit="ps")              # 5 rising edges in 5 periods
    assert int(dut.count.value) == before + 15
