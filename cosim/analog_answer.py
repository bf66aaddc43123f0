"""The analog half's side of an MCU analog port in co-simulation, in the design itself.

A Python bridge (:mod:`panther.cosim.mcu_bridge`) computes each answer from the analog
models; everything clocked about the answer is here, so the bridge wakes up once per
transaction and never per clock edge:

* **hold registers**: the answer's vectors (``mvm_codes``, ``mtvm_codes``, ``rdata``) come
  from instances of :data:`HOLD_MODULE`, a small Verilog module (:func:`hold_verilog`)
  whose register nothing in the design drives. The bridge writes it directly (cocotb, VPI)
  in the time step where ``req`` rose; the module copies it to its output at the next
  falling edge of the clock (only then: its ``load`` input is the rise of ``req``), before
  the MCU's next rising edge reads it. The vectors
  therefore never are top-level inputs: no 65536-bit input limit of Amaranth's converter,
  no load bus, no cycle spent.
* **answer timing**: :class:`AnalogAnswer` raises ``ack`` ``latency`` cycles after ``req``
  rose, per operation (:func:`answer_latencies`): by default what the configuration's
  ``analog_latency`` asks, 1 when ``"ideal"`` (in the cycle where ``req`` is first high, as
  an ideal analog half answering at once) or the modelled latencies of
  ``analog_models/analog_latency.py`` in whole clock cycles when ``"modelled"``. An OPA
  alone is a whole OPA phase, ``input_steps`` steps of the OPA latency each.
"""

from amaranth.hdl import ClockSignal, Instance, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from panther.analog_models.analog_latency import latency_cycles
from panther.hdl.mcu.controller import opa_latency
from panther.hdl.ports import AnalogOp, McuAnalogSignature

__all__ = ["HOLD_MODULE", "HOLD_REGISTER", "ANSWER_MEMBERS", "HELD_MEMBERS", "hold_verilog",
           "answer_name", "answer_latencies", "latency_tag", "AnalogAnswer"]

#: Verilog module of a hold register (parameter ``WIDTH``, inputs ``clk`` and ``load``, output ``q``).
HOLD_MODULE = "panther_cosim_hold"
#: Name of the register inside :data:`HOLD_MODULE` that the bridge writes.
HOLD_REGISTER = "data"
#: Members of the MCU analog port (inputs of the MCU) that :class:`AnalogAnswer` drives.
ANSWER_MEMBERS = ("ack", "mvm_codes", "mtvm_codes", "rdata")
#: The vectors among them (hold registers, one instance each, named like the member).
HELD_MEMBERS = ("mvm_codes", "mtvm_codes", "rdata")


def answer_name(core, mcu):
    """Instance name of the :class:`AnalogAnswer` of MCU ``mcu`` of core ``core`` in a top
    level (as its port's flattened prefix, without the trailing ``_``)."""
    return f"c{core}_analog_{mcu}"


def answer_latencies(config):
    """``{AnalogOp: cycles}`` the co-simulated analog half answers in under ``config``
    (:func:`panther.analog_models.analog_latency.latency_cycles`; OPA: cycles per step)."""
    return {AnalogOp[name]: cycles for name, cycles in latency_cycles(config).items()}


def latency_tag(latencies):
    """``''`` when every latency is 1, else ``'lat_<mvm>_<mtvm>_<opa>_<read>_<write>'``: the
    part of a top level's module name that keeps builds of other latencies apart."""
    cycles = [latencies[op] for op in AnalogOp]
    return "" if all(c == 1 for c in cycles) else "lat_" + "_".join(map(str, cycles))


def hold_verilog():
    """Verilog text of :data:`HOLD_MODULE`: a register written only from the testbench,
    copied to the output ``q`` at the falling edge of ``clk`` in a cycle where ``load`` is
    high.

    Verilator would optimise away (or not let VPI write) an internal register; the
    ``public_flat_rw`` comment keeps it and makes it writable. The bridge writes it in the
    time step of the rising edge where ``req`` rose (``load`` is that rise), so the
    falling-edge copy shows it to the MCU's clocked readers (its capture registers) at the
    next rising edge, as a direct read would. The copy keeps the readers' logic off the
    writable register (Verilator evaluates logic that reads a VPI-writable variable at every
    evaluation of the design); ``load`` keeps a paper-size vector from being copied at every
    falling edge (docs/mcu.md, "Co-simulation speed").
    """
    return (f"module {HOLD_MODULE} #(parameter WIDTH = 1) "
            "(input clk, input load, output reg [WIDTH-1:0] q);\n"
            f"  reg [WIDTH-1:0] {HOLD_REGISTER} /*verilator public_flat_rw*/;\n"
            f"  initial {HOLD_REGISTER} = 0;\n"
            "  initial q = 0;\n"
            f"  always @(negedge clk) if (load) q <= {HOLD_REGISTER};\n"
            "endmodule\n")


class AnalogAnswer(wiring.Component):
    """Answers one MCU analog port: ``ack`` after the latency of the transaction, the
    vectors from hold registers written by the bridge.

    Parameters
    ----------
    config : PantherConfig
    latencies : dict, optional
        :class:`AnalogOp` flag -> cycles from ``req`` rising to ``ack`` (at least 1) for a
        transaction with that operation; a transaction with several takes the largest.
        Default: :func:`answer_latencies` of ``config`` (keyword only). An OPA alone (a
        whole OPA phase, ``latencies[OPA]`` cycles per step) takes
        :func:`~panther.hdl.mcu.controller.opa_latency` with that step time:
        ``input_steps * latencies[OPA]``.

    Members
    -------
    port : In(McuAnalogSignature(config))
        The analog half's side of the MCU's port.
    latencies : dict
    opa_phase_latency : int
        Cycles from ``req`` rising to ``ack`` of an OPA alone.
    """

    def __init__(self, config, *, latencies=None):
        latencies = answer_latencies(config) if latencies is None else dict(latencies)
        missing = [op.name for op in AnalogOp if op not in latencies]
        if missing:
            raise ValueError(f"latencies must give every AnalogOp, missing {missing}")
        for op, cycles in latencies.items():
            if not (isinstance(cycles, int) and not isinstance(cycles, bool) and cycles >= 1):
                raise ValueError(f"latency of {op!r} must be an integer >= 1, not {cycles!r}")
        self.latencies = {op: latencies[op] for op in AnalogOp}
        self.opa_phase_latency = opa_latency(config, step_cycles=self.latencies[AnalogOp.OPA])
        super().__init__({"port": In(McuAnalogSignature(config))})

    def elaborate(self, platform):
        m = Module()
        port = self.port
        req_q = Signal()
        m.d.sync += req_q.eq(port.req)
        rise = Signal()
        m.d.comb += rise.eq(port.req & ~req_q)
        for name in HELD_MEMBERS:
            target = getattr(port, name).as_value()
            m.submodules[name] = Instance(HOLD_MODULE, p_WIDTH=len(target), i_clk=ClockSignal(),
                                          i_load=rise, o_q=target)

        longest = max(*self.latencies.values(), self.opa_phase_latency)
        # the transaction's latency: the largest of its operations', or an OPA phase's
        latency = 1
        for op, cycles in sorted(self.latencies.items(), key=lambda kv: kv[1]):
            if cycles > 1:
                latency = Mux(port.op.as_value() & op.value, cycles, latency)
        if self.opa_phase_latency > 1:
            latency = Mux(port.op.as_value() == AnalogOp.OPA.value, self.opa_phase_latency,
                          latency)
        if longest == 1:
            m.d.comb += port.ack.eq(rise)
            return m
        count = Signal(range(longest))
        with m.If(rise):
            m.d.sync += count.eq(latency - 1)
        with m.Elif(count != 0):
            m.d.sync += count.eq(count - 1)
        m.d.comb += port.ack.eq(Mux(rise, latency == 1, count == 1))
        return m
