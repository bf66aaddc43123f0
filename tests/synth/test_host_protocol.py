"""The UART host protocol: Python reference, and the RTL parser behind a real UART loop."""

import pytest
from amaranth.sim import Simulator

from panther.hdl.fpga.host_protocol import (
    REPLY_ERROR,
    HostClient,
    ReferenceBridge,
    encode_ping,
    encode_read,
    encode_write,
)
from panther.hdl.fpga.host_uart import HostUart

IDENT = 0x50414E54
DIV = 8


class DictBus:
    def __init__(self):
        self.mem, self.log = {}, []

    def __call__(self, addr, we, wdata):
        self.log.append((addr, we, wdata))
        if we:
            self.mem[addr] = wdata
            return 0
        return self.mem.get(addr, addr ^ 0xA5A5A5A5)


def test_encoding_is_little_endian_and_checked():
    assert encode_write(0x01020304, 0xAABBCCDD) == b"W\x04\x03\x02\x01\xdd\xcc\xbb\xaa"
    assert encode_write(1, -1) == b"W\x01\x00\x00\x00\xff\xff\xff\xff"
    assert encode_read(0x10) == b"R\x10\x00\x00\x00" and encode_ping() == b"P"
    with pytest.raises(ValueError, match="addr"):
        encode_read(1 << 32)


def test_reference_bridge_and_client():
    bus = DictBus()
    ref = ReferenceBridge(bus=bus, ident=IDENT)

    class Loop:
        reply = b""

        def write(self, data):
            self.reply += ref.feed(data)

        def read(self, n):
            out, self.reply = self.reply[:n], self.reply[n:]
            return out

    client = HostClient(Loop())
    assert client.ping() == IDENT
    client.write(0x30000102, -3)
    assert client.read(0x30000102, signed=True) == -3
    assert client.read(7) == 7 ^ 0xA5A5A5A5
    assert ref.feed(b"xW") == bytes([REPLY_ERROR])       # garbage, then a partial command
    assert ref.feed(b"\x01\x00\x00\x00\x02\x00\x00\x00") == b"K" and bus.mem[1] == 2


def test_rtl_parser_through_the_uart_matches_the_reference():
    dut = HostUart(divisor=DIV, ident=IDENT)
    sim_bus, ref_bus = DictBus(), DictBus()
    ref = ReferenceBridge(bus=ref_bus, ident=IDENT)
    commands = [encode_ping(), encode_write(0x12345678, 0xCAFEBABE), encode_read(0x12345678),
                b"Z", encode_read(0x00000042), encode_write(3, 0xFFFFFFFF), b"\x00",
                encode_read(3), encode_ping()]
    got = bytearray()

    async def send_byte(ctx, byte):
        for bit in [0] + [(byte >> i) & 1 for i in range(8)] + [1]:
            ctx.set(dut.rx, bit)
            await ctx.tick().repeat(DIV)

    async def ticks(ctx, n):
        for _ in range(n):
            await ctx.tick()

    async def receiver(ctx):          # plain ticks only: background benches get cancelled
        while True:
            await ctx.tick()
            if ctx.get(dut.tx):
                continue
            await ticks(ctx, DIV // 2)
            assert ctx.get(dut.tx) == 0                       # start bit
            value = 0
            for i in range(8):
                await ticks(ctx, DIV)
                value |= ctx.get(dut.tx) << i
            await ticks(ctx, DIV)
            assert ctx.get(dut.tx) == 1                       # stop bit
            got.append(value)

    async def bus_target(ctx):
        while True:
            await ctx.tick()
            if not ctx.get(dut.bus.req):
                continue
            addr, we, wdata = ctx.get(dut.bus.addr), ctx.get(dut.bus.we), ctx.get(dut.bus.wdata)
            await ticks(ctx, 3)                               # a slow target
            ctx.set(dut.bus.rdata, sim_bus(addr, bool(we), wdata))
            ctx.set(dut.bus.ack, 1)
            await ctx.tick()
            ctx.set(dut.bus.ack, 0)
            assert ctx.get(dut.bus.req) == 0

    expected = bytearray()

    async def host(ctx):
        for cmd in commands:
            want = ref.feed(cmd)
            expected.extend(want)
            for byte in cmd:
                await send_byte(ctx, byte)
            for _ in range(20 * DIV * 6):                     # wait for the whole reply
                if len(got) >= len(expected):
                    break
                await ctx.tick()
        await ctx.tick().repeat(20 * DIV)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(receiver, background=True)
    sim.add_testbench(bus_target, background=True)
    sim.add_testbench(host)
    sim.run()
    assert bytes(got) == bytes(expected)
    def accesses(log):      # the write data of a read is irrelevant
        return [(a, we, d if we else None) for a, we, d in log]

    assert accesses(sim_bus.log) == accesses(ref_bus.log) and len(sim_bus.log) == 5
    assert expected.count(REPLY_ERROR) == 2
