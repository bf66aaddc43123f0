"""Hierarchy-preserving generation: a unit converted to Verilog once, used many times.

Amaranth converts a design into one netlist, every instance of a unit becoming a module of
its own, so the conversion time grows with the number of cores and MCUs (the 8-core paper
tile took 87 minutes) and a simulator compiles every copy again. Instead, a unit (the MCU,
the core) is converted on its own, with plain ports (:class:`panther.hdl.flatten.FlatPorts`),
and its parents instantiate that module: :class:`ModuleInstance` has the unit's signature and
elaborates to an ``Instance`` of the module, port by port. The parent is then converted in
seconds, whatever the number of copies, and a simulator compiles the unit once.
"""

import re

from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from .flatten import flat_ports

__all__ = ["ModuleInstance"]


class ModuleInstance(wiring.Component):
    """A component with ``signature`` whose body is the Verilog module ``module``.

    The module must have been converted from ``FlatPorts(unit)`` of a unit with the same
    signature (its ports are then :func:`panther.hdl.flatten.flat_ports` of it, plus ``clk``
    and ``rst`` of the ``sync`` domain); its Verilog file is given to the tool together with
    the parent's.

    Parameters
    ----------
    signature : wiring.Signature
        The unit's signature (e.g. :class:`panther.hdl.mcu.McuSignature`).
    module : str
        Verilog module name (keyword only).

    Members
    -------
    module : str
    (the members of ``signature``)
    """

    def __init__(self, signature, *, module):
        if not isinstance(signature, wiring.Signature):
            raise TypeError(f"signature must be a wiring.Signature, not {signature!r}")
        if not (isinstance(module, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", module)):
            raise ValueError(f"module must be a Verilog identifier, not {module!r}")
        self.module = module
        self._ports = flat_ports(signature)
        super().__init__(signature)

    def elaborate(self, platform):
        m = Module()
        ports = {"i_clk": ClockSignal("sync"), "i_rst": ResetSignal("sync")}
        for port in self._ports:
            ports[("i_" if port.flow == In else "o_") + port.name] = port.value(self)
        m.submodules.unit = Instance(self.module, **ports)
        return m
