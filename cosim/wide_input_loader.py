"""A co-simulation top level that keeps a component's wide inputs inside the design.

Amaranth's netlist builder numbers the bits of a cell's outputs with 16 bits, so one
conversion accepts at most 65536 top-level input bits (``amaranth.hdl._nir.Net.from_cell``).
A paper-size tile has two 14336-bit ADC code inputs per MCU, so plain top-level analog ports
fit one core only. :class:`WideInputLoader` wraps the component and replaces every input
wider than ``max_input_bits`` by a register of its own reset-less clock domain ``load``,
written ``chunk_bits`` at a time through a narrow bus (``load_sel``, ``load_data``,
``load_we``, clocked by ``load_clk``). Every other member keeps its name, direction and
shape; the wrapped component still runs in ``sync`` (top-level ``clk``/``rst``).

The testbench (:class:`cosim.wide_input_bus.WideInputBus`) toggles ``load_clk`` with 1 ps
steps inside the low phase of the main clock, so a loaded value is in place before the next
rising edge of ``clk``, exactly where a directly driven input would be: loading costs no
cycle of the design.
"""

from amaranth.hdl import ClockDomain, Module, Shape, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from .verilog import _silence

__all__ = ["WideInputLoader", "INPUT_BITS_LIMIT", "INPUT_BITS_MARGIN", "LOAD_PORTS",
           "input_bits"]

#: Top-level input bits Amaranth accepts in one conversion (``Net.from_cell``).
INPUT_BITS_LIMIT = 1 << 16
#: Bits kept free below the limit for ports Amaranth adds itself (clocks and resets of the
#: domains the design leaves undefined).
INPUT_BITS_MARGIN = 1024
#: Names of the load-bus members the wrapper adds.
LOAD_PORTS = ("load_clk", "load_sel", "load_data", "load_we")


def input_bits(signature):
    """Total width of the ``In`` members of a flat signature (ports Amaranth adds itself,
    such as ``clk`` and ``rst``, are not included)."""
    return sum(Shape.cast(member.shape).width for member in signature.members.values()
               if member.is_port and member.flow == In)


def _positive_int(name, value):
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


class WideInputLoader(wiring.Component):
    """``inner`` with every input wider than ``max_input_bits`` loaded through a narrow bus.

    Parameters
    ----------
    inner : wiring.Component
        A component whose signature has only plain (non-nested) members, none named like
        :data:`LOAD_PORTS`.
    max_input_bits : int
        Inputs wider than this become internal registers (keyword only, default 2048).
    chunk_bits : int
        Width of ``load_data``: bits written per ``load_clk`` edge (default 1024).

    Members
    -------
    inner : wiring.Component
    max_input_bits, chunk_bits : int
    loaded : dict
        Name -> width of the inputs kept inside.
    chunk_map : dict
        See the property.
    load_clk : In(1)
        Clock of the reset-less ``load`` domain; the registers take ``load_data`` on its
        rising edge while ``load_we`` is high.
    load_sel : In(sel_bits)
        Which chunk (of which loaded input) ``load_data`` is for.
    load_data : In(chunk_bits)
        Chunk value, bit 0 at the chunk's offset (a last, shorter chunk uses the low bits).
    load_we : In(1)
        Write enable.
    (every member of ``inner.signature`` except the loaded inputs: same name, direction,
    shape and init)
    """

    def __init__(self, inner, *, max_input_bits=2048, chunk_bits=1024):
        try:
            self._setup(inner, max_input_bits, chunk_bits)
        except (TypeError, ValueError):
            _silence(inner)             # a rejected wrapper is not an unused one
            self._MustUse__silence = True
            raise

    def _setup(self, inner, max_input_bits, chunk_bits):
        if not isinstance(inner, wiring.Component):
            raise TypeError(f"inner must be an Amaranth wiring.Component, not {inner!r}")
        _positive_int("max_input_bits", max_input_bits)
        _positive_int("chunk_bits", chunk_bits)
        self.inner = inner
        self.max_input_bits = max_input_bits
        self.chunk_bits = chunk_bits
        members = {}
        self.loaded = {}
        self._registers = {}
        self._chunks = []            # sel -> (name, offset, width)
        for name, member in inner.signature.members.items():
            if not member.is_port:
                raise TypeError(f"member {name!r} of {inner!r} is not a plain port")
            if name in LOAD_PORTS:
                raise TypeError(f"{inner!r} already has a member named {name!r}")
            width = Shape.cast(member.shape).width
            if member.flow == In and width > max_input_bits:
                self.loaded[name] = width
                self._registers[name] = Signal(member.shape, init=member.init, reset_less=True,
                                               name=f"{name}_loaded")
                for offset in range(0, width, chunk_bits):
                    self._chunks.append((name, offset, min(chunk_bits, width - offset)))
            else:
                members[name] = member
        self.sel_bits = max(1, (len(self._chunks) - 1).bit_length())
        members.update({"load_clk": In(1), "load_sel": In(self.sel_bits),
                        "load_data": In(chunk_bits), "load_we": In(1)})
        signature = wiring.Signature(members)
        total = input_bits(signature)
        if total > INPUT_BITS_LIMIT - INPUT_BITS_MARGIN:
            raise ValueError(
                f"the wrapped top level still has {total} input bits, more than "
                f"{INPUT_BITS_LIMIT - INPUT_BITS_MARGIN} (Amaranth accepts {INPUT_BITS_LIMIT}, "
                f"{INPUT_BITS_MARGIN} are kept for clocks and resets); lower max_input_bits "
                f"({max_input_bits!r}) or chunk_bits ({chunk_bits!r})")
        super().__init__(signature)

    @property
    def chunk_map(self):
        """Loaded input name -> list of ``[sel, bit offset, width]`` (JSON-ready), in
        offset order."""
        out = {name: [] for name in self.loaded}
        for sel, (name, offset, width) in enumerate(self._chunks):
            out[name].append([sel, offset, width])
        return out

    def elaborate(self, platform):
        m = Module()
        m.domains.load = load = ClockDomain("load", reset_less=True)
        m.d.comb += load.clk.eq(self.load_clk)
        m.submodules.inner = self.inner
        for name, member in self.inner.signature.members.items():
            inner = getattr(self.inner, name)
            if name in self._registers:
                m.d.comb += inner.eq(self._registers[name])
            elif member.flow == In:
                m.d.comb += inner.eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(inner)
        if self._chunks:
            with m.If(self.load_we):
                with m.Switch(self.load_sel):
                    for sel, (name, offset, width) in enumerate(self._chunks):
                        with m.Case(sel):
                            register = self._registers[name]
                            m.d.load += register[offset:offset + width].eq(self.load_data[:width])
        return m
