"""The co-simulation top level of a tile, and its hierarchy-preserving build.

:class:`CosimTile` is a :class:`panther.hdl.tile.Tile` with plain ports
(:func:`panther.hdl.flatten.flat_ports`), except that every MCU analog port is answered
inside the design by a :class:`panther.cosim.analog_answer.AnalogAnswer`: the ADC codes and
serial-read digits come from hold registers the Python bridge writes, ``ack`` from a
latency counter. The MCU outputs (``c0_analog_1_req`` ...) stay top-level outputs.

:func:`tile_units` converts the MCU and the core ONCE each, as Verilog modules of their own
(:class:`panther.hdl.hierarchy.ModuleInstance`): the core instantiates its MCUs' module and
the tile its cores' module (the core's ``core_id`` is then an input the tile drives). The
paper tile (8 cores of 2 MCUs) is so converted in the time of one MCU and one core, and a
simulator compiles each module once.

:func:`panther.cosim.backdoor.memory_paths` names the memories and registers the testbench
loads and dumps directly (instruction memories, register files, XBar buffers, shared memory,
hold registers), as dotted instance paths from the top level.
"""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from panther.hdl.core import Core, CoreSignature
from panther.hdl.flatten import FlatPorts, flat_ports
from panther.hdl.hierarchy import ModuleInstance
from panther.hdl.mcu import MCU, McuSignature
from panther.hdl.tile import Tile

from .analog_answer import ANSWER_MEMBERS, AnalogAnswer, answer_name

__all__ = ["CosimTile", "answered", "cosim_ports", "mcu_unit", "core_unit", "hierarchical_tile",
           "UNIT_SOURCES"]

#: Modules each unit's Verilog is generated from (the build cache follows their imports).
UNIT_SOURCES = {
    "mcu": (MCU.__module__, FlatPorts.__module__),
    "core": (Core.__module__, FlatPorts.__module__, ModuleInstance.__module__),
    "tile": (Tile.__module__, ModuleInstance.__module__, __name__),
}


def answered(port):
    """Whether a flat port of a tile is an MCU analog input that :class:`CosimTile` answers
    inside (``c<i>_analog_<m>_ack`` and the vectors)."""
    path = port.path
    return len(path) == 4 and path[1] == "analog" and path[3] in ANSWER_MEMBERS


def cosim_ports(signature):
    """The top-level ports of the :class:`CosimTile` of a tile with ``signature``."""
    return [port for port in flat_ports(signature) if not answered(port)]


class CosimTile(wiring.Component):
    """``tile`` with plain ports, its MCU analog ports answered inside (see the module
    docstring).

    Parameters
    ----------
    tile : panther.hdl.tile.Tile
    latencies : dict, optional
        Answer latencies per :class:`~panther.hdl.ports.AnalogOp` (keyword only), as in
        :class:`~panther.cosim.analog_answer.AnalogAnswer`; default: the tile
        configuration's ``analog_latency`` (:func:`~panther.cosim.analog_answer.answer_latencies`).

    Members
    -------
    tile : Tile
    ports : list of FlatPort
    (every flat port of the tile except the answered analog inputs)
    """

    def __init__(self, tile, *, latencies=None):
        if not isinstance(tile, Tile):
            raise TypeError(f"tile must be a panther.hdl.tile.Tile, not {tile!r}")
        self.tile = tile
        self.latencies = latencies
        self.ports = cosim_ports(tile.signature)
        super().__init__({port.name: port.member() for port in self.ports})

    def elaborate(self, platform):
        m = Module()
        tile, c = self.tile, self.tile.config
        m.submodules.tile = tile
        for i in range(c.cores_per_tile):
            for k in range(c.mcus_per_core):
                answer = AnalogAnswer(c, latencies=self.latencies)
                m.submodules[answer_name(i, k)] = answer
                wiring.connect(m, getattr(tile, f"c{i}").analog[k], answer.port)
        for port in self.ports:
            outer, inner = getattr(self, port.name), port.value(tile)
            if port.flow == In:
                m.d.comb += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        return m


def mcu_unit(config):
    """The MCU as the Verilog module of its own unit (plain ports)."""
    return FlatPorts(MCU(config=config))


def core_unit(config, *, mcu_module):
    """The core (``core_id`` an input) with its MCUs as instances of ``mcu_module``."""
    def mcu(*, config):
        return ModuleInstance(McuSignature(config), module=mcu_module)
    return FlatPorts(Core(config=config, core_id=None, mcu_factory=mcu))


def hierarchical_tile(config, *, core_module, tile_id=0, latencies=None):
    """The :class:`CosimTile` whose cores are instances of ``core_module`` (``tile_id``: the
    tile's network address, see :class:`panther.hdl.tile.Tile`)."""
    def core(*, config, core_id):
        return ModuleInstance(CoreSignature(config, core_id_port=True), module=core_module)
    return CosimTile(Tile(config=config, core_factory=core, tile_id=tile_id),
                     latencies=latencies)
