"""Shared memory + round-robin arbiter + deadlock detector in the Amaranth simulator.

Virtual cores drive the shared-memory ports with the contract's protocol. Every completed
access is replayed, in completion order, on a plain-Python model of docs/semantics.md §6
written here: each ack must be legal in the model, each load must return the model's value,
and the final memory (read through the host port) must equal the model's.
"""

import random

import pytest
from amaranth.hdl import Elaboratable, Module, Signal
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.fixed_point import wrap
from panther.hdl.tile.smem_system import SharedMemorySystem

# Variant 3 reserves no shared-memory OPA region: the ports may use all 64 words.
CONFIG = PRESETS["small"].replace(smem_depth=64, cores_per_tile=3, variant=3)
MASK = (1 << CONFIG.data_bits) - 1


class Model:
    """Plain-Python shared memory: values, valid bits, counters."""

    def __init__(self, depth, values=None, valid=None, count=None):
        self.value = list(values or [0] * depth)
        self.valid = list(valid or [False] * depth)
        self.count = list(count or [0] * depth)

    def ready(self, op):
        kind, addr = op[0], op[1]
        return self.valid[addr] if kind == "ld" else not self.valid[addr]

    def apply(self, op):
        kind, addr = op[0], op[1]
        assert self.ready(op), f"acked {op} but the word is not ready"
        if kind == "st":
            self.value[addr], self.valid[addr], self.count[addr] = op[2], True, op[3]
            return None
        if self.count[addr]:
            self.count[addr] -= 1
            self.valid[addr] = self.count[addr] > 0
        return self.value[addr]


class _Counted(Elaboratable):
    """``dut`` beside a free-running cycle counter, which every testbench reads as the time."""

    def __init__(self, dut):
        self.dut = dut
        self.now = Signal(32)

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = self.dut
        m.d.sync += self.now.eq(self.now + 1)
        return m


def run(programs, *, init=None, max_cycles=5000, halt_when_done=True, host_writes=()):
    """Run per-core op lists; returns (events, final dump, deadlock trace).

    ``host_writes``: ``(cycle, addr, (value, valid, count))`` host-port writes during the
    traffic, ``cycle`` counted from the cores' first cycle; the fourth result then lists them
    with the cycle of ``we`` on the clock of the events (their first element).
    """
    dut = SharedMemorySystem(config=CONFIG, n_ports=len(programs))
    top = _Counted(dut)
    sim = Simulator(top)
    sim.add_clock(1e-6)
    events = []
    done = [False] * len(programs)
    dump = {}
    deadlock_seen = []

    def driver(core, ops):
        async def tb(ctx):
            port = dut.ports[core]
            cycle = 0
            for op in ops:
                ctx.set(port.req, 1)
                ctx.set(port.write, op[0] == "st")
                ctx.set(port.addr, op[1])
                ctx.set(port.wdata, (op[2] & MASK) if op[0] == "st" else 0)
                ctx.set(port.count, op[3] if op[0] == "st" else 0)
                while not ctx.get(port.ack):
                    await ctx.tick()
                    cycle += 1
                    assert cycle < max_cycles, f"core {core} still waits for {op}"
                rdata = ctx.get(port.rdata)
                events.append((ctx.get(top.now), core, op, rdata))
                ctx.set(port.req, 0)
                await ctx.tick()
                cycle += 1
            done[core] = True
            if halt_when_done:
                ctx.set(dut.halted[core], 1)
        return tb

    async def host(ctx):
        if init is not None:
            for addr, (value, valid, count) in enumerate(zip(*init)):
                ctx.set(dut.host.addr, addr)
                ctx.set(dut.host.wvalue, value & MASK)
                ctx.set(dut.host.wvalid, valid)
                ctx.set(dut.host.wcount, count)
                ctx.set(dut.host.we, 1)
                await ctx.tick()
            ctx.set(dut.host.we, 0)
        for core, _ops in enumerate(programs):
            sim_core_start[core] = True
        cycles = 0
        writes = sorted(host_writes)
        start = ctx.get(top.now) + 1           # the cores' first cycle
        while not all(done) or writes:
            now = ctx.get(top.now)
            due = writes and writes[0][0] <= now - start
            if due:
                _, addr, (value, valid, count) = writes.pop(0)
                ctx.set(dut.host.addr, addr)
                ctx.set(dut.host.wvalue, value & MASK)
                ctx.set(dut.host.wvalid, valid)
                ctx.set(dut.host.wcount, count)
                host_log.append((now, addr, (value, valid, count)))
            ctx.set(dut.host.we, bool(due))
            await ctx.tick()
            cycles += 1
            if ctx.get(dut.deadlock):
                deadlock_seen.append((cycles, ctx.get(dut.stuck)))
                if len(deadlock_seen) > 20:
                    return
            assert cycles < max_cycles
        for addr in range(CONFIG.smem_depth):
            ctx.set(dut.host.addr, addr)
            await ctx.tick()
            dump.setdefault("value", []).append(_signed(ctx.get(dut.host.rvalue)))
            dump.setdefault("valid", []).append(bool(ctx.get(dut.host.rvalid)))
            dump.setdefault("count", []).append(ctx.get(dut.host.rcount))

    sim_core_start = [False] * len(programs)
    host_log = []

    def gated(core, ops):
        inner = driver(core, ops)

        async def tb(ctx):
            while not sim_core_start[core]:
                await ctx.tick()
            await inner(ctx)
        return tb

    for core, ops in enumerate(programs):
        sim.add_testbench(gated(core, ops), background=True)
    sim.add_testbench(host)
    sim.run()
    if host_writes:
        return events, dump, deadlock_seen, host_log
    return events, dump, deadlock_seen


def _signed(raw):
    return wrap(raw, CONFIG.data_bits)


def _check_ack(model, cycle, core, op, rdata):
    """Apply ``op`` to ``model``; a load's read data must be the model's value."""
    value = model.apply(op)
    if op[0] == "ld":
        assert _signed(rdata) == value, f"core {core} {op} at cycle {cycle}: got {rdata}"


def _check_dump(dump, model):
    """The memory's final contents equal the model's."""
    assert dump["value"] == [_signed(v & MASK) for v in model.value]
    assert dump["valid"] == model.valid
    assert dump["count"] == model.count


def check_against_model(programs, events, dump, model):
    """Replay the acks in completion order on the model; compare loads and the final dump."""
    cycles = [e[0] for e in events]
    assert len(events) == sum(len(p) for p in programs)
    order = sorted(events, key=lambda e: e[0])
    # Each core's ops complete in its program order.
    for core, ops in enumerate(programs):
        assert [e[2] for e in order if e[1] == core] == list(ops)
    for cycle, core, op, rdata in order:
        _check_ack(model, cycle, core, op, rdata)
    _check_dump(dump, model)
    return cycles


def check_with_host_writes(programs, events, dump, host_log, model):
    """As :func:`check_against_model`, with host writes in the order: a write with ``we`` in
    cycle ``w`` lands in ``w + 1``, after the acks up to ``w`` and before those after
    ``w + 1``; no attempt is acked in ``w + 1`` (the write port is the host's)."""
    landing = {w + 1 for w, _, _ in host_log}
    assert not [e for e in events if e[0] in landing], "an ack in a host write's cycle"
    assert len(events) == sum(len(p) for p in programs)
    for core, ops in enumerate(programs):
        assert [e[2] for e in sorted(events) if e[1] == core] == list(ops)
    order = sorted([(e[0], "ack", e[1:]) for e in events]
                   + [(w + 1, "host", (addr, word)) for w, addr, word in host_log])
    for cycle, kind, item in order:
        if kind == "host":
            addr, (value, valid, count) = item
            model.value[addr], model.valid[addr], model.count[addr] = value, bool(valid), count
            continue
        core, op, rdata = item
        _check_ack(model, cycle, core, op, rdata)
    _check_dump(dump, model)


def random_traffic(seed, n_cores, n_ops, *, words=CONFIG.smem_depth):
    """Per-core op lists built from one random legal sequential schedule.

    Every word is stored once and loaded exactly ``count`` times, so any interleaving that
    respects each core's order is deadlock-free and gives the same loads.
    """
    rng = random.Random(seed)
    model = Model(CONFIG.smem_depth)
    programs = [[] for _ in range(n_cores)]
    fresh = list(range(words))
    rng.shuffle(fresh)
    for _ in range(n_ops):
        core = rng.randrange(n_cores)
        valid = [a for a in range(CONFIG.smem_depth) if model.valid[a]]
        if valid and (not fresh or rng.random() < 0.5):
            op = ("ld", rng.choice(valid))
        elif fresh:
            op = ("st", fresh.pop(), rng.randint(-(1 << 15), (1 << 15) - 1), rng.randint(1, 3))
        else:
            break
        model.apply(op)
        programs[core].append(op)
    for addr in range(words):                   # drain what is left
        while model.valid[addr]:
            op = ("ld", addr)
            model.apply(op)
            programs[rng.randrange(n_cores)].append(op)
    return programs


@pytest.mark.parametrize("seed", range(6))
def test_random_traffic_matches_model(seed):
    programs = random_traffic(seed, 3, 60)
    events, dump, deadlocks = run(programs)
    assert not deadlocks
    check_against_model(programs, events, dump, Model(CONFIG.smem_depth))


def test_waiting_core_does_not_block_others():
    # Core 0 waits for word 5, which core 1 stores only after 20 other accesses; core 2 runs
    # freely meanwhile and must finish long before core 0.
    programs = [
        [("ld", 5)],
        [("st", 10 + i, i, 1) for i in range(20)] + [("st", 5, -7, 1)],
        [("ld", 10 + i) for i in range(20)],
    ]
    events, dump, deadlocks = run(programs)
    assert not deadlocks
    check_against_model(programs, events, dump, Model(CONFIG.smem_depth))
    done = {core: max(e[0] for e in events if e[1] == core) for core in range(3)}
    assert events and [e[3] for e in events if e[1] == 0] == [(-7) & MASK]
    assert done[0] > done[1]


def test_ping_pong_reuses_a_word_in_order():
    # One producer, one consumer, one word reused: store waits for invalid, load for valid.
    programs = [[("st", 9, v, 1) for v in (3, -4, 5, -6, 7)], [("ld", 9)] * 5]
    events, dump, deadlocks = run(programs)
    assert not deadlocks
    check_against_model(programs, events, dump, Model(CONFIG.smem_depth))
    assert [_signed(e[3]) for e in sorted(events) if e[1] == 1] == [3, -4, 5, -6, 7]


def test_round_robin_interleaves_cores():
    # Three cores streaming independent stores: every core gets a turn at least every
    # n_cores attempts, so completions interleave instead of one core finishing first.
    programs = [[("st", 20 * c + i, c, 1) for i in range(10)] for c in range(3)]
    events, dump, _ = run(programs)
    check_against_model(programs, events, dump, Model(CONFIG.smem_depth))
    order = [e[1] for e in sorted(events)]
    for window in range(0, 27, 3):
        assert sorted(order[window:window + 3]) == [0, 1, 2], order


def test_host_port_load_and_persistent_words():
    depth = CONFIG.smem_depth
    values = [(i * 37) - 1000 for i in range(depth)]
    valid = [i % 2 == 0 for i in range(depth)]
    count = [0 if i % 4 == 0 else (2 if i % 2 == 0 else 0) for i in range(depth)]
    # Word 0 is persistent (valid, count 0): four loads leave it valid; word 2 has count 2.
    programs = [[("ld", 0), ("ld", 2), ("ld", 0)], [("ld", 0), ("ld", 2)], [("st", 3, 99, 1)]]
    events, dump, deadlocks = run(programs, init=(values, valid, count))
    assert not deadlocks
    model = Model(depth, values, valid, count)
    check_against_model(programs, events, dump, model)
    assert dump["valid"][0] and dump["count"][0] == 0
    assert not dump["valid"][2] and dump["count"][2] == 0
    assert dump["value"][1] == values[1] and dump["valid"][1] is False


def test_deadlock_detected_and_names_cores():
    # Core 0 waits for a word nobody stores; core 1 stores to a persistent (valid) word.
    depth = CONFIG.smem_depth
    valid = [i == 7 for i in range(depth)]
    programs = [[("ld", 4)], [("st", 7, 1, 1)], []]
    _, _, deadlocks = run(programs, init=([0] * depth, valid, [0] * depth), max_cycles=200)
    assert deadlocks, "deadlock output never rose"
    assert deadlocks[-1][1] == 0b011


def test_no_false_deadlock_while_a_core_is_slow():
    # Core 0 waits a long time for core 1, which is busy (not requesting) between accesses.
    programs = [[("ld", 1), ("ld", 2)], [("st", 1, 5, 1)] + [("st", 40 + i, i, 1) for i in range(10)]
                + [("st", 2, 6, 1)]]
    events, dump, deadlocks = run(programs)
    assert not deadlocks
    check_against_model(programs, events, dump, Model(CONFIG.smem_depth))


@pytest.mark.parametrize("seed", range(4))
def test_host_writes_racing_the_cores(seed):
    # The host port is meant for stopped cores; racing them must still be sequential. Cores:
    # random traffic on words 0-47 plus loads of the persistent words 60-63, which the host
    # rewrites (valid, count 0, a new value) every 1-3 cycles, with writes to the unused
    # words 48-59 between them.
    rng = random.Random(100 + seed)
    depth = CONFIG.smem_depth
    programs = random_traffic(seed, 3, 45, words=48)
    for ops in programs:
        for _ in range(8):
            ops.insert(rng.randrange(len(ops) + 1), ("ld", rng.randrange(60, 64)))
    init_values = [0] * depth
    init_valid = [a >= 60 for a in range(depth)]
    for a in range(60, 64):
        init_values[a] = 1000 + a
    writes, cycle = [], 0
    for k in range(60):
        cycle += rng.randint(1, 3)
        if rng.random() < 0.7:
            writes.append((cycle, rng.randrange(60, 64), (rng.randint(-2000, 2000), 1, 0)))
        else:
            writes.append((cycle, rng.randrange(48, 60), (k, rng.randint(0, 1), k % 4)))
    events, dump, deadlocks, host_log = run(
        programs, init=(init_values, init_valid, [0] * depth), host_writes=writes)
    assert not deadlocks
    assert len(host_log) == len(writes)
    model = Model(depth, init_values, init_valid, [0] * depth)
    check_with_host_writes(programs, events, dump, host_log, model)
    # The race did happen: some loads of the rewritten words saw a host's value.
    host_values = {w[2][0] for w in writes if w[1] >= 60}
    assert any(_signed(e[3]) in host_values for e in events if e[2][1] >= 60)
