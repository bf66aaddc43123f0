"""``panther verilog --top tile_digital``: the tile with digital crossbars is a self-contained
top (no analog port left), it runs a program with weights programmed through its crossbars'
host ports (Amaranth simulator, against integer arithmetic), and every exported top follows
one port-naming scheme."""

import json

import numpy as np
from amaranth.sim import Simulator

from panther.apps.cli import main
from panther.config import PRESETS
from panther.fixed_point import canonical_digits, round_shift, saturate
from panther.hdl.core.constants import DebugSpace, StatusReg
from panther.hdl.flatten import FlatPorts
from panther.hdl.fpga.tile_digital import TileDigital
from panther.isa.assembler import assemble

TINY = PRESETS["small"].replace(xbar_size=4, adcs_per_xbar=2, cores_per_tile=1, mcus_per_core=1)


async def dbg(ctx, dut, space, addr, data=None):
    """One host/debug port access of core 0 (request held until its ack)."""
    ctx.set(dut.c0_dbg_space, space)
    ctx.set(dut.c0_dbg_addr, addr)
    ctx.set(dut.c0_dbg_we, data is not None)
    ctx.set(dut.c0_dbg_wdata, 0 if data is None else data)
    ctx.set(dut.c0_dbg_req, 1)
    for _ in range(20):
        await ctx.tick()
        if ctx.get(dut.c0_dbg_ack):
            break
    else:
        raise AssertionError("no dbg ack")
    value = ctx.get(dut.c0_dbg_rdata)
    ctx.set(dut.c0_dbg_req, 0)
    await ctx.tick()
    return value


async def cell(ctx, dut, copy, k, row, col, value):
    """Write one weight digit through the crossbar's host cell port (``h_req`` held until
    ``h_ack``, then low for two cycles: the crossbar returns to idle when it sees it low)."""
    for name, v in (("copy", copy), ("slice", k), ("row", row), ("col", col), ("wdata", value),
                    ("we", 1), ("req", 1)):
        ctx.set(getattr(dut, f"c0_xbar0_h_{name}"), v)
    for _ in range(20):
        await ctx.tick()
        if ctx.get(dut.c0_xbar0_h_ack):
            break
    else:
        raise AssertionError("no crossbar host ack")
    ctx.set(dut.c0_xbar0_h_req, 0)
    await ctx.tick().repeat(2)


def test_tile_digital_runs_an_mvm_with_programmed_weights():
    c = TINY
    n = c.xbar_size
    rng = np.random.default_rng(11)
    W = rng.integers(-(1 << 24), 1 << 24, size=(n, n))
    x = rng.integers(-(1 << 13), 1 << 13, size=n)
    expected = [saturate(round_shift(int(sum(int(W[i, j]) * int(x[i]) for i in range(n))),
                                     c.weight_frac_bits), c.data_bits)[0] for j in range(n)]
    image = assemble(f".data 0, {', '.join(str(int(v)) for v in x)}\n"
                     "cp xin0, 0, 4\nmcu 0:mvm\ncp 8, xout0, 4\nhlt\n", config=c)
    dut = FlatPorts(TileDigital(config=c))          # the ports as the Verilog top has them
    digits = canonical_digits(W, c)
    got = []

    async def bench(ctx):
        for copy in range(c.xbar_copies):
            for k in range(c.n_slices):
                for i in range(n):
                    for j in range(n):
                        await cell(ctx, dut, copy, k, i, j, int(digits[k, i, j]))
        for addr, word in enumerate(image.programs[0]):
            await dbg(ctx, dut, DebugSpace.IMEM.value, addr, word)
        await dbg(ctx, dut, DebugSpace.STATUS.value, StatusReg.PROG_LEN.value,
                  len(image.programs[0]))
        for addr in range(n):
            await dbg(ctx, dut, DebugSpace.DATA.value, addr, int(x[addr]) & 0xFFFF)
        ctx.set(dut.c0_run, 1)
        for _ in range(3000):
            await ctx.tick()
            if ctx.get(dut.all_halted):
                break
        else:
            raise AssertionError("the tile did not halt")
        ctx.set(dut.c0_run, 0)
        assert not ctx.get(dut.c0_error)
        for addr in range(8, 8 + n):
            raw = await dbg(ctx, dut, DebugSpace.DATA.value, addr) & 0xFFFF
            got.append(raw - (1 << 16) if raw >> 15 else raw)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == expected


def test_every_top_follows_one_port_naming_scheme(tmp_path):
    out = tmp_path / "v"
    report = tmp_path / "verilog.json"
    config = tmp_path / "four.json"
    PRESETS["small"].replace(xbar_size=4, adcs_per_xbar=2).save(config)    # 2 cores x 2 MCUs
    assert main(["verilog", "--config", str(config), "--top", "core", "--top", "tile_digital",
                 "--no-lint", "-o", str(out), "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["schema"] == "panther.verilog/1" and data["ports"]["schema"] == "panther.ports/1"
    ports = {top: [p["name"] for p in spec["ports"]] for top, spec in data["ports"]["tops"].items()}
    assert json.loads((out / "panther_ports.json").read_text()) == data["ports"]
    core, digital = ports["panther_core"], ports["panther_tile_digital"]
    assert not [p for p in core + digital if "__" in p]
    assert {"dbg_req", "dbg_rdata", "run", "halted", "analog_0_req", "smem_req"} <= set(core)
    assert {"c0_dbg_req", "c1_run", "all_halted", "c0_xbar1_h_req", "c1_xbar0_h_rdata"} \
        <= set(digital)
    assert not [p for p in digital if "_analog_" in p]              # self-contained
    verilog = (out / "panther_core.v").read_text()
    header = verilog[verilog.index("module panther_core("):].split(";", 1)[0]
    for name in core:
        assert name in header, name
