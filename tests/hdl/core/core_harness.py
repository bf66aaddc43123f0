"""Run one core of an assembled program image in the Amaranth simulator.

The core is loaded and dumped through its host/debug port, its shared-memory port is served
by a behavioural shared memory (the golden model's :class:`isa.golden.shared_memory.
SharedMemory`, so valid bits and counters follow semantics §6) and its MCUs' analog ports by
the analog models (``cosim.amaranth_bridge``; ideal configuration = exact integers).
"""

import numpy as np
from amaranth.sim import Simulator

from panther.analog_models import AnalogMCU
from panther.cosim.amaranth_bridge import add_analog_bridge
from panther.cosim.analog_port import AnalogPort
from panther.fixed_point import wrap
from panther.hdl.core import Core, DebugSpace, StatusReg
from panther.hdl.core.constants import EVENT_REGS, STATUS_BITS
from panther.isa.golden.shared_memory import SharedMemory
from panther.isa.golden.tile import Tile

__all__ = ["run_rtl", "run_golden", "compare"]


async def dbg_access(ctx, core, space, addr, *, wdata=None):
    """One host/debug port access; returns rdata."""
    d = core.dbg
    ctx.set(d.space, space)
    ctx.set(d.addr, addr)
    ctx.set(d.we, wdata is not None)
    ctx.set(d.wdata, 0 if wdata is None else wdata & ((1 << 64) - 1))
    ctx.set(d.req, 1)
    for _ in range(10):
        await ctx.tick()
        if ctx.get(d.ack):
            value = ctx.get(d.rdata)
            ctx.set(d.req, 0)
            ctx.set(d.we, 0)
            await ctx.tick()
            return value
    raise AssertionError("host/debug port did not acknowledge")


def run_rtl(image, *, core_id=0, max_cycles=200_000, prog_len=None, aborts=()):
    """Load core ``core_id`` of ``image`` into a :class:`Core`, run it, dump its state.

    Returns a dict: ``status`` ('halted'/'error'/'running'), ``fault_code``, ``overflow``,
    ``pc``, ``instructions``, ``cycles``, ``memory`` (the operand space), ``smem`` (values,
    valid, count), ``weights`` (per MCU, per copy), ``smem_waits`` (cycles waiting).
    ``aborts``: before the run that completes, start the program and drop ``run`` after each
    of these numbers of cycles (an aborted run), two idle cycles apart.
    """
    c = image.config
    core = Core(config=c, core_id=core_id)
    program = image.programs[core_id]
    memory = np.zeros(c.addr_space, dtype=np.int64)
    memory[:c.rf_depth] = image.rf_init[core_id]
    for m in range(c.mcus_per_core):
        memory[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size] = image.xbar_in[core_id][m]
        memory[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size] = image.xbar_out[core_id][m]
    smem = SharedMemory(depth=c.smem_depth, values=image.smem_init, valid=image.smem_valid,
                        count=image.smem_count)
    amcus = []
    for m in range(c.mcus_per_core):
        amcu = AnalogMCU(c)
        w = image.weights.get((core_id, m))
        amcu.program(np.zeros((c.xbar_size, c.xbar_size), np.int64) if w is None else w)
        amcus.append(amcu)
    out = {}

    sim = Simulator(core)
    sim.add_clock(1e-9)
    for m in range(c.mcus_per_core):
        add_analog_bridge(sim, core.analog[m], amcus[m], port=AnalogPort(c))

    async def shared_memory(ctx):
        s = core.smem
        while True:
            await ctx.tick()
            ctx.set(s.ack, 0)
            if not ctx.get(s.req):
                continue
            addr = ctx.get(s.addr)
            if ctx.get(s.write):
                if smem.can_store(addr):
                    smem.store(addr, wrap(ctx.get(s.wdata), c.data_bits), ctx.get(s.count))
                    ctx.set(s.ack, 1)
            elif smem.can_load(addr):
                ctx.set(s.rdata, smem.load(addr))
                ctx.set(s.ack, 1)

    sim.add_testbench(shared_memory, background=True)

    async def host(ctx):
        for a, word in enumerate(program):
            await dbg_access(ctx, core, DebugSpace.IMEM, a, wdata=int(word))
        await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PROG_LEN.value,
                         wdata=len(program) if prog_len is None else prog_len)
        for a in np.flatnonzero(memory):
            await dbg_access(ctx, core, DebugSpace.DATA, int(a), wdata=int(memory[a]))
        for cycles in aborts:
            ctx.set(core.run, 1)
            await ctx.tick().repeat(cycles)
            ctx.set(core.run, 0)
            await ctx.tick().repeat(2)
        ctx.set(core.run, 1)
        await ctx.tick()
        for _cycle in range(max_cycles):
            await ctx.tick()
            if ctx.get(core.halted) or ctx.get(core.error):
                break
        status = await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.STATUS.value)
        out["status"] = ("halted" if status >> STATUS_BITS["halted"] & 1 else
                         "error" if status >> STATUS_BITS["error"] & 1 else "running")
        assert bool(status >> STATUS_BITS["error"] & 1) == bool(ctx.get(core.error))
        out["fault_code"] = (status >> STATUS_BITS["error_code"]) & 0xFF
        out["overflow"] = bool(status >> STATUS_BITS["overflow"] & 1)
        out["pc"] = await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.PC.value)
        out["instructions"] = await dbg_access(ctx, core, DebugSpace.STATUS,
                                               StatusReg.INSTRET.value)
        out["cycles"] = await dbg_access(ctx, core, DebugSpace.STATUS, StatusReg.CYCLES.value)
        out["deferred"] = await dbg_access(ctx, core, DebugSpace.STATUS,
                                           StatusReg.DEFERRED.value)
        out["events"] = {name: await dbg_access(ctx, core, DebugSpace.STATUS, reg.value)
                         for name, reg in EVENT_REGS.items()}
        ctx.set(core.run, 0)
        await ctx.tick()
        dump = np.zeros(c.addr_space, dtype=np.int64)
        for a in range(c.addr_space):
            dump[a] = wrap(await dbg_access(ctx, core, DebugSpace.DATA, a), 64)
        out["memory"] = dump

    sim.add_testbench(host)
    sim.run()
    out["smem"] = smem.snapshot()
    out["weights"] = [[np.asarray(a.weights(k)).tolist() for k in range(c.xbar_copies)]
                      for a in amcus]
    return out


def run_golden(image, *, core_id=0):
    """The golden model's report of core ``core_id`` (other cores idle) and shared memory."""
    c = image.config
    programs = [p if k == core_id else [] for k, p in enumerate(image.programs)]
    tile = Tile.from_image(image)
    tile = Tile(config=c, programs=programs,
                memories=[_memory(image, k) for k in range(len(programs))],
                smem_values=image.smem_init, smem_valid=image.smem_valid,
                smem_count=image.smem_count, weights=image.weights)
    report = tile.run()
    golden_core = dict(report.cores[core_id])
    golden_core["events"] = report.events       # the other cores are idle
    return golden_core, report.smem


def _memory(image, k):
    c = image.config
    memory = np.zeros(c.addr_space, dtype=np.int64)
    memory[:c.rf_depth] = image.rf_init[k]
    for m in range(c.mcus_per_core):
        memory[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size] = image.xbar_in[k][m]
        memory[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size] = image.xbar_out[k][m]
    return memory


def compare(image, *, core_id=0, max_cycles=200_000):
    """Run RTL and golden model; assert the final states are equal. Returns (rtl, golden)."""
    c = image.config
    rtl = run_rtl(image, core_id=core_id, max_cycles=max_cycles)
    gold, gsmem = run_golden(image, core_id=core_id)
    assert rtl["status"] == gold["status"], (rtl["status"], gold["status"], gold["fault_message"])
    assert rtl["fault_code"] == gold["fault_code"], (rtl["fault_code"], gold["fault_message"])
    assert rtl["pc"] == gold["pc"]
    assert rtl["overflow"] == gold["overflow"]
    if "instructions" in gold:
        assert rtl["instructions"] == gold["instructions"]
    assert rtl["deferred"] == gold["pending_updates"]
    gmem = np.zeros(c.addr_space, dtype=np.int64)
    gmem[:c.rf_depth] = gold["rf"]
    for m in range(c.mcus_per_core):
        gmem[c.xbar_in_base(m):c.xbar_in_base(m) + c.xbar_size] = gold["xbar_in"][m]
        gmem[c.xbar_out_base(m):c.xbar_out_base(m) + c.xbar_size] = gold["xbar_out"][m]
    diff = np.flatnonzero(rtl["memory"] != gmem)
    assert diff.size == 0, f"operand space differs at {diff[:10]}: rtl {rtl['memory'][diff[:10]]} golden {gmem[diff[:10]]}"
    assert rtl["smem"] == gsmem
    if gold["status"] == "halted":
        # Digital event counts: the RTL's own counters against the golden model's.
        expected = {name: gold["events"].get(name, 0) for name in EVENT_REGS}
        assert rtl["events"] == expected, (rtl["events"], expected)
        for m in range(c.mcus_per_core):
            for k in range(c.xbar_copies):
                assert rtl["weights"][m][k] == gold["mcus"][m]["weights"], (m, k)
    return rtl, gold
