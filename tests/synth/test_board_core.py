"""The FPGA board cores' host-bus address map, driven in simulation (UART bypassed)."""

import numpy as np
from amaranth.hdl import Module, Signal
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.fixed_point import canonical_digits, round_shift, saturate
from panther.hdl.core.constants import DebugSpace, StatusReg
from panther.hdl.fpga.board_core import IDENT_MCU, IDENT_TILE, McuBoard, TileBoard, xbar_address
from panther.hdl.fpga.crossbar_host import HOST_STATES
from panther.hdl.fpga.ulx3s import pll_parameters
from panther.hdl.ports import DebugPortSignature

SMALL = PRESETS["small"]


async def bus(ctx, dut, addr, data=None):
    ctx.set(dut.bus.addr, addr)
    ctx.set(dut.bus.we, data is not None)
    ctx.set(dut.bus.wdata, 0 if data is None else data & 0xFFFFFFFF)
    ctx.set(dut.bus.req, 1)
    for _ in range(200):
        await ctx.tick()
        if ctx.get(dut.bus.ack):
            break
    else:
        raise AssertionError(f"no bus ack for address {addr:#x}")
    value = ctx.get(dut.bus.rdata)
    ctx.set(dut.bus.req, 0)
    await ctx.tick()
    return value


def signed32(value):
    return value - (1 << 32) if value >> 31 else value


def test_mcu_board_runs_an_mvm_through_the_bus():
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    n = config.xbar_size
    rng = np.random.default_rng(3)
    W = rng.integers(-(1 << 24), 1 << 24, size=(n, n))
    x = rng.integers(-(1 << 13), 1 << 13, size=n)
    dut = McuBoard(config=config)
    expected = [saturate(round_shift(int(sum(int(W[i, j]) * int(x[i]) for i in range(n))),
                                     config.weight_frac_bits), config.data_bits)[0]
                for j in range(n)]

    async def bench(ctx):
        assert await bus(ctx, dut, 1) == IDENT_MCU
        digits = canonical_digits(W, config)
        for k in range(config.n_slices):
            for i in range(n):
                for j in range(n):
                    await bus(ctx, dut, xbar_address(mcu=0, copy=0, k=k, row=i, col=j),
                              int(digits[k, i, j]))
        assert signed32(await bus(ctx, dut, xbar_address(mcu=0, copy=0, k=3, row=1, col=2))) \
            == digits[3, 1, 2]
        for i in range(n):
            await bus(ctx, dut, (1 << 28) | i, int(x[i]))
        assert signed32(await bus(ctx, dut, (1 << 28) | 1)) == x[1]
        await bus(ctx, dut, 0, 1)                                  # start MVM
        for _ in range(2000):
            if await bus(ctx, dut, 0) & 2:
                break
        else:
            raise AssertionError("MVM did not finish")
        y = [signed32(await bus(ctx, dut, (2 << 28) | j)) for j in range(n)]
        assert y == expected
        assert await bus(ctx, dut, 7 << 28) == 0                   # unmapped region

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_tile_board_address_map():
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    dut = TileBoard(config=config)

    async def bench(ctx):
        assert await bus(ctx, dut, 1) == IDENT_TILE
        # Shared memory: value, valid, count packed in one word.
        await bus(ctx, dut, (2 << 28) | 5, (3 << 24) | (1 << 16) | 0xBEEF)
        assert await bus(ctx, dut, (2 << 28) | 5) == (3 << 24) | (1 << 16) | 0xBEEF
        assert await bus(ctx, dut, (2 << 28) | 6) & (1 << 16) == 0
        # Core 1 register file word 3 (DATA space 1), sign-extended 64-bit read.
        await bus(ctx, dut, 2, 0)                                  # high word of the write
        await bus(ctx, dut, (1 << 28) | (1 << 20) | (1 << 16) | 3, -1234 & 0xFFFF)
        assert signed32(await bus(ctx, dut, (1 << 28) | (1 << 20) | (1 << 16) | 3)) == -1234
        assert await bus(ctx, dut, 3) == 0xFFFFFFFF               # its high word
        # Core 0 instruction memory: a full 64-bit word through the high-word register.
        await bus(ctx, dut, 2, 0x12345678)
        await bus(ctx, dut, (1 << 28) | 7, 0x9ABCDEF0)
        assert await bus(ctx, dut, (1 << 28) | 7) == 0x9ABCDEF0
        assert await bus(ctx, dut, 3) == 0x12345678
        # Crossbar cells of the last MCU of core 1, and of MCU 0.
        last = config.cores_per_tile * config.mcus_per_core - 1
        await bus(ctx, dut, xbar_address(mcu=last, copy=0, k=4, row=3, col=1), -17)
        await bus(ctx, dut, xbar_address(mcu=0, copy=0, k=4, row=3, col=1), 9)
        assert signed32(await bus(ctx, dut, xbar_address(mcu=last, copy=0, k=4, row=3, col=1))) == -17
        assert signed32(await bus(ctx, dut, xbar_address(mcu=0, copy=0, k=4, row=3, col=1))) == 9
        # Run bits (no program loaded: PROG_LEN 0) and tile status.
        status = await bus(ctx, dut, 0)
        assert status & 0xFFFF == 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_pll_settings():
    for mhz in (25, 50, 100):
        ki, fb, op = pll_parameters(mhz)
        assert 25 * fb == mhz * ki and 400 <= mhz * op <= 800
    assert pll_parameters(100) == (1, 4, 6)       # what yowasp-ecppll -i 25 -o 100 gives


def _bus_cycles(dut, bench):
    """Run ``bench(ctx, timed)`` on ``dut``, where ``await timed(ctx, name, addr, data=None)``
    is a bus access that also records its cycle count under ``name``; return ``{name: set of
    the counts seen}``."""
    cycles = {}
    cycle_count = Signal(32)

    async def timed(ctx, name, addr, data=None):
        start = ctx.get(cycle_count)
        value = await bus(ctx, dut, addr, data)
        cycles.setdefault(name, set()).add(ctx.get(cycle_count) - start)
        return value

    async def testbench(ctx):
        await bench(ctx, timed)

    m = Module()
    m.submodules.dut = dut
    m.d.sync += cycle_count.eq(cycle_count + 1)
    sim = Simulator(m)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return cycles


def test_tile_board_debug_reads_take_the_ports_latency_and_the_right_core():
    """A debug access holds the bus ``DebugPortSignature.latency + 1`` cycles longer than a
    control-register access (the request's take cycle, then its latency: the board adds no
    capture cycle of its own), and each core answers its own reads (``CORE_ID`` = its index,
    words written to both cores' spaces read back from the right one)."""
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    dut = TileBoard(config=config)

    def core_addr(core, space, addr):
        return (1 << 28) | (core << 20) | (space.value << 16) | addr

    async def bench(ctx, timed):
        assert await timed(ctx, "ident", 1) == IDENT_TILE
        for core in range(config.cores_per_tile):
            assert await timed(ctx, "status", core_addr(core, DebugSpace.STATUS,
                                                         StatusReg.CORE_ID.value)) == core
        await bus(ctx, dut, 2, 0)                                  # high word of the writes
        for core in range(config.cores_per_tile):
            await bus(ctx, dut, core_addr(core, DebugSpace.IMEM, 5), 100 + core)
            await bus(ctx, dut, core_addr(core, DebugSpace.DATA, 2), -50 - core & 0xFFFF)
            await bus(ctx, dut, core_addr(core, DebugSpace.DATA, config.xbar_out_base(0) + 1),
                      7 * core + 1)
        for core in reversed(range(config.cores_per_tile)):
            assert await timed(ctx, "imem", core_addr(core, DebugSpace.IMEM, 5)) == 100 + core
            assert signed32(await timed(ctx, "data", core_addr(core, DebugSpace.DATA, 2))) \
                == -50 - core
            assert await bus(ctx, dut, 3) == 0xFFFFFFFF            # sign-extended high word
            assert await bus(ctx, dut, core_addr(core, DebugSpace.DATA,
                                                 config.xbar_out_base(0) + 1)) == 7 * core + 1

    cycles = _bus_cycles(dut, bench)
    (ident,) = cycles["ident"]
    extra = DebugPortSignature.latency + 1
    assert cycles == {"ident": {ident}, "status": {ident + extra}, "imem": {ident + extra},
                      "data": {ident + extra}}


def test_tile_board_cell_access_cycles_and_unmapped_reads():
    """A crossbar cell access holds the bus longer than a control-register access by the
    crossbar's boundary register (``h_req_q``), its IDLE cycle and its host states up to
    H_ACK, and the board's register on the acknowledge (docs/synthesis.md "busrd"); a read of
    an absent core or MCU, or of an unmapped region, right after a non-zero read returns 0
    (the registered read word clears with its decode)."""
    config = SMALL.replace(xbar_size=4, adcs_per_xbar=2)
    dut = TileBoard(config=config)
    n_mcus = config.cores_per_tile * config.mcus_per_core

    async def bench(ctx, timed):
        await bus(ctx, dut, 2, 0x0BADF00D)
        for addr in ((1 << 28) | (config.cores_per_tile << 20),
                     xbar_address(mcu=n_mcus, copy=0, k=0, row=0, col=0), 5 << 28, 15 << 28):
            assert await timed(ctx, "ctl", 2) == 0x0BADF00D
            assert await timed(ctx, "ctl", addr) == 0, hex(addr)
        for mcu in range(n_mcus):
            await timed(ctx, "cell", xbar_address(mcu=mcu, copy=0, k=2, row=1, col=3), mcu - 3)
        for mcu in range(n_mcus):
            assert await timed(ctx, "ctl", 1) == IDENT_TILE
            assert signed32(await timed(ctx, "cell", xbar_address(mcu=mcu, copy=0, k=2, row=1,
                                                                   col=3))) == mcu - 3

    cycles = _bus_cycles(dut, bench)
    assert len(cycles["ctl"]) == 1 and len(cycles["cell"]) == 1, cycles
    (ctl,), (cell,) = cycles["ctl"], cycles["cell"]
    assert cell == ctl + 1 + (1 + HOST_STATES.index("H_ACK")) + 1
