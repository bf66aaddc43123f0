"""UART receiver + :class:`HostBridge` + UART transmitter: serial line in, 32-bit bus out."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import RegisterBusSignature

from .host_protocol import HostBridge
from .uart import UartRx, UartTx, check_divisor

__all__ = ["HostUart"]


class HostUart(wiring.Component):
    """The FPGA's host interface (protocol in :mod:`hdl.fpga.host_protocol`).

    Parameters
    ----------
    divisor : int
        Clock cycles per UART bit.
    ident : int
        32-bit ping identifier.

    Members
    -------
    rx : In(1)
    tx : Out(1)
    bus : Out(RegisterBusSignature())
        As :class:`HostBridge`.
    """

    def __init__(self, *, divisor, ident):
        self.divisor = check_divisor(divisor)
        self.bridge = HostBridge(ident=ident)
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1),
                          "bus": Out(RegisterBusSignature())})

    def elaborate(self, platform):
        m = Module()
        m.submodules.rx = rx = UartRx(divisor=self.divisor)
        m.submodules.tx = tx = UartTx(divisor=self.divisor)
        m.submodules.bridge = bridge = self.bridge
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx),
                     bridge.rx_data.eq(rx.data), bridge.rx_valid.eq(rx.valid),
                     tx.data.eq(bridge.tx_data), tx.valid.eq(bridge.tx_valid),
                     bridge.tx_ready.eq(tx.ready)]
        wiring.connect(m, wiring.flipped(self.bus), bridge.bus)
        return m
