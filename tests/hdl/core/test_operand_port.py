"""The execute stage's operand-port multiplexer (:class:`hdl.core.operand_port.OperandPort`):
a unit owns the port from the cycle after its ``start`` to the cycle of its ``end``, the
execute stage otherwise. The expected owner of every cycle is written from that rule; the
unit runs and the requesters' signals are random (``re``/``we`` of the owner alone, the
port's contract)."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.operand_port import UNITS, OperandPort

CONFIG = PRESETS["small"]
NAMES = (*UNITS, "own")


def _schedule(rng, runs, *, overlap=False):
    """Cycle by cycle: (start bits, end bits, expected owner index) of ``runs`` unit runs
    with idle gaps (0-2 cycles) between them; with ``overlap`` a gap of 0 is a start in the
    previous run's end cycle (the starting unit owns the port from the next cycle)."""
    cycles, owner = [], len(UNITS)
    for _ in range(runs):
        gap = int(rng.integers(0, 3))
        for _ in range(gap):
            cycles.append((0, 0, owner))
        unit, length = int(rng.integers(len(UNITS))), int(rng.integers(1, 5))
        if overlap and gap == 0 and cycles and cycles[-1][1]:
            _, end, prev = cycles.pop()
            cycles.append((1 << unit, end, prev))       # start in the previous end's cycle
        else:
            cycles.append((1 << unit, 0, owner))         # the start cycle: still the stage's
        owner = unit
        for k in range(length):
            cycles.append((0, (1 << unit) if k == length - 1 else 0, owner))
        owner = len(UNITS)
    cycles.append((0, 0, owner))
    return cycles


@pytest.mark.parametrize("overlap", [False, True])
def test_the_owner_of_every_cycle_drives_the_port(overlap):
    rng = np.random.default_rng(5)
    dut = OperandPort(config=CONFIG)
    cycles = _schedule(rng, 40, overlap=overlap)
    assert not overlap or any(start and end for start, end, _ in cycles)
    addr_bits, data_bits = CONFIG.ADDR_BITS, CONFIG.data_bits
    seen = []

    async def tb(ctx):
        for start, end, owner in cycles:
            values = {}
            for name in NAMES:
                p = getattr(dut, name)
                mine = name == NAMES[owner]     # only the owner asks (re, we)
                v = dict(addr=int(rng.integers(1 << addr_bits)),
                         re=int(rng.integers(2)) * mine, we=int(rng.integers(2)) * mine,
                         wdata=int(rng.integers(-(1 << (data_bits - 1)), 1 << (data_bits - 1))))
                for field, value in v.items():
                    ctx.set(getattr(p, field), value)
                values[name] = v
            rdata = int(rng.integers(-(1 << (data_bits - 1)), 1 << (data_bits - 1)))
            ctx.set(dut.port.rdata, rdata)
            ctx.set(dut.start, start)
            ctx.set(dut.end, end)
            got = {f: ctx.get(getattr(dut.port, f)) for f in ("addr", "re", "we", "wdata")}
            seen.append((got == values[NAMES[owner]], ctx.get(dut.owner) == 1 << owner,
                         all(ctx.get(getattr(dut, n).rdata) == rdata for n in NAMES)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert len(seen) == len(cycles) > 100
    assert all(all(s) for s in seen), [k for k, s in enumerate(seen) if not all(s)][:5]
