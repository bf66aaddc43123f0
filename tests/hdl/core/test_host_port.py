"""Host/debug port: status registers, program length, restart, data access rules."""

import numpy as np
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core import Core, DebugSpace, StatusReg
from panther.hdl.core.constants import EVENT_REGS, STATUS_BITS
from panther.hdl.ports import DebugPortSignature
from panther.isa.encoding import encode, make

from .core_harness import dbg_access

CFG = PRESETS["small"]


def test_status_registers_and_restart():
    core = Core(config=CFG, core_id=1)
    program = [encode(make("set", dst=5, imm=-7)), encode(make("alu_int", fn="add", dst=6,
               src1=5, src2=5)), encode(make("hlt"))]
    seen = {}

    async def bench(ctx):
        assert await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.CORE_ID.value) == 1
        assert await dbg_access(ctx, core, DebugSpace.STATUS,
                                StatusReg.PROG_LEN.value) == CFG.imem_depth
        for a, w in enumerate(program):
            await dbg_access(ctx, core, DebugSpace.IMEM, a, wdata=w)
        assert await dbg_access(ctx, core, DebugSpace.IMEM, 2) == program[2]
        await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PROG_LEN.value, wdata=3)
        for run in range(2):
            ctx.set(core.run, 1)
            for _ in range(50):
                await ctx.tick()
                if ctx.get(core.halted):
                    break
            status = await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.STATUS.value)
            seen[run] = {
                "halted": status >> STATUS_BITS["halted"] & 1,
                "error": status >> STATUS_BITS["error"] & 1,
                "pc": await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PC.value),
                "instret": await dbg_access(ctx, core, DebugSpace.STATUS,
                                            StatusReg.INSTRET.value),
                "cycles": await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.CYCLES.value),
            }
            ctx.set(core.run, 0)
            await ctx.tick()
            seen[run]["word6"] = await dbg_access(ctx, core, DebugSpace.DATA, 6)
            # the next run sees the previous run's data: set 5 again, 6 := -14
            await dbg_access(ctx, core, DebugSpace.DATA, 6, wdata=99)

    sim = Simulator(core)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    for run in range(2):
        s = seen[run]
        assert s["halted"] == 1 and s["error"] == 0
        assert s["pc"] == 2 and s["instret"] == 3
        assert 3 <= s["cycles"] < 50
        assert s["word6"] == (-14) & ((1 << 64) - 1)


def test_what_the_host_sees_in_the_cycles_after_run_rises():
    """docs/core.md, "Run control": at the edge ending the cycle ``run`` rises in (R),
    ``running`` rises and ``halted`` clears; the counts are cleared a cycle later, with the
    start, so a STATUS read taken in R + 1 still sees the previous run's ``INSTRET`` and
    ``PC``, and one taken in R + 2 sees ``CYCLES`` 0. Expected values: the program's own
    counts (3 instructions, ``hlt`` at PC 2)."""
    core = Core(config=CFG, core_id=0)
    program = [encode(make("set", dst=5, imm=3)), encode(make("nop")), encode(make("hlt"))]
    seen = []

    async def wait_halted(ctx):
        for _ in range(60):
            await ctx.tick()
            if ctx.get(core.halted):
                return
        raise AssertionError("the core did not halt")

    async def bench(ctx):
        for a, w in enumerate(program):
            await dbg_access(ctx, core, DebugSpace.IMEM, a, wdata=w)
        await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PROG_LEN.value, wdata=3)
        ctx.set(core.run, 1)
        await wait_halted(ctx)
        for reg, when in ((StatusReg.INSTRET, 1), (StatusReg.PC, 1), (StatusReg.CYCLES, 2),
                          (StatusReg.PC, 2), (StatusReg.PC, 3), (StatusReg.PC, 4)):
            ctx.set(core.run, 0)
            await ctx.tick()
            ctx.set(core.run, 1)
            await ctx.tick()                        # the end of R
            flags = (ctx.get(core.running), ctx.get(core.halted), ctx.get(core.error))
            for _ in range(when - 1):
                await ctx.tick()
            seen.append((reg, flags, await dbg_access(ctx, core, DebugSpace.STATUS,
                                                      reg.value)))
            await wait_halted(ctx)

    sim = Simulator(core)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    assert [(reg, flags) for reg, flags, _ in seen] == [
        (reg, (1, 0, 0)) for reg in (StatusReg.INSTRET, StatusReg.PC, StatusReg.CYCLES,
                                     StatusReg.PC, StatusReg.PC, StatusReg.PC)]
    # PC is 0 from the start on, not the previous run's (the execute stage's `pc` is cleared
    # by its registered reset alone; the first instruction is at PC 0)
    assert [value for _, _, value in seen] == [3, 2, 0, 0, 0, 0]


def test_stream_acks_exactly_latency_cycles_after_the_take():
    """Requests back to back (each presented in the cycle after the previous ``ack``, so
    taken at once): every ``ack`` comes exactly ``DebugPortSignature.latency`` cycles later,
    with the word written earlier in the stream (IMEM, register file, both XBar buffers,
    STATUS), and the port takes no request twice. Expected words: the values written."""
    rng = np.random.default_rng(20)
    mask = (1 << 64) - 1
    imem = {a: int(w) for a, w in zip((0, 7, CFG.imem_depth - 1),
                                      rng.integers(0, 1 << 63, 3, dtype=np.uint64))}
    data_addrs = (0, 9, CFG.rf_depth - 1, CFG.xbar_in_base(1) + 3,
                  CFG.xbar_out_base(0) + CFG.xbar_size - 1)
    lim = 1 << (CFG.data_bits - 1)
    data = {a: int(v) for a, v in zip(data_addrs, rng.integers(-lim, lim, len(data_addrs)))}
    writes = [(DebugSpace.IMEM, a, w) for a, w in imem.items()]
    writes += [(DebugSpace.DATA, a, v & mask) for a, v in data.items()]
    writes.append((DebugSpace.STATUS, StatusReg.PROG_LEN.value, 5))
    # reads alternate between the spaces, so that each read selects another register
    reads = [(DebugSpace.IMEM, 7), (DebugSpace.DATA, 9), (DebugSpace.STATUS, StatusReg.PROG_LEN.value),
             (DebugSpace.DATA, CFG.xbar_in_base(1) + 3), (DebugSpace.IMEM, 0),
             (DebugSpace.DATA, CFG.xbar_out_base(0) + CFG.xbar_size - 1),
             (DebugSpace.STATUS, StatusReg.CORE_ID.value), (DebugSpace.DATA, CFG.rf_depth - 1),
             (DebugSpace.IMEM, CFG.imem_depth - 1), (DebugSpace.DATA, 0)]
    expected = [{DebugSpace.IMEM: imem, DebugSpace.DATA: {a: v & mask for a, v in data.items()},
                 DebugSpace.STATUS: {StatusReg.PROG_LEN.value: 5,
                                     StatusReg.CORE_ID.value: 1}}[s][a] for s, a in reads]
    core = Core(config=CFG, core_id=1)
    latency = DebugPortSignature.latency
    waits, got = [], []

    async def bench(ctx):
        d = core.dbg
        ctx.set(d.req, 1)
        for space, addr, wdata in [*writes, *((s, a, None) for s, a in reads)]:
            ctx.set(d.space, space)
            ctx.set(d.addr, addr)
            ctx.set(d.we, wdata is not None)
            ctx.set(d.wdata, wdata or 0)
            cycles = 0
            while cycles < 10 and not (cycles and ctx.get(d.ack)):
                await ctx.tick()
                cycles += 1
            waits.append(cycles)
            if wdata is None:
                got.append(ctx.get(d.rdata))
            await ctx.tick()
            assert not ctx.get(d.ack)              # one ack per request
        ctx.set(d.req, 0)
        for _ in range(2 * latency):
            assert not ctx.get(d.ack)
            await ctx.tick()

    sim = Simulator(core)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    assert waits == [latency] * (len(writes) + len(reads))
    assert got == expected


def test_data_space_while_running_reads_zero_and_drops_writes():
    """While the core runs, a DATA read is acknowledged with 0 and a DATA write is dropped;
    IMEM and STATUS are still served (their registers, not the operand space's)."""
    core = Core(config=CFG, core_id=0)
    program = [encode(make("set", dst=5, imm=1))] * 40 + [encode(make("hlt"))]
    seen = {}

    async def bench(ctx):
        for a, w in enumerate(program):
            await dbg_access(ctx, core, DebugSpace.IMEM, a, wdata=w)
        await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PROG_LEN.value,
                         wdata=len(program))
        await dbg_access(ctx, core, DebugSpace.DATA, 6, wdata=-3 & ((1 << 64) - 1))
        # read it back: the register file's output holds -3 (the program reads no operand)
        seen["before"] = await dbg_access(ctx, core, DebugSpace.DATA, 6)
        ctx.set(core.run, 1)
        await ctx.tick()
        seen["running"] = [await dbg_access(ctx, core, DebugSpace.DATA, 6),
                           await dbg_access(ctx, core, DebugSpace.IMEM, 40)]
        await dbg_access(ctx, core, DebugSpace.DATA, 7, wdata=55)
        status = await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.STATUS.value)
        seen["still_running"] = status >> STATUS_BITS["running"] & 1
        for _ in range(100):
            await ctx.tick()
            if ctx.get(core.halted):
                break
        ctx.set(core.run, 0)
        await ctx.tick()
        seen["stopped"] = [await dbg_access(ctx, core, DebugSpace.DATA, 6),
                           await dbg_access(ctx, core, DebugSpace.DATA, 7)]

    sim = Simulator(core)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    assert seen["before"] == (-3) & ((1 << 64) - 1)
    assert seen["running"] == [0, program[40]]
    assert seen["still_running"] == 1
    assert seen["stopped"] == [(-3) & ((1 << 64) - 1), 0]


def test_stream_reads_every_status_register_and_zero_elsewhere():
    """After a run, STATUS reads back to back (each taken at once, so every group register
    and group flag is loaded from the previous request's address) return every register,
    in an order that changes the address's low and high bits each time; addresses with no
    register (in the last group, past it, high bits set) read 0. Expected: the golden
    model's state and event counts, the constructor's ``core_id``, the ``PROG_LEN`` written,
    the testbench's count of cycles."""
    from panther.isa.assembler import assemble

    from .core_harness import run_golden

    image = assemble("""
        .core 1
        .data 0, 3, -2, 5, 1
        .data 10, 0.5, -1.25, 3.0, 7.5
        alu_int add, 5, 0, 1
        alu_int sub, 6, 2, 3
        alu add, 20, 10, 10, 4
        cp 30, 20, 4
        hlt
    """, config=CFG)
    gold, _ = run_golden(image, core_id=1)
    program = image.programs[1]
    assert gold["status"] == "halted"
    prog_len = len(program) + 2
    unmapped = [len(StatusReg), 23, 31, StatusReg.PC.value | 1 << 5, 1 << 15 | 6,
                (1 << 16) - 1, 4 * 6]
    order = sorted(StatusReg, key=lambda r: (r.value * 7) % len(StatusReg))
    expected = {
        StatusReg.STATUS: 1 << STATUS_BITS["halted"] | int(gold["overflow"]) << STATUS_BITS[
            "overflow"],
        StatusReg.PC: gold["pc"], StatusReg.INSTRET: gold["instructions"],
        StatusReg.PROG_LEN: prog_len, StatusReg.DEFERRED: gold["pending_updates"],
        StatusReg.CORE_ID: 1,
        **{reg: gold["events"].get(name, 0) for name, reg in EVENT_REGS.items()},
    }
    core = Core(config=CFG, core_id=1)
    got, ran = {}, {}

    async def bench(ctx):
        for a, w in enumerate(program):
            await dbg_access(ctx, core, DebugSpace.IMEM, a, wdata=int(w))
        for a in np.flatnonzero(image.rf_init[1]):
            await dbg_access(ctx, core, DebugSpace.DATA, int(a), wdata=int(image.rf_init[1][a]))
        await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PROG_LEN.value,
                         wdata=prog_len)
        ctx.set(core.run, 1)
        ran["ticks"] = 0
        while not ctx.get(core.halted) and ran["ticks"] < 200:
            await ctx.tick()
            ran["ticks"] += 1
        d = core.dbg
        ctx.set(d.req, 1)
        ctx.set(d.space, DebugSpace.STATUS)
        ctx.set(d.we, 0)
        for addr in [*(r.value for r in order), *unmapped]:
            ctx.set(d.addr, addr)
            cycles = 0
            while cycles < 10 and not (cycles and ctx.get(d.ack)):
                await ctx.tick()
                cycles += 1
            got[addr] = ctx.get(d.rdata)
            await ctx.tick()
        ctx.set(d.req, 0)

    sim = Simulator(core)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    assert ran["ticks"] < 200
    # the counter counts from two cycles after `run` rises (docs/core.md, "Run control")
    # and stops with `halted`
    assert ran["ticks"] - 2 <= got.pop(StatusReg.CYCLES.value) <= ran["ticks"]
    assert {StatusReg(a): v for a, v in got.items() if a < len(StatusReg)} == expected
    assert [got[a] for a in unmapped] == [0] * len(unmapped)
    assert sum(expected[reg] > 0 for reg in EVENT_REGS.values()) >= 4
