"""An MCU whose analog port is served by the digital (ideal) crossbar: a self-contained,
synthesisable MCU for the FPGA and for exact co-simulation."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from panther.config import PantherConfig
from panther.hdl.mcu import MCU

from .digital_crossbar import DigitalCrossbar

__all__ = ["McuWithCrossbar", "connect_analog"]


def connect_analog(m, mcu, xbar):
    """Wire every ``a_*`` signal of ``mcu`` to the same-named one of ``xbar`` (comb)."""
    for name, member in xbar.signature.members.items():
        if not name.startswith("a_"):
            continue
        if member.flow == In:
            m.d.comb += getattr(xbar, name).eq(getattr(mcu, name))
        else:
            m.d.comb += getattr(mcu, name).eq(getattr(xbar, name))


class McuWithCrossbar(wiring.Component):
    """:class:`hdl.mcu.MCU` + :class:`DigitalCrossbar`.

    Parameters
    ----------
    config : PantherConfig
        Ideal (see :class:`DigitalCrossbar`).

    Members
    -------
    start, start_mask, crs, commit, busy, done, overflow, overflow_clear, xin_*, xout_*
        The MCU's core port (see :class:`hdl.mcu.MCU`).
    h_req, h_we, h_copy, h_slice, h_row, h_col, h_wdata, h_ack, h_rdata
        The crossbar's host cell port (see :class:`DigitalCrossbar`).
    widths : McuWidths
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        self.mcu = MCU(config=config)
        self.xbar = DigitalCrossbar(config=config)
        self.widths = self.mcu.widths
        members = {n: m for n, m in self.mcu.signature.members.items() if not n.startswith("a_")}
        members.update({n: m for n, m in self.xbar.signature.members.items()
                        if n.startswith("h_")})
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.mcu = mcu = self.mcu
        m.submodules.xbar = xbar = self.xbar
        connect_analog(m, mcu, xbar)
        for name, member in self.signature.members.items():
            inner = mcu if not name.startswith("h_") else xbar
            if member.flow == In:
                m.d.comb += getattr(inner, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(inner, name))
        return m
