"""The tile with a digital crossbar in place of every MCU's analog port: a self-contained
synthesis top (``panther verilog --top tile_digital``).

:class:`hdl.tile.Tile` exposes the analog port of every MCU, because co-simulation answers
them with the behavioural analog models. For synthesis, or for a testbench that needs no
analog bridge, :class:`TileDigital` answers each with a :class:`DigitalCrossbar` (the ideal
crossbar in logic, exact as the analog models in ideal mode). Its ports are the tile's, minus
the analog ports, plus each crossbar's host cell port for programming and reading weights;
flattened (:mod:`panther.hdl.flatten`) they are ``c<core>_xbar<mcu>_h_req`` ... and
``c<core>_xbar<mcu>_busy``.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.tile import Tile
from panther.hdl.tile.tile import forward_interface

from .cell_port import CellPortSignature
from .digital_crossbar import DigitalCrossbar

__all__ = ["TileDigital", "connect_crossbars"]


def connect_crossbars(m, tile, xbars):
    """Connect the analog port of every MCU of ``tile`` to its crossbar (``xbars`` in
    core-major order, ``mcus_per_core`` per core)."""
    per_core = tile.config.mcus_per_core
    for idx, xbar in enumerate(xbars):
        core, k = divmod(idx, per_core)
        wiring.connect(m, getattr(tile, f"c{core}").analog[k], xbar.analog)


class TileDigital(wiring.Component):
    """:class:`hdl.tile.Tile` with one :class:`DigitalCrossbar` per MCU.

    Parameters
    ----------
    config : PantherConfig
        Ideal (``adc_bits == 0``, no noise), as :class:`DigitalCrossbar` requires.

    Members
    -------
    c<i> : Out(the tile's ``c<i>`` without ``analog``)
        Every other port of core ``i``.
    <other tile members> : as on :class:`hdl.tile.Tile`
    c<i>_xbar<k>_h : In(CellPortSignature(config))
        The host cell port of the crossbar of MCU ``k`` of core ``i`` (see
        :class:`DigitalCrossbar`): program the weight digits before ``run``.
    c<i>_xbar<k>_busy : Out(1)
    tile : Tile
    xbars : list of DigitalCrossbar
    """

    def __init__(self, *, config):
        self.config = config
        self.xbars = [DigitalCrossbar(config=config)
                      for _ in range(config.cores_per_tile * config.mcus_per_core)]
        self.tile = Tile(config=config)
        members = {}
        for name, member in self.tile.signature.members.items():
            if name in {f"c{i}" for i in range(config.cores_per_tile)}:
                rest = {n: m for n, m in member.signature.members.items() if n != "analog"}
                members[name] = Out(wiring.Signature(rest))
            else:
                members[name] = member
        for idx in range(len(self.xbars)):
            core, k = divmod(idx, config.mcus_per_core)
            members[f"c{core}_xbar{k}_h"] = In(CellPortSignature(config))
            members[f"c{core}_xbar{k}_busy"] = Out(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.tile = tile = self.tile
        for idx, xbar in enumerate(self.xbars):
            m.submodules[f"xbar{idx}"] = xbar
        connect_crossbars(m, tile, self.xbars)
        for name, member in tile.signature.members.items():
            outer, inner = getattr(self, name), getattr(tile, name)
            if name in {f"c{i}" for i in range(self.config.cores_per_tile)}:
                forward_interface(m, outer, inner)
            elif member.is_signature:
                wiring.connect(m, wiring.flipped(outer), inner)
            elif member.flow == In:
                m.d.comb += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        for idx, xbar in enumerate(self.xbars):
            core, k = divmod(idx, self.config.mcus_per_core)
            wiring.connect(m, wiring.flipped(getattr(self, f"c{core}_xbar{k}_h")), xbar.cells)
            m.d.comb += getattr(self, f"c{core}_xbar{k}_busy").eq(xbar.busy)
        return m
