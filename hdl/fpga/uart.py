"""A small 8N1 UART: a receiver and a transmitter, both clocked by ``sync``."""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["UartRx", "UartTx", "check_divisor"]


def check_divisor(divisor):
    """Validate ``divisor`` (clock cycles per bit) and return it."""
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 4:
        raise ValueError(f"divisor must be an integer >= 4 (clock cycles per bit), not {divisor!r}")
    return divisor


class UartRx(wiring.Component):
    """8N1 receiver. The line is synchronised through two flip-flops; a start bit is checked
    at half a bit, data bits are sampled in the middle of each bit.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (for example 868 for 115200 baud at 100 MHz).

    Members
    -------
    rx : In(1)
        The serial line (idle high).
    data : Out(8)
        The last byte received (LSB first on the line).
    valid : Out(1)
        One-cycle pulse: ``data`` holds a new byte.
    framing_error : Out(1)
        One-cycle pulse: the stop bit was low (the byte is dropped).
    """

    def __init__(self, *, divisor):
        self.divisor = check_divisor(divisor)
        super().__init__({"rx": In(1, init=1), "data": Out(8), "valid": Out(1),
                          "framing_error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        sync1, line = Signal(init=1), Signal(init=1)
        m.d.sync += [sync1.eq(self.rx), line.eq(sync1)]
        timer = Signal(range(self.divisor))
        bit = Signal(range(9))
        shift = Signal(8)
        m.d.sync += [self.valid.eq(0), self.framing_error.eq(0)]
        with m.FSM():
            with m.State("IDLE"):
                with m.If(~line):
                    m.d.sync += timer.eq(self.divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(line):                # a glitch, not a start bit
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [timer.eq(self.divisor - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shift.eq(Cat(shift[1:], line)), timer.eq(self.divisor - 1),
                                 bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(line):
                        m.d.sync += [self.valid.eq(1), self.data.eq(shift)]
                    with m.Else():
                        m.d.sync += self.framing_error.eq(1)
                    m.next = "IDLE"
        return m


class UartTx(wiring.Component):
    """8N1 transmitter.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit.

    Members
    -------
    data : In(8)
    valid : In(1)
        Send ``data``: accepted in a cycle where ``ready`` is high.
    ready : Out(1)
        The transmitter is idle.
    tx : Out(1)
        The serial line (idle high).
    """

    def __init__(self, *, divisor):
        self.divisor = check_divisor(divisor)
        super().__init__({"data": In(8), "valid": In(1), "ready": Out(1), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        frame = Signal(10, init=0x3FF)       # stop bit, 8 data bits, start bit (LSB first)
        left = Signal(range(11))
        m.d.comb += [self.tx.eq(frame[0]), self.ready.eq(left == 0)]
        with m.If(left == 0):
            with m.If(self.valid):
                m.d.sync += [frame.eq(Cat(0, self.data, 1)), left.eq(10),
                             timer.eq(self.divisor - 1)]
        with m.Elif(timer != 0):
            m.d.sync += timer.eq(timer - 1)
        with m.Else():
            m.d.sync += [frame.eq(Cat(frame[1:], 1)), left.eq(left - 1),
                         timer.eq(self.divisor - 1)]
        return m
