"""Plain top-level ports: the one place where nested interfaces and data layouts become flat
signals.

Inside the RTL, ports are nested ``lib.wiring`` interfaces (:mod:`panther.hdl.ports`) and
packed vectors are ``lib.data`` views. A top level that a simulator, a testbench or a netlist
tool sees has plain ports instead: :func:`flat_ports` lists them for any signature (member
path joined by ``_``: the ``req`` of MCU 1 of core 0 of a tile is ``c0_analog_1_req``; every
shape plain, same width and signedness), and :class:`FlatPorts` wraps a component with them.
Co-simulation tops (:mod:`panther.cosim.registered_top`, :mod:`panther.cosim.cosim_tile`) use
:func:`flat_ports`, units converted on their own (:mod:`panther.hdl.hierarchy`) are
:class:`FlatPorts`, and :mod:`panther.hdl.export` writes its tops through it.
"""

import itertools
from dataclasses import dataclass

from amaranth.hdl import Module, Shape, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In

__all__ = ["FlatPort", "flat_ports", "input_bits", "FlatPorts"]


@dataclass(frozen=True)
class FlatPort:
    """One plain port of a flattened top level.

    Members
    -------
    name : str
        ``prefix`` + the member path joined by ``_``.
    path : tuple
        Member names and array indices from the top of the signature.
    flow : wiring.Flow
        ``In`` or ``Out``, as seen from the component.
    shape : Shape
        Plain ``unsigned``/``signed`` shape (a layout or an enum becomes its bits).
    init : int
        Initial value as an integer.
    """

    name: str
    path: tuple
    flow: object
    shape: Shape
    init: int

    def member(self):
        """The ``wiring`` member of the plain port (``In`` / ``Out`` of :attr:`shape`)."""
        return self.flow(self.shape, init=self.init)

    def value(self, interface):
        """The port's signal in ``interface`` (an object with the flattened signature), as a
        plain :class:`~amaranth.hdl.Value`."""
        obj = interface
        for part in self.path:
            obj = obj[part] if isinstance(part, int) else getattr(obj, part)
        return Value.cast(obj)


def _walk(members, path):
    for name, member in members.items():
        for index in itertools.product(*(range(d) for d in member.dimensions)):
            sub = (*path, name, *index)
            if member.is_port:
                yield sub, member
            else:
                yield from _walk(member.signature.members, sub)


def flat_ports(signature, *, prefix=""):
    """The plain ports of ``signature`` (a ``wiring.Signature``), in member order.

    Raises ``ValueError`` if two ports would get the same name, or a name with ``__`` (which
    Amaranth's Verilog export reserves for its own hierarchy)."""
    if not isinstance(signature, wiring.Signature):
        raise TypeError(f"signature must be a wiring.Signature, not {signature!r}")
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, not {prefix!r}")
    ports, seen = [], {}
    for path, member in _walk(signature.members, ()):
        name = prefix + "_".join(str(part) for part in path)
        if "__" in name:
            raise ValueError(f"port {path!r} gives the top-level name {name!r} with '__', "
                             "which Verilog export reserves")
        if name in seen:
            raise ValueError(f"ports {seen[name]!r} and {path!r} both flatten to {name!r}")
        seen[name] = path
        plain = Value.cast(Signal(member.shape, init=member.init))
        ports.append(FlatPort(name=name, path=path, flow=member.flow, shape=plain.shape(),
                              init=plain.init))
    return ports


def input_bits(signature):
    """Total width of the ``In`` ports of ``signature`` once flattened (ports Amaranth adds
    itself, such as ``clk`` and ``rst``, are not included)."""
    return sum(port.shape.width for port in flat_ports(signature) if port.flow == In)


class FlatPorts(wiring.Component):
    """``inner`` with every port brought out as a plain signal (see :func:`flat_ports`).

    Parameters
    ----------
    inner : wiring.Component

    Members
    -------
    inner : wiring.Component
    ports : list of FlatPort
        The plain ports, in order.
    <name> : every port of :attr:`ports`, same direction.

    Subclasses change how a port reaches ``inner`` by overriding :meth:`connect_port`, and
    add members of their own with :meth:`extra_members`.
    """

    def __init__(self, inner):
        if not isinstance(inner, wiring.Component):
            raise TypeError(f"inner must be an Amaranth wiring.Component, not {inner!r}")
        self.inner = inner
        self.ports = flat_ports(inner.signature)
        members = {port.name: port.member() for port in self.ports}
        for name, member in self.extra_members().items():
            if name in members:
                raise TypeError(f"{inner!r} already has a port named {name!r}")
            members[name] = member
        super().__init__(members)

    def extra_members(self):
        """Members the wrapper adds besides the plain ports (none here)."""
        return {}

    def connect_port(self, m, port, outer, inner):
        """Join the plain port ``outer`` to ``inner`` (the inner component's signal): a wire."""
        if port.flow == In:
            m.d.comb += inner.eq(outer)
        else:
            m.d.comb += outer.eq(inner)

    def elaborate(self, platform):
        m = Module()
        m.submodules.inner = self.inner
        for port in self.ports:
            self.connect_port(m, port, getattr(self, port.name), port.value(self.inner))
        return m
