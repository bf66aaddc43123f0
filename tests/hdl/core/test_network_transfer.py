"""``send``/``recv`` words on the core's NoC port (:class:`hdl.core.network.NetworkTransfer`),
cycle by cycle against the rule of its docstring: a ``recv`` writes each word into the
operand space in the cycle after the network acknowledges it, at the next address, and is
done with the last one's write; a ``send`` is done the cycle after its last word left. The network's handshakes come at random
cycles; the expected words and the ``done`` cycle follow from the count of handshakes alone."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from panther.config import PRESETS
from panther.hdl.core.network import NetworkTransfer
from panther.hdl.node.noc_port import CHANNEL_LEAD

CONFIG = PRESETS["small"]


def _simulate(dut, tb):
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()


async def _start(ctx, dut):
    """The execute stage's protocol (netstart): the instruction is on ``instr`` in the cycle
    before ``start`` (the dispatch), ``start`` is high for one cycle; returns in that cycle,
    the unit's first."""
    await ctx.tick()
    ctx.set(dut.start, 1)


def _run(op, vw, seed, *, always=False):
    """Run one ``op`` of ``vw`` words with random handshakes (``always``: the network is
    ready in every cycle); (words written or sent in order, cycles from the start to
    ``done``, handshake count at ``done``)."""
    rng = np.random.default_rng(seed)
    dut = NetworkTransfer(config=CONFIG)
    out = {}

    async def tb(ctx):
        ctx.set(dut.instr.op.send if op == "send" else dut.instr.op.recv, 1)
        ctx.set(dut.instr.vw, vw)
        ctx.set(dut.instr.src, 40)
        ctx.set(dut.instr.dst, 40)
        await _start(ctx, dut)
        words, shakes, read, acked, reqs = [], 0, 0, None, [0, 0]
        for cycle in range(1, 20 * vw + 10):
            ack = always or bool(rng.integers(2))
            # recv: the tile registers rx_req, grants a cycle later and acknowledges the cycle
            # after that, at most the vector's words
            rx_ack = ack and reqs[-2] and shakes < vw
            ctx.set(dut.noc.rx_ack, rx_ack)
            ctx.set(dut.noc.tx_ready, ack)
            ctx.set(dut.noc.rx_data, 100 + shakes)
            ctx.set(dut.data.rdata, read)       # a read answers the next cycle: its address
            if ctx.get(dut.data.re):
                read = ctx.get(dut.data.addr)
            if op == "recv":
                # A write in exactly the cycles after a handshake, of that word.
                assert ctx.get(dut.data.we) == (acked is not None)
                if acked is not None:
                    words.append((ctx.get(dut.data.addr), ctx.get(dut.data.wdata)))
                    assert words[-1][1] == acked
                acked = None
                if rx_ack:
                    assert ctx.get(dut.noc.rx_words) == vw
                    acked = 100 + shakes
                    shakes += 1
                reqs.append(ctx.get(dut.noc.rx_req))
            if op == "send" and ctx.get(dut.noc.tx_valid) and ack:
                words.append(ctx.get(dut.noc.tx_data))
                shakes += 1
            if ctx.get(dut.done):
                out.update(words=words, cycles=cycle, shakes=shakes,
                           last_shake_before=acked is None and not ctx.get(dut.noc.rx_req))
                return
            await ctx.tick()
            ctx.set(dut.start, 0)

    _simulate(dut, tb)
    return out


@pytest.mark.parametrize("vw", [1, 2, 3, 7])
@pytest.mark.parametrize("seed", [0, 1])
def test_recv_writes_each_word_a_cycle_after_its_handshake_and_is_done_with_the_last(vw, seed):
    # and rx_req is low in the cycle after the last acknowledge (CoreNocSignature)
    out = _run("recv", vw, seed)
    assert out["words"] == [(40 + k, 100 + k) for k in range(vw)]
    assert out["shakes"] == vw and out["last_shake_before"]


@pytest.mark.parametrize("vw", [1, 2, 3, 7])
@pytest.mark.parametrize("seed", [0, 1])
def test_send_reads_each_word_and_is_done_a_cycle_after_the_last(vw, seed):
    out = _run("send", vw, seed)
    assert out["words"] == [40 + k for k in range(vw)]
    assert out["shakes"] == vw


@pytest.mark.parametrize("op", ["send", "recv"])
def test_the_channel_is_registered_and_shown_before_the_first_request(op):
    """The port contract (CoreNocSignature): the channel of a cycle with ``tx_valid`` is that
    of the ``CHANNEL_LEAD`` cycles before (``rx_req``: ``CHANNEL_LEAD - 1``), and it is the
    started instruction's even when the instruction register changes after the start."""
    dut = NetworkTransfer(config=CONFIG)
    seen = []

    async def tb(ctx):
        ctx.set(dut.instr.op.send if op == "send" else dut.instr.op.recv, 1)
        ctx.set(dut.instr.vw, 3)
        ctx.set(dut.instr.tile, 2)
        ctx.set(dut.instr.core, 1)
        await _start(ctx, dut)
        ctx.set(dut.instr.tile, 1)               # not the channel's source any more
        ctx.set(dut.instr.core, 0)
        for _cycle in range(30):
            ctx.set(dut.noc.rx_ack, 1)
            ctx.set(dut.noc.tx_ready, 1)
            nc = dut.noc
            seen.append((ctx.get(nc.tx_valid | nc.rx_req), ctx.get(nc.tx_tile),
                         ctx.get(nc.tx_core), ctx.get(nc.rx_tile), ctx.get(nc.rx_core)))
            if ctx.get(dut.done):
                return
            await ctx.tick()
            ctx.set(dut.start, 0)

    _simulate(dut, tb)
    # the channel alone first: CHANNEL_LEAD cycles before tx_valid, one less before rx_req
    # (the tile registers rx_req)
    lead = CHANNEL_LEAD if op == "send" else CHANNEL_LEAD - 1
    assert not any(s[0] for s in seen[:lead]) and seen[lead][0]
    assert sum(s[0] for s in seen) >= 3
    assert all(s[1:] == (2, 1, 2, 1) for s in seen)


@pytest.mark.parametrize("vw", [1, 2, 5])
def test_send_reads_each_word_once_and_no_read_follows_tx_ready_in_its_cycle(vw):
    """nocpipe: the operand-space port's read enable and address of a cycle are the same
    whatever ``tx_ready`` is in that cycle (no NoC state reaches the core's port), and a
    ``send`` reads exactly its ``vw`` words (the operand-read events match the golden
    model's)."""
    rng = np.random.default_rng(vw)
    dut = NetworkTransfer(config=CONFIG)
    out = {"reads": 0, "same": True}

    async def tb(ctx):
        ctx.set(dut.instr.op.send, 1)
        ctx.set(dut.instr.vw, vw)
        ctx.set(dut.instr.src, 40)
        await _start(ctx, dut)
        for _cycle in range(10 * vw + 10):
            seen = []
            for ready in (0, 1):
                ctx.set(dut.noc.tx_ready, ready)
                seen.append((ctx.get(dut.data.re), ctx.get(dut.data.addr)))
            out["same"] &= seen[0] == seen[1]
            ctx.set(dut.noc.tx_ready, bool(rng.integers(2)))
            out["reads"] += ctx.get(dut.data.re)
            if ctx.get(dut.done):
                return
            await ctx.tick()
            ctx.set(dut.start, 0)

    _simulate(dut, tb)
    assert out["same"]
    assert out["reads"] == vw


@pytest.mark.parametrize("vw", [1, 2, 5])
def test_the_cycles_from_the_start_when_the_network_is_always_ready(vw):
    """netstart: the start cycle is the unit's first (it reads a send's first word, shows a
    recv's channel), as SEND_READ / RECV_LOOKUP0 were in the cycle after a combinational
    start. Counted from the start cycle (1): a send reads in 1 and 2 and shows its first
    word in 3, then a word every second cycle (``tx_valid`` is low after each handshake),
    done the cycle after the last; a recv raises ``rx_req`` in 2, the bench's tile
    acknowledges from 4 on, one word a cycle, done a cycle after the last."""
    assert _run("send", vw, 0, always=True)["cycles"] == 3 + 2 * (vw - 1) + 1
    assert _run("recv", vw, 0, always=True)["cycles"] == CHANNEL_LEAD + 2 + vw
