"""The UART host protocol of the FPGA top: byte commands that become 32-bit bus accesses.

Commands (host -> FPGA), multi-byte fields little-endian:

=========  ==============================  ==========================================
command    bytes                           reply (FPGA -> host)
=========  ==============================  ==========================================
ping       ``'P'``                         ``'P'`` + 4-byte identifier
write      ``'W'`` addr(4) data(4)         ``'K'`` once the bus access is done
read       ``'R'`` addr(4)                 ``'D'`` + data(4)
other      any other byte                  ``'?'`` (the byte is dropped; resynchronises)
=========  ==============================  ==========================================

The bus (:class:`HostBridge`'s ``bus`` port, :class:`panther.hdl.ports.RegisterBusSignature`):
the bridge raises ``req`` with ``addr``, ``we`` and ``wdata`` stable until a cycle with ``ack``
(then ``rdata`` is valid) and drops it the next cycle. The address map of each board top is in
its module.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.fixed_point import wrap
from panther.hdl.ports import RegisterBusSignature

__all__ = ["CMD_PING", "CMD_WRITE", "CMD_READ", "REPLY_OK", "REPLY_DATA", "REPLY_ERROR",
           "encode_ping", "encode_write", "encode_read", "ReferenceBridge", "HostClient",
           "HostBridge"]

CMD_PING, CMD_WRITE, CMD_READ = ord("P"), ord("W"), ord("R")
REPLY_OK, REPLY_DATA, REPLY_ERROR = ord("K"), ord("D"), ord("?")


def _u32(value, what):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 32:
        raise ValueError(f"{what} must be an integer in [0, 2**32), not {value!r}")
    return value.to_bytes(4, "little")


def encode_ping():
    return bytes([CMD_PING])


def encode_write(addr, data):
    """Bytes of a write command (``data`` may be negative: sent as 32-bit two's complement)."""
    if isinstance(data, int) and not isinstance(data, bool) and -(1 << 31) <= data < 0:
        data &= 0xFFFFFFFF
    return bytes([CMD_WRITE]) + _u32(addr, "addr") + _u32(data, "data")


def encode_read(addr):
    return bytes([CMD_READ]) + _u32(addr, "addr")


class ReferenceBridge:
    """The protocol in plain Python (the specification the RTL parser is tested against).

    Parameters
    ----------
    bus : callable
        ``bus(addr, we, wdata) -> rdata`` performs one access.
    ident : int
        The ping identifier.
    """

    def __init__(self, *, bus, ident):
        self.bus, self.ident = bus, ident
        self._pending = b""

    def feed(self, data):
        """Feed bytes; return the reply bytes they complete."""
        out = bytearray()
        for byte in bytes(data):
            self._pending += bytes([byte])
            cmd = self._pending[0]
            if cmd == CMD_PING:
                out += bytes([CMD_PING]) + self.ident.to_bytes(4, "little")
            elif cmd == CMD_WRITE and len(self._pending) == 9:
                self.bus(int.from_bytes(self._pending[1:5], "little"), True,
                         int.from_bytes(self._pending[5:9], "little"))
                out.append(REPLY_OK)
            elif cmd == CMD_READ and len(self._pending) == 5:
                value = self.bus(int.from_bytes(self._pending[1:5], "little"), False, 0)
                out += bytes([REPLY_DATA]) + (value & 0xFFFFFFFF).to_bytes(4, "little")
            elif cmd not in (CMD_WRITE, CMD_READ):
                out.append(REPLY_ERROR)
            else:
                continue
            self._pending = b""
        return bytes(out)


class HostClient:
    """Host side over any byte transport with ``write(bytes)`` and ``read(n) -> bytes``
    (for example a ``serial.Serial`` at the board's baud rate).

    Members
    -------
    transport : object
    """

    def __init__(self, transport):
        self.transport = transport

    def _expect(self, n, first):
        reply = self.transport.read(n)
        if len(reply) != n or reply[0] != first:
            raise OSError(f"bad reply {reply!r}; expected {n} bytes starting with {chr(first)!r}")
        return reply

    def ping(self):
        self.transport.write(encode_ping())
        return int.from_bytes(self._expect(5, CMD_PING)[1:], "little")

    def write(self, addr, data):
        self.transport.write(encode_write(addr, data))
        self._expect(1, REPLY_OK)

    def read(self, addr, *, signed=False):
        self.transport.write(encode_read(addr))
        value = int.from_bytes(self._expect(5, REPLY_DATA)[1:], "little")
        return wrap(value, 32) if signed else value


class HostBridge(wiring.Component):
    """Byte stream -> bus accesses -> reply bytes (see the module docstring).

    Parameters
    ----------
    ident : int
        32-bit identifier answered to a ping.

    Members
    -------
    rx_data : In(8)
    rx_valid : In(1)
        One-cycle pulse per received byte.
    tx_data : Out(8)
    tx_valid : Out(1)
    tx_ready : In(1)
        A reply byte is taken in a cycle with ``tx_valid & tx_ready``.
    bus : Out(RegisterBusSignature())
        The register bus (master side).
    """

    def __init__(self, *, ident):
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < 1 << 32:
            raise ValueError(f"ident must be a 32-bit unsigned integer, not {ident!r}")
        self.ident = ident
        super().__init__({"rx_data": In(8), "rx_valid": In(1),
                          "tx_data": Out(8), "tx_valid": Out(1), "tx_ready": In(1),
                          "bus": Out(RegisterBusSignature())})

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(5))
        reply = Signal(40, reset_less=True)     # bytes to send, LSB byte first
        reply_len = Signal(range(6))
        m.d.comb += self.tx_data.eq(reply[:8])
        # The received byte, its pulse and its command decode registered (a cycle later than
        # the UART's; a byte lasts ten bit times): the FSM and its enables see flip-flops only.
        byte = Signal(8, name="rx_byte", reset_less=True)
        got = Signal(name="rx_got")
        is_ping, is_write, is_read = (Signal(name=f"rx_{x}", reset_less=True)
                                      for x in ("ping", "write", "read"))
        m.d.sync += [byte.eq(self.rx_data), got.eq(self.rx_valid),
                     is_ping.eq(self.rx_data == CMD_PING), is_write.eq(self.rx_data == CMD_WRITE),
                     is_read.eq(self.rx_data == CMD_READ)]

        with m.FSM():
            with m.State("CMD"):
                with m.If(got):
                    # The reply and `we` are loaded by every byte (the ping's or the error's
                    # reply; a command's reply is loaded again in BUS): no enable on the decode.
                    m.d.sync += [count.eq(0), self.bus.we.eq(is_write),
                                 reply.eq(Mux(is_ping, Cat(Const(CMD_PING, 8),
                                                           Const(self.ident, 32)), REPLY_ERROR)),
                                 reply_len.eq(Mux(is_ping, 5, 1))]
                    with m.If(is_write | is_read):
                        m.next = "ADDR"
                    with m.Else():
                        m.next = "REPLY"
            with m.State("ADDR"):
                with m.If(got):
                    m.d.sync += [self.bus.addr.eq(Cat(self.bus.addr[8:], byte)),
                                 count.eq(count + 1)]
                    with m.If(count == 3):
                        m.d.sync += count.eq(0)
                        with m.If(self.bus.we):
                            m.next = "DATA"
                        with m.Else():
                            m.d.sync += self.bus.req.eq(1)
                            m.next = "BUS"
            with m.State("DATA"):
                with m.If(got):
                    m.d.sync += [self.bus.wdata.eq(Cat(self.bus.wdata[8:], byte)),
                                 count.eq(count + 1)]
                    with m.If(count == 3):
                        m.d.sync += self.bus.req.eq(1)
                        m.next = "BUS"
            with m.State("BUS"):
                with m.If(self.bus.ack):
                    m.d.sync += self.bus.req.eq(0)
                    with m.If(self.bus.we):
                        m.d.sync += [reply.eq(REPLY_OK), reply_len.eq(1)]
                    with m.Else():
                        m.d.sync += [reply.eq(Cat(Const(REPLY_DATA, 8), self.bus.rdata)),
                                     reply_len.eq(5)]
                    m.next = "REPLY"
            with m.State("REPLY"):
                m.d.comb += self.tx_valid.eq(1)
                with m.If(self.tx_ready):
                    m.d.sync += [reply.eq(reply[8:]), reply_len.eq(reply_len - 1)]
                    with m.If(reply_len == 1):
                        m.next = "CMD"
        return m

