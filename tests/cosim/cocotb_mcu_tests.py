"""cocotb tests of one MCU build, run inside the simulator by tests/cosim/test_cosim_mcu.py.

The configuration arrives as JSON in ``PANTHER_COSIM_CONFIG``. Expected values come from numpy
integer math (``_mcu_reference``) or, in noisy mode, from a standalone
``analog_models.AnalogMCU`` run with the same seed -- never from the RTL.
"""

import os
import sys

import cocotb
import numpy as np
from _mcu_reference import (
    crs_digits_expected,
    mtvm_expected,
    mvm_expected,
    opa_digits_expected,
    random_operands,
)
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

from panther.analog_models import AnalogMCU
from panther.analog_models.analog_latency import latency_cycles
from panther.config import PantherConfig
from panther.cosim.cosim_mcu import MCU_HOLD_PATHS
from panther.cosim.mcu_bridge import McuDriver, resolve, start_mcu_bridge
from panther.fixed_point import canonical_digits
from panther.hdl.mcu import McuOp, commit_cycles, crs_cycles, rtl_cycles

CONFIG = PantherConfig.from_json(os.environ.get("PANTHER_COSIM_CONFIG", "{}"),
                                 source="PANTHER_COSIM_CONFIG")
IDEAL = CONFIG.noise.ideal and CONFIG.adc_bits == 0
MVM, MTVM, OPA = McuOp.MVM.value, McuOp.MTVM.value, McuOp.OPA.value
PERIOD_PS = 10_000
INPUT_LATENCY = int(os.environ.get("PANTHER_COSIM_INPUT_LATENCY", "0"))
SETTLE = os.environ.get("PANTHER_COSIM_SIMULATOR") == "icarus"
# the top's AnalogAnswer answers in the configuration's latencies (1 cycle each when ideal)
LATENCIES = latency_cycles(CONFIG)
sys.set_int_max_str_digits(0)      # paper-size code vectors exceed 4300 decimal digits


async def setup(dut, weights):
    """Clock, reset, an AnalogMCU holding ``weights`` and its bridge; returns (driver, amcu, port)."""
    Clock(dut.clk, PERIOD_PS, unit="ps").start()
    driver = McuDriver(dut, dut.clk, period_ps=PERIOD_PS, input_latency=INPUT_LATENCY)
    await ClockCycles(dut.clk, 2)      # a CosimMcu top has no reset
    amcu = AnalogMCU(CONFIG)
    amcu.program(weights)
    holds = {name: resolve(dut, path) for name, path in MCU_HOLD_PATHS.items()}
    _, port = start_mcu_bridge(dut, dut.clk, amcu, CONFIG, holds=holds, settle=SETTLE)
    return driver, amcu, port


async def run_mvm_mtvm(dut, seed):
    rng = np.random.default_rng(seed)
    weights, x, v = random_operands(CONFIG, rng, weight_bits=CONFIG.weight_bits - 6)
    driver, amcu, port = await setup(dut, weights)
    await driver.write_buffer("xin", x)
    await driver.write_buffer("xout", v)
    cycles = await driver.request(mask=MVM | MTVM)
    y = await driver.read_buffer("xout", CONFIG.xbar_size)
    z = await driver.read_buffer("xin", CONFIG.xbar_size)
    return weights, x, v, y, z, cycles, port, int(dut.overflow.value)


@cocotb.test(skip=not IDEAL)
async def mvm_mtvm_exact(dut):
    """MVM|MTVM on random data equals exact integer arithmetic; cycles as rtl_cycles says."""
    weights, x, v, y, z, cycles, port, ovf = await run_mvm_mtvm(dut, 1)
    y_exp, y_ovf = mvm_expected(weights, x, CONFIG)
    z_exp, z_ovf = mtvm_expected(weights, v, CONFIG)
    assert y == list(y_exp), f"MVM mismatch at {np.flatnonzero(np.array(y) != y_exp)}"
    assert z == list(z_exp), f"MTVM mismatch at {np.flatnonzero(np.array(z) != z_exp)}"
    assert ovf == int(y_ovf or z_ovf)
    expected = rtl_cycles(CONFIG, MVM | MTVM, latencies=LATENCIES)
    assert cycles == expected, (cycles, expected)
    assert port.transactions["mvm"] == port.transactions["mtvm"] == CONFIG.input_steps
    # one Python wake-up per transaction (three on Icarus, which reports req before the rest)
    assert port.wakeups == port.transactions["requests"] * (3 if SETTLE else 1)


@cocotb.test()
async def matches_standalone_model(dut):
    """The RTL-driven analog model gives what the same model (same seed) gives alone."""
    weights, x, v, y, z, _, _, ovf = await run_mvm_mtvm(dut, 2)
    ref = AnalogMCU(CONFIG)
    ref.program(weights)
    y_ref, y_ovf = ref.mvm(0, x)
    z_ref, z_ovf = ref.mtvm(1 if CONFIG.variant >= 2 else 0, v)
    assert y == list(y_ref)
    assert z == list(z_ref)
    assert ovf == int(y_ovf.any() or z_ovf.any())
    if not IDEAL:
        assert y != list(mvm_expected(weights, x, CONFIG)[0]), "noise had no effect"


@cocotb.test(skip=not IDEAL)
async def all_ops_saturating_opa_commit_crs(dut):
    """MVM|MTVM|OPA: MVM and MTVM see the old weights, the (saturating) OPA lands on the
    learning copies as the per-slice integer model says; commit (variant 3); then CRS."""
    rng = np.random.default_rng(3)
    weights, x, v = random_operands(CONFIG, rng, weight_bits=CONFIG.weight_bits - 6)
    driver, amcu, port = await setup(dut, weights)
    after = opa_digits_expected(canonical_digits(weights, CONFIG), x, v, CONFIG)
    await driver.write_buffer("xin", x)
    await driver.write_buffer("xout", v)
    cycles = await driver.request(mask=MVM | MTVM | OPA)
    y = await driver.read_buffer("xout", CONFIG.xbar_size)
    z = await driver.read_buffer("xin", CONFIG.xbar_size)
    assert y == list(mvm_expected(weights, x, CONFIG)[0])
    assert z == list(mtvm_expected(weights, v, CONFIG)[0])
    assert cycles == rtl_cycles(CONFIG, MVM | MTVM | OPA, latencies=LATENCIES)
    learning = {1: [0], 2: [0, 1], 3: [2]}[CONFIG.variant]
    for c in range(CONFIG.xbar_copies):
        expected = after if c in learning else canonical_digits(weights, CONFIG)
        np.testing.assert_array_equal(amcu.xbars[c].digits(), expected)
    cycles = await driver.request(commit=True)
    assert cycles == commit_cycles(CONFIG, latencies=LATENCIES)
    for c in range(CONFIG.xbar_copies):
        np.testing.assert_array_equal(amcu.xbars[c].digits(), after)
    cycles = await driver.request(crs=True)
    assert cycles == crs_cycles(CONFIG, latencies=LATENCIES)
    for c in learning:
        np.testing.assert_array_equal(amcu.xbars[c].digits(), crs_digits_expected(after, CONFIG))
    # An OPA alone: ONE transaction, acknowledged by the top's AnalogAnswer after one cycle
    # per step; done in the cycle after (start cycle + input_steps).
    before = {c: amcu.xbars[c].digits() for c in range(CONFIG.xbar_copies)}
    x2, v2 = rng.integers(-2**15, 2**15, CONFIG.xbar_size), rng.integers(-2**15, 2**15, CONFIG.xbar_size)
    await driver.write_buffer("xin", x2)
    await driver.write_buffer("xout", v2)
    requests, wakeups = port.transactions["requests"], port.wakeups
    cycles = await driver.request(mask=OPA)
    # one transaction of input_steps steps of the OPA latency each, plus the start cycle
    assert cycles == CONFIG.input_steps * LATENCIES["OPA"] + 1 \
        == rtl_cycles(CONFIG, OPA, latencies=LATENCIES)
    assert port.transactions["requests"] == requests + 1
    assert port.wakeups == wakeups + (3 if SETTLE else 1)
    for c in range(CONFIG.xbar_copies):
        expected = (opa_digits_expected(before[c], x2, v2, CONFIG) if c in learning
                    else before[c])
        np.testing.assert_array_equal(amcu.xbars[c].digits(), expected)
