"""The front end (``Fetch`` with an ``InstructionMemory``): every instruction reaches the
execute stage's register once and in program order, whatever the execute stage's stalls, with
the latencies of docs/core.md (the first four cycles after a restart, a redirect's target
four cycles after it: a 3-cycle bubble, the check stage's among them, docs/synthesis.md
"chkstage"); the memory's word is registered before the decoder (issue 20), so what the
memory shows in a cycle never reaches ``x_instr`` at the end of that cycle."""

import numpy as np
from amaranth.hdl import Module
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.fetch import Fetch
from panther.hdl.core.imem import InstructionMemory
from panther.isa.encoding import encode, make

CFG = PRESETS["small"]


def _program(n):
    """``set`` words whose immediate is their own PC, so each word names its address."""
    return [encode(make("set", dst=1, imm=pc)) for pc in range(n)]


def _bench(program, script):
    """Run ``script(ctx, fetch, log)`` on a Fetch + InstructionMemory loaded with ``program``;
    ``log`` collects ``(cycle, imm)`` of every instruction the execute stage takes."""
    m = Module()
    m.submodules.imem = imem = InstructionMemory(config=CFG)
    m.submodules.fetch = fetch = Fetch(config=CFG)
    m.d.comb += [imem.f_addr.eq(fetch.imem_addr), imem.f_en.eq(fetch.imem_en),
                 fetch.imem_data.eq(imem.f_data)]
    log = []

    async def bench(ctx):
        for pc, word in enumerate(program):
            ctx.set(imem.h_addr, pc)
            ctx.set(imem.h_wdata, word)
            ctx.set(imem.h_we, 1)
            await ctx.tick()
        ctx.set(imem.h_we, 0)
        ctx.set(fetch.prog_len, len(program))
        await script(ctx, fetch, log)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return log


async def _step(ctx, fetch, log, cycle, *, ready):
    """One cycle with ``x_ready = ready``; logs what the execute stage takes at its end."""
    ctx.set(fetch.x_ready, ready)
    if ready and ctx.get(fetch.x_valid):
        log.append((cycle, ctx.get(fetch.x_instr.imm)))
    await ctx.tick()



async def _start(ctx, fetch):
    """One cycle of ``restart``, then ``running`` high."""
    ctx.set(fetch.restart, 1)
    await ctx.tick()
    ctx.set(fetch.restart, 0)
    ctx.set(fetch.running, 1)

def test_instructions_arrive_in_order_once_whatever_the_stalls():
    rng = np.random.default_rng(5)
    n = 40
    readies = [int(r) for r in rng.integers(0, 2, 400)]

    async def script(ctx, fetch, log):
        await _start(ctx, fetch)
        for cycle, ready in enumerate(readies):
            await _step(ctx, fetch, log, cycle, ready=ready)

    log = _bench(_program(n), script)
    taken = [imm for _, imm in log]
    # In order, none lost or repeated; once the program ends, PC_RANGE words follow (their
    # immediates are 0) and the execute stage would fault on the first.
    assert taken[:n] == list(range(n))


def test_start_and_redirect_latencies():
    """By hand: after a restart the execute stage holds PC 0 in the fourth cycle (restart
    cycle 0: read PC 0; 1: the word register; 2: the check stage's registers; 3: decoded into
    ``x_instr``), then one instruction per cycle; a redirect in cycle r gives the target at
    r + 4."""
    target = 20

    async def script(ctx, fetch, log):
        ctx.set(fetch.restart, 1)
        await ctx.tick()                      # cycle 0
        ctx.set(fetch.restart, 0)
        ctx.set(fetch.running, 1)
        for cycle in range(1, 6):
            await _step(ctx, fetch, log, cycle, ready=1)
        ctx.set(fetch.redirect, 1)            # cycle 6: the instruction in execute redirects
        ctx.set(fetch.redirect_pc, target)
        ctx.set(fetch.x_ready, 1)
        await ctx.tick()
        ctx.set(fetch.redirect, 0)
        for cycle in range(7, 13):
            await _step(ctx, fetch, log, cycle, ready=1)

    log = _bench(_program(32), script)
    # x_instr holds PC 0 in cycle 4, PC 1 in 5; the redirect in cycle 6 (x_instr holds PC 2)
    # flushes PCs 3 to 5 from the stages; the target is in x_instr from cycle 10.
    assert log == [(4, 0), (5, 1), (10, target), (11, target + 1), (12, target + 2)]


def test_the_memory_word_is_registered_before_the_decoder():
    """The testbench is the memory: once the front end is stalled (PC 0 in the skid
    register, PC 1 in the check stage, PC 2 in the word register, PC 3 read), the memory
    shows a word of all ones in the cycles the execute stage takes PC 0 to PC 2; ``x_instr``
    gets their ``set`` words all the same (a decoder on the memory's output would have taken
    the garbage, issue 20)."""
    fetch = Fetch(config=CFG)
    program = _program(5)
    seen = []

    async def bench(ctx):
        ctx.set(fetch.prog_len, len(program))
        ctx.set(fetch.restart, 1)
        assert ctx.get(fetch.imem_en) and ctx.get(fetch.imem_addr) == 0
        await ctx.tick()                      # the memory reads PC 0
        ctx.set(fetch.imem_data, program[0])
        ctx.set(fetch.restart, 0)
        ctx.set(fetch.running, 1)
        ctx.set(fetch.x_ready, 0)
        assert ctx.get(fetch.imem_en) and ctx.get(fetch.imem_addr) == 1
        await ctx.tick()                      # the word register takes PC 0; PC 1 is read
        ctx.set(fetch.imem_data, program[1])
        assert ctx.get(fetch.imem_en) and ctx.get(fetch.imem_addr) == 2
        await ctx.tick()                      # the check stage takes PC 0, the word PC 1
        ctx.set(fetch.imem_data, program[2])
        assert ctx.get(fetch.imem_en) and ctx.get(fetch.imem_addr) == 3
        await ctx.tick()                      # skid PC 0, check PC 1, word PC 2
        ctx.set(fetch.imem_data, program[3])
        assert not ctx.get(fetch.imem_en)     # stalled: the memory holds PC 3
        await ctx.tick()
        ctx.set(fetch.imem_data, (1 << 64) - 1)
        ctx.set(fetch.x_ready, 1)
        for _ in range(3):
            await ctx.tick()
            seen.append((ctx.get(fetch.x_valid), ctx.get(fetch.x_instr.imm),
                         ctx.get(fetch.x_instr.pc)))

    sim = Simulator(fetch)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert seen == [(1, 0, 0), (1, 1, 1), (1, 2, 2)]


def test_the_front_end_stalls_on_registers_not_on_x_ready():
    """Issue 20: in every cycle of a run with random stalls, the instruction memory's enable
    and address are the same whether the execute stage takes an instruction or not (its
    ``x_ready`` is decoded from the units' states late in the cycle)."""
    rng = np.random.default_rng(7)
    readies = [int(r) for r in rng.integers(0, 2, 200)]
    differ = []

    async def script(ctx, fetch, log):
        await _start(ctx, fetch)
        for cycle, ready in enumerate(readies):
            seen = []
            for probe in (0, 1):
                ctx.set(fetch.x_ready, probe)
                seen.append((ctx.get(fetch.imem_en), ctx.get(fetch.imem_addr)))
            if seen[0] != seen[1]:
                differ.append(cycle)
            await _step(ctx, fetch, log, cycle, ready=ready)

    log = _bench(_program(40), script)
    assert differ == []
    assert [imm for _, imm in log][:40] == list(range(40))


def test_a_stall_costs_no_cycle():
    """Once the first instruction has arrived (cycle 4 after a restart), the execute stage
    takes an instruction in every cycle it is ready, whatever the stalls before (the skid
    register holds the one the front end decoded meanwhile)."""
    rng = np.random.default_rng(11)
    readies = [1, 1, 1, 1] + [int(r) for r in rng.integers(0, 2, 120)]

    async def script(ctx, fetch, log):
        await _start(ctx, fetch)
        for cycle, ready in enumerate(readies, start=1):
            await _step(ctx, fetch, log, cycle, ready=ready)

    log = _bench(_program(128), script)
    ready_cycles = [cycle for cycle, ready in enumerate(readies, start=1) if ready and cycle >= 4]
    assert [cycle for cycle, _ in log] == ready_cycles
    assert [imm for _, imm in log] == list(range(len(ready_cycles)))


def test_the_execute_register_is_empty_while_the_core_is_stopped():
    """The execute stage dispatches on ``x_valid`` without testing ``running`` (issue 20), so
    ``x_valid`` is low at every edge after a cycle with ``running`` low, whatever the stage
    takes meanwhile, until instructions flow again after ``running`` rises: stopped in a
    cycle where the word, skid and execute registers are all full (the execute stage took
    nothing for 4 cycles), with ``x_ready`` high while stopped."""
    seen = []

    async def script(ctx, fetch, log):
        await _start(ctx, fetch)
        for cycle in range(8):
            await _step(ctx, fetch, log, cycle, ready=int(cycle < 4))
        assert ctx.get(fetch.x_valid)              # full when the core stops
        ctx.set(fetch.running, 0)
        for cycle in range(8, 14):
            await _step(ctx, fetch, log, cycle, ready=1)
            seen.append(ctx.get(fetch.x_valid))
        ctx.set(fetch.running, 1)
        for cycle in range(14, 20):
            await _step(ctx, fetch, log, cycle, ready=1)
        seen.append(ctx.get(fetch.x_valid))

    _bench(_program(40), script)
    assert seen == [0] * 6 + [1]
