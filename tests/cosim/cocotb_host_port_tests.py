"""cocotb test of :class:`cosim.tile_host.HostPort` on a lone core, run by
tests/cosim/test_host_port_rtl.py.

Expected values: the words the test wrote (data words sign-extended from ``data_bits``), the
core's index and the protocol's ``DebugPortSignature.latency``, never read back from the
driver under test."""

import json
import os
import random

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from panther.cosim.clock import start_clock
from panther.cosim.tile_host import HostPort
from panther.hdl.core.constants import DebugSpace, StatusReg
from panther.hdl.ports import DebugPortSignature

PERIOD = 10_000
LAYOUT = json.loads(os.environ["HOST_PORT_TEST"])
MASK = (1 << 64) - 1


async def ack_delay(dut, space, addr):
    """Cycles from taking a read (presented at an idle falling edge, so taken in that cycle)
    to the cycle in which ``ack`` is high: rising edges from the presentation to ``ack``."""
    await FallingEdge(dut.clk)
    dut.dbg_space.value, dut.dbg_addr.value, dut.dbg_we.value = space.value, addr, 0
    dut.dbg_req.value = 1
    cycles = 0
    while cycles < 10:
        await RisingEdge(dut.clk)
        await ReadOnly()
        cycles += 1
        if int(dut.dbg_ack.value):
            break
    await RisingEdge(dut.clk)
    dut.dbg_req.value = 0
    return cycles


@cocotb.test()
async def host_port_streams_and_accesses(dut):
    rng = random.Random(20)
    for name in ("req", "space", "addr", "we", "wdata"):
        getattr(dut, "dbg_" + name).value = 0
    dut.rst.value = 1
    start_clock(dut.clk, PERIOD)
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    host = HostPort(dut, dut.clk, "dbg_", period_ps=PERIOD)
    assert host.latency == DebugPortSignature.latency
    assert await ack_delay(dut, DebugSpace.STATUS, StatusReg.CORE_ID.value) == host.latency

    imem = {a: rng.getrandbits(64) for a in rng.sample(range(LAYOUT["imem_depth"]), 12)}
    await host.write_many(DebugSpace.IMEM.value, imem.items())
    bits = LAYOUT["data_bits"]
    addrs = rng.sample(range(LAYOUT["rf_depth"]), 8)
    addrs += [base + rng.randrange(LAYOUT["xbar_size"]) for base in LAYOUT["buffers"]]
    data = {a: rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1)) for a in addrs}
    await host.write_many(DebugSpace.DATA.value, ((a, v & MASK) for a, v in data.items()))
    await host.write(DebugSpace.STATUS.value, StatusReg.PROG_LEN.value, 7)

    # reads: streams and single accesses, spaces alternating
    assert await host.read_many(DebugSpace.IMEM.value, imem) == list(imem.values())
    assert await host.read(DebugSpace.STATUS.value, StatusReg.PROG_LEN.value) == 7
    assert await host.read_many(DebugSpace.DATA.value, data) == [v & MASK for v in data.values()]
    first = next(iter(imem))
    assert await host.read(DebugSpace.IMEM.value, first) == imem[first]
    for a, v in data.items():
        assert await host.read(DebugSpace.DATA.value, a) == v & MASK
    assert await host.read_many(DebugSpace.STATUS.value,
                                (StatusReg.CORE_ID.value, StatusReg.PROG_LEN.value)) == [
        LAYOUT["core_id"], 7]
    assert await ack_delay(dut, DebugSpace.DATA, addrs[0]) == host.latency
