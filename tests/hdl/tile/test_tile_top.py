"""The Tile top with stub cores (a fixed list of shared-memory accesses each): wiring of the
shared-memory ports, pass-through of core ports, all_halted and the deadlock output."""

import pytest
from amaranth.hdl import Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.flatten import FlatPorts, flat_ports
from panther.hdl.tile import SharedMemoryPortSignature
from panther.hdl.tile.tile import Tile

# Variant 3 reserves no shared-memory OPA region: the stub cores may use all 32 words.
CONFIG = PRESETS["small"].replace(smem_depth=32, cores_per_tile=2, variant=3)


class StubCore(wiring.Component):
    """Performs ``ops`` (('st', addr, value) / ('ld', addr)) on its port once ``run`` is high,
    then halts; ``last`` shows the last loaded value, ``dbg_echo`` echoes ``dbg_in``."""

    def __init__(self, *, config, core_id, ops):
        self.ops = ops
        super().__init__({
            "smem": Out(SharedMemoryPortSignature(config)),
            "run": In(1), "halted": Out(1), "last": Out(config.data_bits),
            "dbg": Out(wiring.Signature({"din": In(8), "dout": Out(8)})),
        })

    def elaborate(self, platform):
        m = Module()
        step = Signal(range(len(self.ops) + 1))
        m.d.comb += self.dbg.dout.eq(self.dbg.din + 1)
        with m.If(self.run & (step < len(self.ops))):
            with m.Switch(step):
                for k, op in enumerate(self.ops):
                    with m.Case(k):
                        m.d.comb += [self.smem.req.eq(1), self.smem.write.eq(op[0] == "st"),
                                     self.smem.addr.eq(op[1]), self.smem.count.eq(1)]
                        if op[0] == "st":
                            m.d.comb += self.smem.wdata.eq(op[2])
            with m.If(self.smem.ack):
                m.d.sync += step.eq(step + 1)
                with m.If(~self.smem.write):
                    m.d.sync += self.last.eq(self.smem.rdata)
        m.d.comb += self.halted.eq(step == len(self.ops))
        return m


def make_tile(programs):
    return Tile(config=CONFIG, core_factory=lambda *, config, core_id:
                StubCore(config=config, core_id=core_id, ops=programs[core_id]))


def simulate(tile, body):
    sim = Simulator(tile)
    sim.add_clock(1e-6)
    sim.add_testbench(body)
    sim.run()


def test_core_ports_are_plain_top_level_signals_once_flattened():
    tile = make_tile([[], []])
    core_ports = {f"c{i}_{n}" for i in range(2) for n in ("run", "halted", "last", "dbg_din",
                                                           "dbg_dout")}
    names = {port.name for port in flat_ports(tile.signature)}
    assert {name for name in names if name[:2] in ("c0", "c1")} == core_ports | {
        "c0_smem_addr_out", "c1_smem_addr_out"}
    top = FlatPorts(tile)
    for name in core_ports:
        assert isinstance(getattr(top, name), Signal)
    assert isinstance(Value.cast(tile.c0.dbg.dout), Signal)

    def bad_core(*, config, core_id):
        return wiring.Component({"halted": Out(1)})
    with pytest.raises(ValueError, match="SharedMemoryPortSignature"):
        Tile(config=CONFIG, core_factory=bad_core)


def test_cores_exchange_words_and_halt():
    # Core 0 waits for word 3 (stored by core 1 after its own work), then answers on word 4.
    tile = make_tile([[("ld", 3), ("st", 4, 111)], [("st", 10, 5), ("st", 3, 42), ("ld", 4)]])

    async def body(ctx):
        assert ctx.get(tile.c0.dbg.dout) == 1
        ctx.set(tile.c1.dbg.din, 9)
        assert ctx.get(tile.c1.dbg.dout) == 10
        assert not ctx.get(tile.all_halted)
        ctx.set(tile.c0.run, 1)
        ctx.set(tile.c1.run, 1)
        for _cycle in range(100):
            await ctx.tick()
            assert not ctx.get(tile.deadlock)
            if ctx.get(tile.all_halted):
                break
        assert ctx.get(tile.all_halted)
        assert ctx.get(tile.c0.last) == 42 and ctx.get(tile.c1.last) == 111
        dump = []
        for addr in (3, 4, 10):
            ctx.set(tile.host_smem.addr, addr)
            await ctx.tick()
            dump.append((ctx.get(tile.host_smem.rvalue), ctx.get(tile.host_smem.rvalid),
                         ctx.get(tile.host_smem.rcount)))
        assert dump == [(42, 0, 0), (111, 0, 0), (5, 1, 1)]

    simulate(tile, body)


def test_deadlock_output_names_waiting_cores():
    tile = make_tile([[("ld", 7)], [("st", 9, 1), ("ld", 8)]])

    async def body(ctx):
        ctx.set(tile.c0.run, 1)
        ctx.set(tile.c1.run, 1)
        for _ in range(50):
            await ctx.tick()
        assert ctx.get(tile.deadlock) and not ctx.get(tile.all_halted)
        assert ctx.get(tile.smem_stuck) == 0b11
        assert ctx.get(tile.smem_req) == 0b11 and ctx.get(tile.smem_write) == 0
        assert (ctx.get(tile.c0_smem_addr_out), ctx.get(tile.c1_smem_addr_out)) == (7, 8)
        # The host stores word 8: core 1 proceeds and halts, core 0 alone is still stuck.
        ctx.set(tile.host_smem.addr, 8)
        ctx.set(tile.host_smem.wvalue, 5)
        ctx.set(tile.host_smem.wvalid, 1)
        ctx.set(tile.host_smem.wcount, 1)
        ctx.set(tile.host_smem.we, 1)
        await ctx.tick()
        ctx.set(tile.host_smem.we, 0)
        assert not ctx.get(tile.deadlock)
        for _ in range(20):
            await ctx.tick()
        assert ctx.get(tile.c1.halted) and ctx.get(tile.c1.last) == 5
        assert ctx.get(tile.deadlock) and ctx.get(tile.smem_stuck) == 0b01

    simulate(tile, body)
