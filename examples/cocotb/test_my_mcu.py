"""A user's own cocotb test of the generated MCU (``panther verilog --top mcu``).

It drives the MCU's core port itself, serves the analog port with the project's bridge and
analog models, runs one MVM on numpy data and checks it against integer arithmetic written
here from docs/semantics.md (not against the project's own models). Run it with
``pytest test_runner.py`` (cocotb runner) or ``make`` (cocotb Makefile); see
docs/your_own_test.md.
"""

import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles

from panther.analog_models import AnalogMCU
from panther.config import load_config
from panther.cosim.clock import period_ps, start_clock
from panther.cosim.mcu_bridge import McuDriver, start_mcu_bridge
from panther.fixed_point import signed_range
from panther.hdl.mcu import McuOp

#: The configuration the Verilog was generated for (a preset name or a JSON file).
CONFIG = load_config(os.environ.get("PANTHER_CONFIG", "small"))


def expected_mvm(w_raw, x_raw, config):
    """``y = W^T x`` as the MCU computes it (docs/semantics.md): the exact integer sum of
    Q8.24 weights times Q4.12 inputs, rounded half up to Q4.12 and saturated."""
    shift = config.weight_frac_bits
    low, high = signed_range(config.data_bits)
    out = []
    for j in range(config.xbar_size):
        acc = sum(int(w_raw[i, j]) * int(x_raw[i]) for i in range(config.xbar_size))
        out.append(min(max((acc + (1 << (shift - 1))) >> shift, low), high))
    return out


@cocotb.test()
async def mvm_matches_integer_arithmetic(dut):
    """Weights and inputs from numpy, one MVM, the result word for word."""
    c = CONFIG
    period = period_ps(c)
    start_clock(dut.clk, period)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    rng = np.random.default_rng(2024)
    weights = rng.uniform(-1, 1, (c.xbar_size, c.xbar_size))
    x = rng.uniform(-1, 1, c.xbar_size)
    w_raw = np.floor(weights * 2**c.weight_frac_bits + 0.5).astype(np.int64)
    x_raw = np.floor(x * 2**c.data_frac_bits + 0.5).astype(np.int64)
    amcu = AnalogMCU(c)                       # the analog half, answering the analog port
    amcu.program(w_raw)
    _, port = start_mcu_bridge(dut, dut.clk, amcu, c)
    driver = McuDriver(dut, dut.clk, period_ps=period)
    await driver.write_buffer("xin", x_raw)
    cycles = await driver.request(mask=McuOp.MVM.value)
    y = await driver.read_buffer("xout", c.xbar_size)
    assert y == expected_mvm(w_raw, x_raw, c)
    y_real = np.array(y) / 2**c.data_frac_bits
    assert np.max(np.abs(y_real - weights.T @ x)) < 1e-2         # and close to the float MVM
    assert port.transactions["mvm"] == c.input_steps
    dut._log.info("MVM of %dx%d in %d cycles", c.xbar_size, c.xbar_size, cycles)
