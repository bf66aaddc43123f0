"""The ULX3S (ECP5) board wrapper: 25 MHz oscillator -> EHXPLLL -> ``sync``, the FTDI UART
to the host bridge, status on the LEDs, and a board core (:mod:`hdl.fpga.board_core`)."""

from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.cdc import ResetSynchronizer

from .host_uart import HostUart

__all__ = ["pll_parameters", "Ulx3sTop", "OSC_MHZ"]

OSC_MHZ = 25


def pll_parameters(out_mhz, *, in_mhz=OSC_MHZ):
    """EHXPLLL dividers ``(CLKI_DIV, CLKFB_DIV, CLKOP_DIV)`` giving exactly ``out_mhz`` from
    ``in_mhz`` with the VCO in 400..800 MHz, nearest 600 MHz (feedback from CLKOP)."""
    if not isinstance(out_mhz, int) or isinstance(out_mhz, bool) or not 10 <= out_mhz <= 400:
        raise ValueError(f"out_mhz must be an integer from 10 to 400, not {out_mhz!r}")
    for ki in range(1, 129):
        for fb in range(1, 81):
            if in_mhz * fb != out_mhz * ki:
                continue
            ops = [op for op in range(1, 129) if 400 <= out_mhz * op <= 800]
            if ops:       # the VCO nearest the middle of its range, as ecppll chooses
                return ki, fb, min(ops, key=lambda op: abs(out_mhz * op - 600))
    raise ValueError(f"no EHXPLLL setting gives exactly {out_mhz} MHz from {in_mhz} MHz")


class Ulx3sTop(Elaboratable):
    """Board top for :class:`amaranth_boards.ulx3s.ULX3S_85F_Platform` (and its smaller
    siblings).

    Parameters
    ----------
    board : wiring.Component
        A board core with the register bus ``bus`` (``In(RegisterBusSignature())``) and ``leds`` (:class:`hdl.fpga.board_core.TileBoard`
        or :class:`~hdl.fpga.board_core.McuBoard`).
    ident : int
        Ping identifier of the host bridge.
    clock_mhz : int
        Design clock made by the PLL.
    baud : int
        UART bit rate.
    """

    def __init__(self, *, board, ident, clock_mhz=100, baud=115200):
        pll_parameters(clock_mhz)
        if not isinstance(baud, int) or isinstance(baud, bool) or not 1200 <= baud <= 3_000_000:
            raise ValueError(f"baud must be an integer from 1200 to 3000000, not {baud!r}")
        self.board, self.ident, self.clock_mhz, self.baud = board, ident, clock_mhz, baud
        self.divisor = round(clock_mhz * 1e6 / baud)

    def elaborate(self, platform):
        m = Module()
        ki, fb, op = pll_parameters(self.clock_mhz)
        m.submodules.clk25 = clk25 = io.Buffer("i", platform.request("clk25", 0, dir="-"))
        clk, locked = Signal(), Signal()
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=str(OSC_MHZ), a_FREQUENCY_PIN_CLKOP=str(self.clock_mhz),
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
            p_CLKI_DIV=ki, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=op,
            p_CLKOP_CPHASE=(op - 1) // 2, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
            p_CLKFB_DIV=fb,
            i_RST=0, i_STDBY=0, i_CLKI=clk25.i, o_CLKOP=clk, i_CLKFB=clk,
            i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
            i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=locked)
        m.domains.sync = ClockDomain("sync")
        m.d.comb += ClockSignal("sync").eq(clk)
        # nextpnr derives the clock constraint from the PLL (FREQUENCY_PIN_CLKOP).
        m.submodules.reset_sync = ResetSynchronizer(~locked, domain="sync")

        m.submodules.host = host = HostUart(divisor=self.divisor, ident=self.ident)
        m.submodules.board = board = self.board
        wiring.connect(m, host.bus, board.bus)
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [host.rx.eq(rx.i), tx.o.eq(host.tx)]
        for i in range(8):
            m.submodules[f"led{i}"] = led = io.Buffer("o", platform.request("led", i, dir="-"))
            m.d.comb += led.o.eq(board.leds[i])
        return m
