"""Direct (backdoor) access to the memories of a design under cocotb.

A testbench loads programs, register files and the shared memory by writing the memory arrays
themselves, and reads the final state the same way: no clock cycle and no host-port
handshake per word, so a run simulates what its program does and little else (issue 20).
:class:`Backdoor` wraps one memory with a shadow of what it holds, so that a batch of images
writes only the words that change. :func:`memory_paths` names what a testbench reaches, as
dotted instance paths below the top level, for the three kinds of top this project builds:
the hierarchical co-simulation tile (:mod:`cosim.cosim_tile`), a plain tile
(``panther verilog --top tile``) and a tile of a node. Under Verilator the variables of
:data:`BACKDOOR_VARS` are made public by :func:`cosim.simulators.build`; Icarus shows every
signal anyway.
"""

from .analog_answer import HELD_MEMBERS, HOLD_REGISTER, answer_name
from .mcu_bridge import resolve
from .tile_host import as_int

__all__ = ["BACKDOOR_VARS", "Backdoor", "memory_paths", "resolve", "raw_int"]

#: Variables a testbench reads and writes directly, as ``instance.variable``
#: (:func:`cosim.simulators.build`'s ``public_vars``): the instruction and shared memories, the
#: register files and the XBar buffers. Only these: Verilator re-evaluates whatever reads a
#: writable variable at every evaluation of the design, so a bare ``words`` (which the MCU's
#: row and column drivers also have) slowed every cycle. The hold registers of
#: :mod:`cosim.analog_answer` are writable through their own Verilog comment.
BACKDOOR_VARS = ("imem.mem", "memory.mem", "data_space.rf", "xbar_in.words", "xbar_out.words")


def memory_paths(config, *, tile="tile", units=True, holds=True):
    """Dotted instance paths, from the top level, of what a testbench accesses directly::

        {"smem": "<tile>.smem.memory.mem",
         "cores": [{"imem": ..., "rf": ..., "xbar_in": [...], "xbar_out": [...],
                    "hold": [{"mvm_codes": ..., "mtvm_codes": ..., "rdata": ...}, ...] or None}]}

    ``tile``: the tile's instance path (``"tile"`` in a :class:`cosim.cosim_tile.CosimTile`,
    ``"inner"`` in a plain :class:`panther.hdl.flatten.FlatPorts` tile, ``"inner.tile1"`` for
    tile 1 of a node). ``units``: the cores and MCUs are instances of modules converted on
    their own (:mod:`panther.hdl.hierarchy`, one more ``unit.inner`` level each). ``holds``:
    the analog ports are answered by :class:`cosim.analog_answer.AnalogAnswer` instances of
    the top level (else ``hold`` is None and the bridges drive the ports). JSON-ready.
    """
    unit = ".unit.inner" if units else ""
    cores = []
    for i in range(config.cores_per_tile):
        core = f"{tile}.core{i}{unit}"
        mcus = [f"{core}.mcu{k}{unit}" for k in range(config.mcus_per_core)]
        cores.append({
            "imem": f"{core}.imem.mem",
            "rf": f"{core}.data_space.rf",
            "xbar_in": [f"{mcu}.xbar_in.words" for mcu in mcus],
            "xbar_out": [f"{mcu}.xbar_out.words" for mcu in mcus],
            "hold": [{name: f"{answer_name(i, k)}.{name}.{HOLD_REGISTER}" for name in HELD_MEMBERS}
                     for k in range(config.mcus_per_core)] if holds else None,
        })
    return {"smem": f"{tile}.smem.memory.mem", "cores": cores}


def raw_int(handle):
    """The unsigned ``int`` of a cocotb logic handle's value, None when it holds X/Z bits
    (as :func:`cosim.tile_host.as_int` of ``handle.value``, read as the simulator's bit
    string without building cocotb's ``LogicArray``; a dump reads thousands of words)."""
    sim_obj = getattr(handle, "_handle", None)
    if sim_obj is None:
        return as_int(handle.value)
    try:
        return int(sim_obj.get_signal_val_binstr(), 2)
    except ValueError:
        return None


class Backdoor:
    """Direct access to one memory (``reg [w-1:0] mem [0:depth-1]``) of the design, with a
    shadow of what it holds so that a load writes only the words that changed.

    Parameters
    ----------
    handle : cocotb handle of the memory
    depth : int

    Members
    -------
    shadow : list or None
        What the memory holds as far as the testbench knows (None: unknown, e.g. Icarus starts
        memories at X; an unknown word is written by the next load).
    """

    def __init__(self, handle, depth):
        self.handle, self.depth = handle, depth
        self.words = [None] * depth          # per-word handles, made on first use
        self.shadow = None

    def _word(self, addr):
        word = self.words[addr]
        if word is None:
            word = self.words[addr] = self.handle[addr]
        return word

    def load(self, values):
        """Write raw (unsigned) ``values`` to words ``0 .. len(values) - 1``, skipping those
        the shadow says already hold them."""
        values = [int(v) for v in values]
        shadow = self.shadow
        for addr, value in enumerate(values):
            if shadow is None or shadow[addr] != value:
                self._word(addr).value = value
        if shadow is None:
            shadow = self.shadow = [None] * self.depth
        shadow[:len(values)] = values

    def dump(self, count=None):
        """Raw (unsigned) values of words ``0 .. count - 1`` (None for X); refreshes the
        shadow."""
        count = self.depth if count is None else count
        out = [raw_int(self._word(addr)) for addr in range(count)]
        if self.shadow is None:
            self.shadow = [None] * self.depth
        self.shadow[:count] = out
        return out
