"""The channel table in the Amaranth simulator: a memory with a written-since-reset bit per
entry, checked against a dict (the model) through random writes, reads and resets."""

import gc
import random
import warnings

import pytest
from amaranth.hdl import Module, ResetInserter, Signal, UnusedElaboratable
from amaranth.sim import Simulator

from panther.hdl.node.channel_table import ChannelTable


@pytest.mark.parametrize("depth", [37, 1, 2, 64])
def test_entries_read_what_was_written_and_zero_after_a_reset(depth):
    rng = random.Random(depth)
    table = ChannelTable(width=5, depth=depth, reads=2)
    clear = Signal()
    m = Module()
    m.submodules.table = ResetInserter({"sync": clear})(table)
    checked = {"zero": 0, "written": 0}

    async def bench(ctx):
        model = {}
        for step in range(600):
            ctx.set(clear, 0)
            ctx.set(table.write_en, 0)
            if step % 150 == 149:
                ctx.set(clear, 1)                     # a reset: every entry reads 0 after it
            elif rng.random() < 0.6:
                addr, value = rng.randrange(depth), rng.randrange(1, 32)
                ctx.set(table.write_addr, addr)
                ctx.set(table.write_data, value)
                ctx.set(table.write_en, 1)
            reads = [rng.randrange(depth) for _ in range(2)]
            for port, addr in enumerate(reads):
                ctx.set(table.read_addr[port], addr)
            for port, addr in enumerate(reads):
                assert ctx.get(table.read_data[port]) == model.get(addr, 0), (step, addr)
                checked["written" if addr in model else "zero"] += 1
            if ctx.get(clear):
                model = {}
            elif ctx.get(table.write_en):
                model[ctx.get(table.write_addr)] = ctx.get(table.write_data)
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()
    assert checked["zero"] >= 5 and checked["written"] > 100


@pytest.mark.parametrize("bad", [{"width": 0}, {"depth": 0}, {"reads": 1.5}])
def test_sizes_must_be_positive_integers(bad):
    sizes = {"width": 4, "depth": 8, "reads": 1} | bad
    # The half-built component warns when collected: collect it here, not in a later test
    # (with -W error, it failed whichever test the collector happened to run in).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        with pytest.raises(ValueError, match="must be a positive integer"):
            ChannelTable(**sizes)
        gc.collect()
