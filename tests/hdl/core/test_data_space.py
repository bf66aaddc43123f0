"""The operand space's address decode (``DataSpace``) against the configuration's own map
(``config.xbar_in_base`` / ``xbar_out_base``, semantics §4): every address writes exactly the
word it names and reads it back, on layouts whose buffers start on a ``2 xbar_size`` boundary
(decoded from the high bits, issue 20) and on layouts where they do not (decoded through the
offset from ``rf_depth``)."""

import numpy as np
import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.data_space import DataSpace
from panther.hdl.mcu.xbar_buffers import XBarIn, XBarOut

BASE = PRESETS["small"].replace(xbar_size=4, adcs_per_xbar=2, mcus_per_core=2)


def _owner(config, addr):
    """``('rf', a)``, ``('in', m, i)``, ``('out', m, i)`` or None, from the config's map."""
    if addr < config.rf_depth:
        return ("rf", addr)
    for m in range(config.mcus_per_core):
        for kind, base in (("in", config.xbar_in_base(m)), ("out", config.xbar_out_base(m))):
            if base <= addr < base + config.xbar_size:
                return (kind, m, addr - base)
    return None


@pytest.mark.parametrize("rf_depth", [16, 24, 20, 13])   # aligned: 16, 24 (2 x 4 divides)
def test_every_address_reaches_its_word(rf_depth):
    config = BASE.replace(rf_depth=rf_depth)
    M, n = config.mcus_per_core, config.xbar_size
    m = Module()
    m.submodules.ds = ds = DataSpace(config=config)
    bufs = {}
    for k in range(M):
        m.submodules[f"xin{k}"] = xin = XBarIn(config=config)
        m.submodules[f"xout{k}"] = xout = XBarOut(config=config)
        for port, buf, kind in ((ds.xin[k], xin, "in"), (ds.xout[k], xout, "out")):
            m.d.comb += [buf.core.addr.eq(port.addr), buf.core.w_en.eq(port.w_en),
                         buf.core.w_data.eq(port.w_data), port.r_data.eq(buf.core.r_data)]
            bufs[(kind, k)] = buf
    top = config.addr_space + 3                  # a few addresses past the operand space
    values = {a: 100 + a for a in range(top)}
    got, words = {}, {}

    async def bench(ctx):
        p = ds.port
        for a in range(top):
            ctx.set(p.addr, a)
            ctx.set(p.wdata, values[a])
            ctx.set(p.we, 1)
            await ctx.tick()
        ctx.set(p.we, 0)
        for a in range(top):
            ctx.set(p.addr, a)
            ctx.set(p.re, 1)
            await ctx.tick()
            ctx.set(p.re, 0)
            got[a] = ctx.get(p.rdata)
        for (kind, k), buf in bufs.items():
            store = ctx.get(buf.words)
            db = config.data_bits
            words[(kind, k)] = [(store >> (i * db)) & ((1 << db) - 1) for i in range(n)]

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    expected_words = {key: [None] * n for key in bufs}
    for a in range(top):
        owner = _owner(config, a)
        if owner is None:
            assert got[a] == 0, a                 # out of the space: reads 0, writes nothing
        else:
            assert got[a] == values[a], (a, owner)
            if owner[0] != "rf":
                expected_words[(owner[0], owner[1])][owner[2]] = values[a]
    assert words == expected_words
    assert np.all([w is not None for ws in expected_words.values() for w in ws])
