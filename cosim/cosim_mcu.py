"""The co-simulation top level of a lone MCU (tests and benchmarks of the MCU alone).

:class:`CosimMcu` is an :class:`panther.hdl.mcu.MCU` with plain ports
(:func:`panther.hdl.flatten.flat_ports`): its core-side inputs pass through one register
each (as :class:`panther.cosim.registered_top.RegisteredInputs`: Verilator then evaluates the
design once per clock edge, not at every change of an input), its analog port is answered
inside by a :class:`panther.cosim.analog_answer.AnalogAnswer` (hold registers written by the
bridge, ``ack`` after the answer latency), and its analog outputs (``analog_req`` ...) are
top-level outputs. The ``sync`` domain has no reset.
"""

from amaranth.hdl import ClockDomain, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from panther.hdl.flatten import flat_ports
from panther.hdl.mcu import MCU

from .analog_answer import ANSWER_MEMBERS, HELD_MEMBERS, HOLD_REGISTER, AnalogAnswer

__all__ = ["CosimMcu", "MCU_HOLD_PATHS", "SOURCES"]

#: Dotted paths (from the top) of the hold registers, per answered vector.
MCU_HOLD_PATHS = {name: f"answer.{name}.{HOLD_REGISTER}" for name in HELD_MEMBERS}
#: Modules the top level is generated from.
SOURCES = (MCU.__module__, __name__)


class CosimMcu(wiring.Component):
    """One MCU for co-simulation (see the module docstring).

    Parameters
    ----------
    config : PantherConfig
    latencies : dict, optional
        Answer latencies (keyword only), as in
        :class:`~panther.cosim.analog_answer.AnalogAnswer` (default: ``config``'s
        ``analog_latency``).

    Members
    -------
    mcu : MCU
    input_latency : int
        Cycles the core-side inputs take to reach the MCU (1).
    clk : In(1)
    (the MCU's flattened ports except the answered analog inputs)
    """

    input_latency = 1

    def __init__(self, config, *, latencies=None):
        self.mcu = MCU(config=config)
        self.latencies = latencies
        self.ports = [port for port in flat_ports(self.mcu.signature)
                      if not (port.path[0] == "analog" and port.path[-1] in ANSWER_MEMBERS)]
        members = {port.name: port.member() for port in self.ports}
        members["clk"] = In(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = sync = ClockDomain("sync", reset_less=True)
        m.d.comb += sync.clk.eq(self.clk)
        m.submodules.mcu = mcu = self.mcu
        m.submodules.answer = answer = AnalogAnswer(mcu.config, latencies=self.latencies)
        wiring.connect(m, mcu.analog, answer.port)
        for port in self.ports:
            outer, inner = getattr(self, port.name), port.value(mcu)
            if port.flow == In:
                m.d.sync += inner.eq(outer)
            else:
                m.d.comb += outer.eq(inner)
        return m
