"""Host/debug port: status registers, program length, restart, data access rules."""

from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core import Core, DebugSpace, StatusReg
from panther.hdl.core.constants import STATUS_BITS
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
