"""One port-naming scheme for every Verilog top: nested interface paths joined by ``_``.

Amaranth names a top-level port by its signature path joined with ``__`` (``dbg__req``,
``analog__0__a_req``); the tile brings its cores' ports out as ``c0_dbg_req``. Every exported
top uses the same rule instead: :func:`flat_port_name` joins the path with a single ``_``
(``dbg_req``, ``analog_0_a_req``), and the tile prefixes a core's ports with ``c<core>_``
(:func:`hdl.tile.core_port_name`). :class:`FlatTop` wraps a component whose ports are nested so
that its Verilog ports follow the rule; ``panther verilog`` writes the names with their
directions and widths to ``panther_ports.json``.
"""

from amaranth.hdl import Module, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

__all__ = ["flat_port_name", "FlatTop", "is_flat"]


def flat_port_name(path):
    """The top-level name of a signature member path: its parts joined by ``_``."""
    return "_".join(str(part) for part in path)


def is_flat(component):
    """True when every port of ``component`` is a plain member (a path of one name)."""
    return all(len(path) == 1 for path, _, _ in component.signature.flatten(component))


class FlatTop(wiring.Component):
    """``inner`` with every port a plain signal named :func:`flat_port_name` of its path.

    Parameters
    ----------
    inner : wiring.Component
        Any component; its layouts, enums and nested interfaces become plain signals of the
        same width and signedness.

    Members
    -------
    <flat name> : one per port of ``inner``, with its direction.
    inner : wiring.Component
    """

    def __init__(self, inner):
        if not isinstance(inner, wiring.Component):
            raise TypeError(f"inner must be a wiring.Component, not {inner!r}")
        self.inner = inner
        self._ports = []
        members = {}
        for path, member, value in inner.signature.flatten(inner):
            name = flat_port_name(path)
            if name in members or "__" in name:
                raise ValueError(f"port {path!r} gives the name {name!r}, which is taken or "
                                 "holds '__'")
            signal = Value.cast(value)
            members[name] = member.flow(signal.shape(), init=getattr(signal, "init", 0))
            self._ports.append((path, name, member.flow))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = self.inner
        for path, name, flow in self._ports:
            inner = self.inner
            for part in path:
                inner = inner[part] if isinstance(part, int) else getattr(inner, part)
            inner, outer = Value.cast(inner), getattr(self, name)
            m.d.comb += outer.eq(inner) if flow == Out else inner.eq(outer)
        return m
