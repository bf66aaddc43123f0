"""The tile with a digital crossbar in place of every MCU's analog port: a self-contained
synthesis top (``panther verilog --top tile_digital``).

:class:`hdl.tile.Tile` exposes the analog port of every MCU, because co-simulation answers
them with the behavioural analog models. For synthesis, or for a testbench that needs no
analog bridge, :class:`TileDigital` answers each with a :class:`DigitalCrossbar` (the ideal
crossbar in logic, exact as the analog models in ideal mode). Its ports are the tile's, minus
the analog ports, plus each crossbar's host cell port for programming and reading weights:
``c<core>_xbar<mcu>_h_req`` ... (the naming of :mod:`hdl.flat_top`).
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from .digital_crossbar import DigitalCrossbar

__all__ = ["TileDigital", "connect_crossbars"]


def connect_crossbars(m, tile, xbars):
    """Wire the analog port of every MCU of ``tile`` to its crossbar (``xbars`` in core-major
    order, ``mcus_per_core`` per core)."""
    per_core = tile.config.mcus_per_core
    for idx, xbar in enumerate(xbars):
        core, k = divmod(idx, per_core)
        for name, member in xbar.signature.members.items():
            if name.startswith("a_"):
                theirs = getattr(tile, f"c{core}_analog_{k}_{name}")
                if member.flow == In:
                    m.d.comb += getattr(xbar, name).eq(theirs)
                else:
                    m.d.comb += theirs.eq(getattr(xbar, name))


class TileDigital(wiring.Component):
    """:class:`hdl.tile.Tile` with one :class:`DigitalCrossbar` per MCU.

    Parameters
    ----------
    config : PantherConfig
        Ideal (``adc_bits == 0``, no noise), as :class:`DigitalCrossbar` requires.

    Members
    -------
    <tile port> : every port of :class:`hdl.tile.Tile` except the MCU analog ports
        (``c<i>_analog_<k>_a_*``), same name, direction and width.
    c<i>_xbar<k>_h_req, _h_we, _h_copy, _h_slice, _h_row, _h_col, _h_wdata : In
    c<i>_xbar<k>_h_ack, _h_rdata, _busy : Out
        The host cell port of the crossbar of MCU ``k`` of core ``i`` (see
        :class:`DigitalCrossbar`): program the weight digits before ``run``.
    tile : Tile
    xbars : list of DigitalCrossbar
    """

    def __init__(self, *, config):
        from panther.hdl.tile import Tile

        self.config = config
        self.xbars = [DigitalCrossbar(config=config)
                      for _ in range(config.cores_per_tile * config.mcus_per_core)]
        self.tile = Tile(config=config)
        analog = {name for _, _, name, _ in self.tile.passthrough if "_analog_" in name}
        members = {name: member for name, member in self.tile.signature.members.items()
                   if name not in analog}
        self._host = []
        for idx, xbar in enumerate(self.xbars):
            core, k = divmod(idx, config.mcus_per_core)
            for name, member in xbar.signature.members.items():
                if not name.startswith("a_"):
                    outer = f"c{core}_xbar{k}_{name}"
                    members[outer] = member
                    self._host.append((xbar, name, outer, member.flow))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.tile = tile = self.tile
        for idx, xbar in enumerate(self.xbars):
            m.submodules[f"xbar{idx}"] = xbar
        connect_crossbars(m, tile, self.xbars)
        for name, member in self.signature.members.items():
            if name in tile.signature.members:
                inner, outer = getattr(tile, name), getattr(self, name)
                m.d.comb += outer.eq(inner) if member.flow != In else inner.eq(outer)
        for xbar, name, outer, flow in self._host:
            inner, outer = getattr(xbar, name), getattr(self, outer)
            m.d.comb += outer.eq(inner) if flow != In else inner.eq(outer)
        return m
