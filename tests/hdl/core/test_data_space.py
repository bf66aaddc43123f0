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


def _simulate(m, bench):
    """Run testbench ``bench`` on module ``m`` with a 1 MHz clock."""
    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()


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
            m.d.comb += [buf.core.addr.eq(port.addr), buf.core.w_addr.eq(port.w_addr),
                         buf.core.w_en.eq(port.w_en),
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

    _simulate(m, bench)
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


def _space_with_buffers(config):
    m = Module()
    m.submodules.ds = ds = DataSpace(config=config)
    bufs = {}
    for k in range(config.mcus_per_core):
        m.submodules[f"xin{k}"] = xin = XBarIn(config=config)
        m.submodules[f"xout{k}"] = xout = XBarOut(config=config)
        for port, buf, kind in ((ds.xin[k], xin, "in"), (ds.xout[k], xout, "out")):
            m.d.comb += [buf.core.addr.eq(port.addr), buf.core.w_addr.eq(port.w_addr),
                         buf.core.w_en.eq(port.w_en), buf.core.w_data.eq(port.w_data),
                         port.r_data.eq(buf.core.r_data)]
            bufs[(kind, k)] = buf
    return m, ds, bufs


@pytest.mark.parametrize("rf_depth", [16, 13])
def test_a_read_right_after_a_write_sees_it(rf_depth):
    """A buffer write lands a cycle later (the write register, issue 20); a read of any word in
    the next cycle (the same word, another word of that buffer, another buffer, the register
    file) returns what a plain memory of the operand space would (a dict here)."""
    config = BASE.replace(rf_depth=rf_depth)
    m, ds, bufs = _space_with_buffers(config)
    rng = np.random.default_rng(rf_depth)
    space = config.addr_space
    ref = {}
    got = []

    async def bench(ctx):
        p = ds.port
        hot = [config.xbar_in_base(0), config.xbar_out_base(1) + 3, 2]
        for step in range(600):
            # Mostly addresses just written, so that the forwarded case is frequent.
            a = int(rng.choice(hot)) if rng.random() < 0.6 else int(rng.integers(0, space + 2))
            if rng.random() < 0.5:
                v = int(rng.integers(-2**15, 2**15))
                ctx.set(p.addr, a)
                ctx.set(p.wdata, v)
                ctx.set(p.we, 1)
                ctx.set(p.re, 0)
                await ctx.tick()
                if a < space:
                    ref[a] = v
                hot[step % len(hot)] = a
            else:
                ctx.set(p.addr, a)
                ctx.set(p.we, 0)
                ctx.set(p.re, 1)
                await ctx.tick()
                # The next cycle presents another address (the data is the read's).
                ctx.set(p.re, 0)
                ctx.set(p.addr, int(rng.integers(0, space + 2)))
                got.append((a, ctx.get(p.rdata), ref.get(a, 0) if a < space else 0))
        ctx.set(p.we, 0)
        ctx.set(p.re, 0)

    _simulate(m, bench)
    assert len(got) > 200
    assert [(a, g) for a, g, _ in got] == [(a, e) for a, _, e in got]


def test_a_buffer_write_lands_a_cycle_later():
    config = BASE.replace(rf_depth=16)
    m, ds, bufs = _space_with_buffers(config)
    db = config.data_bits
    addr = config.xbar_out_base(1) + 2
    seen = []

    async def bench(ctx):
        p = ds.port
        ctx.set(p.addr, addr)
        ctx.set(p.wdata, -5)
        ctx.set(p.we, 1)
        await ctx.tick()
        ctx.set(p.we, 0)
        for _ in range(2):
            seen.append((ctx.get(bufs[("out", 1)].words) >> (2 * db)) & ((1 << db) - 1))
            await ctx.tick()

    _simulate(m, bench)
    assert seen == [0, (-5) & ((1 << db) - 1)]


@pytest.mark.parametrize("rf_depth", [16, 13])
def test_rdata_is_the_word_in_the_cycle_after_a_read_only(rf_depth):
    """The register file's read port is always enabled and the read data's select is
    registered from the read cycle alone: in every cycle ``rdata`` is the word read in the
    previous cycle (a dict of the operand space here), or 0 when that cycle read nothing
    (idle or a write, whatever its address and data) or read outside the space. The
    outputs beside it agree: ``rf_rdata`` when ``rf_read`` (the block RAM's word: not for a
    register-file word written in the cycle before the read, which lands in the read's
    cycle and reaches ``rdata`` by the forward), else ``buf_rdata``."""
    config = BASE.replace(rf_depth=rf_depth)
    m, ds, _ = _space_with_buffers(config)
    rng = np.random.default_rng(100 + rf_depth)
    space = config.addr_space
    ref, expect, got = {}, [], []
    landing = None                  # the register-file word written in the previous cycle

    async def bench(ctx):
        nonlocal landing
        p = ds.port
        hot = [config.xbar_in_base(1) + 1, config.xbar_out_base(0), 5]
        for step in range(800):
            a = int(rng.choice(hot)) if rng.random() < 0.5 else int(rng.integers(0, space + 2))
            kind = rng.choice(["read", "write", "idle"])
            v = int(rng.integers(-2**15, 2**15))
            ctx.set(p.addr, a)
            ctx.set(p.wdata, v)
            ctx.set(p.re, int(kind == "read"))
            ctx.set(p.we, int(kind == "write"))
            await ctx.tick()
            rf_read = ctx.get(ds.rf_read)
            side = ctx.get(ds.rf_rdata) if rf_read else ctx.get(ds.buf_rdata)
            word = ref.get(a, 0) if kind == "read" and a < space else 0
            if kind == "read" and a == landing:
                side = word                 # the block RAM's word is not the landing one
            got.append((ctx.get(p.rdata), side))
            expect.append((word, word))
            landing = a if kind == "write" and a < config.rf_depth else None
            if kind == "write" and a < space:
                ref[a] = v
                hot[step % len(hot)] = a
        ctx.set(p.we, 0)
        ctx.set(p.re, 0)

    _simulate(m, bench)
    assert sum(1 for e, _ in expect if e != 0) > 150
    assert got == expect


def test_the_host_access_and_the_requesters_forward():
    """With ``host_sel`` high the host's access drives the space (``host``): its writes land
    and its reads return ``rf_rdata`` / ``buf_rdata`` by ``rf_read`` (a dict of the operand
    space here), whatever ``port`` presents. The register file's forward decision follows
    ``port`` alone: a requester's register-file read or write in those cycles neither
    writes nor puts a register-file word on ``port.rdata`` (0 after a host cycle with no
    buffer read), and with ``host_sel`` low again a requester reads what the host wrote."""
    config = BASE.replace(rf_depth=16)
    m, ds, _ = _space_with_buffers(config)
    rng = np.random.default_rng(7)
    space = config.addr_space
    ref, got, expect = {}, [], []

    async def bench(ctx):
        h, p = ds.host, ds.port
        ctx.set(ds.host_sel, 1)
        last = None
        for _ in range(400):
            a = int(rng.integers(0, space))
            kind = rng.choice(["read", "write", "idle"])
            if kind == "read" and a == last:
                kind = "idle"   # the debug port's latency: no read of the word landing
            last = a if kind == "write" else None
            v = int(rng.integers(-2**15, 2**15))
            ctx.set(h.addr, a)
            ctx.set(h.wdata, v)
            ctx.set(h.re, int(kind == "read"))
            ctx.set(h.we, int(kind == "write"))
            # The requesters' port is busy with something else (a stopping unit).
            ctx.set(p.addr, int(rng.integers(0, config.rf_depth)))
            ctx.set(p.wdata, int(rng.integers(-2**15, 2**15)))
            ctx.set(p.re, int(rng.integers(0, 2)))
            ctx.set(p.we, 0)
            await ctx.tick()
            if kind == "read":
                side = ctx.get(ds.rf_rdata) if ctx.get(ds.rf_read) else ctx.get(ds.buf_rdata)
                got.append(side)
                expect.append(ref.get(a, 0))
            if kind != "read" or a < config.rf_depth:
                # no buffer read in that cycle: the requesters' read data is 0
                got.append(ctx.get(p.rdata))
                expect.append(0)
            if kind == "write":
                ref[a] = v
        ctx.set(ds.host_sel, 0)
        ctx.set(h.re, 0)
        ctx.set(h.we, 0)
        await ctx.tick()
        for a in range(space):
            ctx.set(p.addr, a)
            ctx.set(p.re, 1)
            await ctx.tick()
            ctx.set(p.re, 0)
            got.append(ctx.get(p.rdata))
            expect.append(ref.get(a, 0))

    _simulate(m, bench)
    assert sum(1 for e in expect if e != 0) > 100
    assert got == expect
