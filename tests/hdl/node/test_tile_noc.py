"""One tile's network interface in the Amaranth simulator, its core ports driven directly:
the three-step recv (the channel registered, its lookup, then grant and head write) takes one
word every other cycle from the second cycle of ``rx_req`` (registered), exactly ``rx_words``
of them, and never repeats or skips a word on back-to-back grants of
one channel; a send stops at exactly ``noc_fifo_depth`` words in flight (the registered
credit check) and goes on with the credits returned. Expected words and cycles follow from
the documented rules (docs/node.md, docs/synthesis.md "noc"), not from the RTL."""

import pytest
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.node.noc_port import CHANNEL_LEAD, FlitKind
from panther.hdl.node.tile_noc import TileNoc

CONFIG = PRESETS["small"].replace(smem_depth=32, variant=3, noc_fifo_depth=4)
D, W = CONFIG.noc_fifo_depth, CONFIG.noc_words_per_flit


async def _inject(ctx, dut, *, kind, src_tile, src_core, dst_core, words=(), count=None):
    """Offer one flit on the tile's link until it is taken."""
    flit = dut.port.rx.flit
    ctx.set(flit.kind, kind)
    ctx.set(flit.src_tile, src_tile)
    ctx.set(flit.src_core, src_core)
    ctx.set(flit.dst_tile, dut.tile_id)
    ctx.set(flit.dst_core, dst_core)
    ctx.set(flit.count, len(words) if count is None else count)
    for w, word in enumerate(words):
        ctx.set(flit.words[w], word)
    ctx.set(dut.port.rx.valid, 1)
    while not ctx.get(dut.port.rx.ready):
        await ctx.tick()
    await ctx.tick()
    ctx.set(dut.port.rx.valid, 0)


async def _inject_words(ctx, dut, *, src_tile, src_core, dst_core, words):
    """Offer ``words`` as DATA flits of at most ``W`` words each."""
    for first in range(0, len(words), W):
        await _inject(ctx, dut, kind=FlitKind.DATA, src_tile=src_tile, src_core=src_core,
                      dst_core=dst_core, words=words[first:first + W])


def _simulate(dut, bench):
    sim = Simulator(dut)
    sim.add_clock(1e-9)
    sim.add_testbench(bench)
    sim.run()


async def _recv(ctx, port, *, tile, core, words, cycles):
    """Present the channel and ``words`` for ``CHANNEL_LEAD - 1`` cycles, then hold
    ``rx_req`` for ``cycles`` cycles (and lower it for one); the (cycle from the first
    ``rx_req`` cycle, word) of every acknowledge."""
    ctx.set(port.rx_tile, tile)
    ctx.set(port.rx_core, core)
    ctx.set(port.rx_words, words)
    await ctx.tick().repeat(CHANNEL_LEAD - 1)
    ctx.set(port.rx_req, 1)
    got = []
    for cycle in range(cycles):
        if ctx.get(port.rx_ack):
            got.append((cycle, ctx.get(port.rx_data)))
        await ctx.tick()
    ctx.set(port.rx_req, 0)
    await ctx.tick()
    return got


@pytest.mark.parametrize("tile_id", [0, 3])
def test_recv_takes_a_word_every_other_cycle_from_its_second_cycle(tile_id):
    dut = TileNoc(config=CONFIG, tile_id=tile_id)
    words = [11, 12, 13, 14][:D]
    out = {}

    async def bench(ctx):
        await _inject_words(ctx, dut, src_tile=1, src_core=0, dst_core=1, words=words)
        await ctx.tick().repeat(2 * W + 2)       # the holding register writes a word a cycle
        # one word more than the channel holds: it waits for it
        out["got"] = await _recv(ctx, dut.cores[1], tile=1, core=0, words=len(words) + 1,
                                 cycles=4 * len(words))
        out["waiting"] = ctx.get(dut.waiting[1])
        ctx.set(dut.cores[1].rx_req, 1)         # a new request of one word: it waits too
        ctx.set(dut.cores[1].rx_words, 1)
        await ctx.tick()
        out["waiting_again"] = ctx.get(dut.waiting[1])

    _simulate(dut, bench)
    # grant in the second rx_req cycle (the tile registers rx_req; the lookup was the cycle
    # before), word a cycle later; the next grant two cycles after the last
    assert out["got"] == [(2 + 2 * n, word) for n, word in enumerate(words)]
    assert out["waiting"] == 0 and out["waiting_again"] == 1


def test_recv_takes_exactly_its_words_while_rx_req_is_still_high():
    # rx_req is seen a cycle late: the tile stops at rx_words, not at rx_req's fall
    dut = TileNoc(config=CONFIG, tile_id=0)
    words = [41, 42, 43, 44][:D]
    out = {}

    async def bench(ctx):
        await _inject_words(ctx, dut, src_tile=2, src_core=1, dst_core=0, words=words)
        await ctx.tick().repeat(2 * W + 2)
        out["first"] = await _recv(ctx, dut.cores[0], tile=2, core=1, words=1, cycles=8)
        out["rest"] = await _recv(ctx, dut.cores[0], tile=2, core=1, words=len(words) - 1,
                                  cycles=4 * len(words))

    _simulate(dut, bench)
    assert [w for _, w in out["first"]] == words[:1]
    assert [w for _, w in out["rest"]] == words[1:]


def test_recv_switches_channels_after_a_cycle_without_rx_req():
    dut = TileNoc(config=CONFIG, tile_id=2)
    channels = {(0, 1): [21, 22, 23], (3, 0): [31, 32]}
    out = {}

    async def bench(ctx):
        for (tile, core), words in channels.items():
            await _inject_words(ctx, dut, src_tile=tile, src_core=core, dst_core=0,
                                words=words)
        await ctx.tick().repeat(2 * W + 2)
        got = []
        for (tile, core), words in channels.items():
            # hold rx_req until the last word's acknowledge, as a core does
            ctx.set(dut.cores[0].rx_tile, tile)
            ctx.set(dut.cores[0].rx_core, core)
            ctx.set(dut.cores[0].rx_words, len(words))
            await ctx.tick().repeat(CHANNEL_LEAD - 1)
            ctx.set(dut.cores[0].rx_req, 1)
            n = 0
            for _cycle in range(20):
                ack = ctx.get(dut.cores[0].rx_ack)
                if ack:
                    got.append(ctx.get(dut.cores[0].rx_data))
                    n += 1
                if n == len(words):
                    break
                await ctx.tick()
            await ctx.tick()
            ctx.set(dut.cores[0].rx_req, 0)
        out["got"] = got

    _simulate(dut, bench)
    assert out["got"] == [w for words in channels.values() for w in words]


@pytest.mark.parametrize("depth", [D, 3])
def test_a_send_stops_at_the_credits_and_goes_on_with_the_returned_ones(depth):
    # depth 3: the last word in flight does not close a flit (no pend to stop the next)
    config = CONFIG.replace(noc_fifo_depth=depth)
    dut = TileNoc(config=config, tile_id=1)
    out = {"accepted": [], "flits": []}

    async def bench(ctx):
        port = dut.cores[0]
        ctx.set(dut.port.tx.ready, 1)
        ctx.set(port.tx_tile, 2)
        ctx.set(port.tx_core, 1)
        await ctx.tick().repeat(CHANNEL_LEAD)
        ctx.set(port.tx_valid, 1)                # held: one word offered every cycle
        n = 0

        async def run(cycles):
            nonlocal n
            for _cycle in range(cycles):
                ctx.set(port.tx_data, 100 + n)
                if ctx.get(dut.port.tx.valid):
                    flit = dut.port.tx.flit
                    out["flits"].append((ctx.get(flit.dst_tile), ctx.get(flit.dst_core),
                                         [ctx.get(flit.words[w])
                                          for w in range(ctx.get(flit.count))]))
                if ctx.get(port.tx_ready):
                    n += 1
                await ctx.tick()
            out["accepted"].append(n)

        await run(6 * depth)
        out["waiting"] = ctx.get(dut.waiting[0])
        await _inject(ctx, dut, kind=FlitKind.CREDIT, src_tile=2, src_core=1, dst_core=0,
                      count=2)
        await run(6 * depth)

    _simulate(dut, bench)
    # D words in flight at most; the 2 credits let exactly 2 more go
    assert out["accepted"] == [depth, depth + 2]
    assert out["waiting"] == 1
    # full flits only (no tx_last): a word of a last, partial flit stays in the packer
    sent = [100 + k for k in range((depth + 2) // W * W)]
    assert [w for _, _, words in out["flits"] for w in words] == sent
    assert all((t, c, len(words)) == (2, 1, W) for t, c, words in out["flits"])
