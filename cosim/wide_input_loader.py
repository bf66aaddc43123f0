"""A co-simulation top level that keeps a component's wide inputs inside the design.

Amaranth's netlist builder numbers the bits of a cell's outputs with 16 bits, so one
conversion accepts at most 65536 top-level input bits (``amaranth.hdl._nir.Net.from_cell``).
A paper-size tile has two 14336-bit ADC code inputs per MCU, so plain top-level analog ports
fit one core only. :class:`WideInputLoader` flattens the component's ports
(:func:`panther.hdl.flatten.flat_ports`) and replaces every input wider than
``max_input_bits`` by a register of its own reset-less clock domain ``load``, written
``chunk_bits`` at a time through a narrow bus (``load_sel``, ``load_data``, ``load_we``,
clocked by ``load_clk``). Every other port keeps its flattened name, direction and shape; the
wrapped component still runs in ``sync`` (top-level ``clk``/``rst``).

The testbench (:class:`cosim.wide_input_bus.WideInputBus`) toggles ``load_clk`` with 1 ps
steps inside the low phase of the main clock, so a loaded value is in place before the next
rising edge of ``clk``, exactly where a directly driven input would be: loading costs no
cycle of the design.
"""

from dataclasses import dataclass

from amaranth.hdl import ClockDomain, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from panther.hdl.flatten import flat_ports, input_bits

__all__ = ["WideInputLoader", "LoadPlan", "load_plan", "input_bits", "INPUT_BITS_LIMIT",
           "INPUT_BITS_MARGIN", "LOAD_PORTS"]

#: Top-level input bits Amaranth accepts in one conversion (``Net.from_cell``).
INPUT_BITS_LIMIT = 1 << 16
#: Bits kept free below the limit for ports Amaranth adds itself (clocks and resets of the
#: domains the design leaves undefined).
INPUT_BITS_MARGIN = 1024
#: Names of the load-bus members the wrapper adds.
LOAD_PORTS = ("load_clk", "load_sel", "load_data", "load_we")


def _positive_int(name, value):
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


@dataclass(frozen=True)
class LoadPlan:
    """Which flat ports a :class:`WideInputLoader` keeps inside, and how they are loaded.

    Members
    -------
    ports : tuple of FlatPort
        The plain ports that stay top-level ports.
    loaded : tuple of FlatPort
        The inputs kept inside.
    chunks : tuple of (name, offset, width)
        Load-bus selector ``sel`` -> the chunk of a loaded input it writes.
    chunk_bits : int
    sel_bits : int
        Width of ``load_sel``.
    """

    ports: tuple
    loaded: tuple
    chunks: tuple
    chunk_bits: int
    sel_bits: int

    @property
    def chunk_map(self):
        """Loaded input name -> list of ``[sel, bit offset, width]`` (JSON-ready), in
        offset order."""
        out = {port.name: [] for port in self.loaded}
        for sel, (name, offset, width) in enumerate(self.chunks):
            out[name].append([sel, offset, width])
        return out

    def members(self):
        """The wrapper's members: the remaining plain ports and the load bus."""
        members = {port.name: port.member() for port in self.ports}
        members.update({"load_clk": In(1), "load_sel": In(self.sel_bits),
                        "load_data": In(self.chunk_bits), "load_we": In(1)})
        return members


def load_plan(signature, *, max_input_bits=2048, chunk_bits=1024):
    """The :class:`LoadPlan` of a component with ``signature`` (no component is built, so a
    cached simulator build needs only the signature). Raises ``ValueError`` when the
    remaining top level would still exceed Amaranth's input limit, ``TypeError`` when a port
    is named like :data:`LOAD_PORTS`."""
    _positive_int("max_input_bits", max_input_bits)
    _positive_int("chunk_bits", chunk_bits)
    ports, loaded, chunks = [], [], []
    for port in flat_ports(signature):
        if port.name in LOAD_PORTS:
            raise TypeError(f"the component already has a port named {port.name!r}")
        if port.flow == In and port.shape.width > max_input_bits:
            loaded.append(port)
            for offset in range(0, port.shape.width, chunk_bits):
                chunks.append((port.name, offset, min(chunk_bits, port.shape.width - offset)))
        else:
            ports.append(port)
    plan = LoadPlan(ports=tuple(ports), loaded=tuple(loaded), chunks=tuple(chunks),
                    chunk_bits=chunk_bits, sel_bits=max(1, (len(chunks) - 1).bit_length()))
    total = sum(port.shape.width for port in ports if port.flow == In) \
        + 1 + plan.sel_bits + chunk_bits + 1
    if total > INPUT_BITS_LIMIT - INPUT_BITS_MARGIN:
        raise ValueError(
            f"the wrapped top level still has {total} input bits, more than "
            f"{INPUT_BITS_LIMIT - INPUT_BITS_MARGIN} (Amaranth accepts {INPUT_BITS_LIMIT}, "
            f"{INPUT_BITS_MARGIN} are kept for clocks and resets); lower max_input_bits "
            f"({max_input_bits!r}) or chunk_bits ({chunk_bits!r})")
    return plan


class WideInputLoader(wiring.Component):
    """``inner`` with plain ports and every input wider than ``max_input_bits`` loaded through
    a narrow bus.

    Parameters
    ----------
    inner : wiring.Component
        Its flattened ports must not be named like :data:`LOAD_PORTS`.
    max_input_bits : int
        Inputs wider than this become internal registers (keyword only, default 2048).
    chunk_bits : int
        Width of ``load_data``: bits written per ``load_clk`` edge (default 1024).

    Members
    -------
    inner : wiring.Component
    plan : LoadPlan
    max_input_bits, chunk_bits : int
    loaded : dict
        Name -> width of the inputs kept inside.
    chunk_map : dict
        :attr:`LoadPlan.chunk_map`.
    load_clk : In(1)
        Clock of the reset-less ``load`` domain; the registers take ``load_data`` on its
        rising edge while ``load_we`` is high.
    load_sel : In(sel_bits)
        Which chunk (of which loaded input) ``load_data`` is for.
    load_data : In(chunk_bits)
        Chunk value, bit 0 at the chunk's offset (a last, shorter chunk uses the low bits).
    load_we : In(1)
        Write enable.
    (every flattened port of ``inner`` except the loaded inputs: same name, direction, shape
    and init)
    """

    def __init__(self, inner, *, max_input_bits=2048, chunk_bits=1024):
        if not isinstance(inner, wiring.Component):
            raise TypeError(f"inner must be an Amaranth wiring.Component, not {inner!r}")
        self.plan = load_plan(inner.signature, max_input_bits=max_input_bits,
                              chunk_bits=chunk_bits)
        self.inner = inner
        self.max_input_bits = max_input_bits
        self.chunk_bits = chunk_bits
        self.loaded = {port.name: port.shape.width for port in self.plan.loaded}
        self.sel_bits = self.plan.sel_bits
        super().__init__(self.plan.members())

    @property
    def chunk_map(self):
        return self.plan.chunk_map

    def elaborate(self, platform):
        m = Module()
        m.domains.load = load = ClockDomain("load", reset_less=True)
        m.d.comb += load.clk.eq(self.load_clk)
        m.submodules.inner = self.inner
        registers = {}
        for port in self.plan.loaded:
            registers[port.name] = register = Signal(port.shape, init=port.init,
                                                     reset_less=True, name=f"{port.name}_loaded")
            m.d.comb += port.value(self.inner).eq(register)
        for port in self.plan.ports:
            outer, inner = getattr(self, port.name), port.value(self.inner)
            if port.flow == In:
                m.d.comb += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        if self.plan.chunks:
            with m.If(self.load_we):
                with m.Switch(self.load_sel):
                    for sel, (name, offset, width) in enumerate(self.plan.chunks):
                        with m.Case(sel):
                            m.d.load += registers[name][offset:offset + width].eq(
                                self.load_data[:width])
        return m
