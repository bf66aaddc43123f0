"""cocotb side of MCU co-simulation: serve an MCU's analog port from the analog models.

One coroutine per MCU (:func:`serve_mcu`, start it with ``cocotb.start_soon``) sleeps until the
MCU raises ``req``, reads only the outputs the transaction needs, lets
:class:`cosim.analog_port.AnalogPort` run it on an :class:`analog_models.AnalogMCU` (DACs ->
crossbar -> sample-and-hold -> ADCs, whole vectors at once) and writes the answer's vectors
into the hold registers of the top level's :class:`cosim.analog_answer.AnalogAnswer`, which
raises ``ack`` itself after the answer latency (or, for a plain top level whose analog
inputs are ports, drives them and a one-cycle ``ack``). Python therefore wakes up ONCE per
transaction under Verilator (the value-change callback of ``req`` comes after a full
evaluation of the design), three times under Icarus (which may report ``req`` before the
other outputs of the same clock edge: the bridge waits for the read-only phase, then for the
next time step to write), and never per clock cycle, row, column or slice. On Verilator with
hold registers, every transaction (the serial row reads and writes of a commit, the steps
of an MVM ...) is served by a :class:`cosim.row_bridge.RowGate` from the simulator's own
callback of ``req``, without cocotb's scheduler; the coroutine then only waits.

:class:`McuDriver` offers the core-side operations (XBar buffer access, requests) for tests
and benchmarks. Both take a ``prefix``: the top level's ports are flattened
(:mod:`panther.hdl.flatten`), so the analog port of a lone MCU is ``analog_req`` ... (prefix
``analog_``) and that of MCU 1 of core 0 of a tile ``c0_analog_1_req`` ... (prefix
``c0_analog_1_``).
"""

import time

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from panther.hdl.mcu.controller import opa_latency
from panther.hdl.ports import AnalogOp

from .analog_port import AnalogPort
from .row_bridge import RowGate, fast_rows
from .vpi_vector import VectorWriter

__all__ = ["serve_mcu", "start_mcu_bridge", "McuDriver", "resolve"]


def _writer(handle):
    """How the bridge writes hold register ``handle``: under Verilator in 32-bit words
    (:class:`cosim.vpi_vector.VectorWriter`, not cocotb's bit string), else through cocotb."""
    if str(getattr(cocotb, "SIM_NAME", "")).lower().startswith("verilator"):
        try:
            return VectorWriter(handle).write
        except (OSError, AttributeError, ValueError):
            pass

    def through_cocotb(value):
        handle.value = value
    return through_cocotb


def _read_int(handle):
    """The unsigned int of an MCU output, read as the simulator's bit string (no LogicArray)."""
    return int(handle._handle.get_signal_val_binstr(), 2)


def resolve(dut, path):
    """The cocotb handle at the dotted instance ``path`` below ``dut``."""
    handle = dut
    for part in path.split("."):
        handle = getattr(handle, part)
    return handle


async def serve_mcu(dut, amcu, port, *, prefix="analog_", holds=None, clock=None,
                    settle=False):
    """Serve the MCU analog port whose outputs are ``dut.<prefix>req`` ... for ever.

    ``holds``: member name (``mvm_codes``, ``mtvm_codes``, ``rdata``) -> the cocotb handle of
    its hold register in an :class:`cosim.analog_answer.AnalogAnswer` (which raises ``ack``
    itself). None: the port's inputs are top-level ports (a plain ``panther verilog`` top);
    the bridge then drives the answer and a one-cycle ``ack`` itself after the falling edge
    of ``clock`` (required then), as an analog half answering in the next cycle (an OPA
    alone, a whole OPA phase: ``input_steps - 1`` cycles later, as
    :func:`hdl.mcu.controller.opa_latency` says).
    ``settle``: wait for the read-only phase before reading the outputs and for the next time
    step before writing (Icarus; always done without ``holds``). ``port.wakeups`` counts
    the coroutine's wake-ups.
    """
    def sig(name):
        return getattr(dut, prefix + name)

    direct = holds is None
    opa_cycles = opa_latency(port.config, ack_latency=1)
    if direct and clock is None:
        raise ValueError("serve_mcu needs the clock when the bridge drives the ports (holds=None)")
    req, op_raw = sig("req"), sig("op")._handle.get_signal_val_binstr    # no LogicArray
    ack = sig("ack") if direct else None
    if direct:
        ack.value = 0
        holds = {}
    outputs = {}

    def read(name):
        handle = outputs.get(name)
        if handle is None:
            handle = outputs[name] = sig(name)
        return _read_int(handle)

    def timed_read(name):                # what the port reads while serving is reading too
        t = clock_s()
        value = read(name)
        port.bridge_s["read"] += clock_s() - t
        return value

    writers = {}

    def write(name, value):
        target = writers.get(name)
        if target is None:
            target = writers[name] = _writer(holds[name])
        target(value)
    port.wakeups = 0
    port.bridge_s = dict.fromkeys(("read", "serve", "write", "rows"), 0.0)
    clock_s = time.perf_counter

    def answer_of(op):       # the reads and the models of transaction op
        t0 = clock_s()
        fields = {name: read(name) for name in port.needed(op)}
        t1 = clock_s()
        port.bridge_s["read"] += t1 - t0
        reading = port.bridge_s["read"]
        answer = port.serve(amcu, op, fields, read=timed_read)
        port.bridge_s["serve"] += clock_s() - t1 - (port.bridge_s["read"] - reading)
        return answer

    def write_answer(answer):
        t0 = clock_s()
        for name, value in answer.items():
            write(name, value)
        port.bridge_s["write"] += clock_s() - t0

    def serve_at_once(op):
        write_answer(answer_of(op))

    # Verilator's hold registers: every transaction served by a simulator callback of req
    # (cosim.row_bridge), without cocotb's scheduler: the coroutine only waits
    gate = None if direct or settle or not fast_rows() else \
        RowGate(dut, prefix, port, amcu, holds["rdata"], serve=serve_at_once)
    rise = RisingEdge(req)
    while True:
        if gate is not None:
            await gate.next_op()         # never set: the gate serves everything
            continue
        await rise
        port.wakeups += 1
        if settle or direct:
            await ReadOnly()
            port.wakeups += 1
        op = int(op_raw(), 2)
        answer = answer_of(op)
        if direct:
            await FallingEdge(clock)
            port.wakeups += 1
            if op == AnalogOp.OPA.value and opa_cycles > 1:
                # an OPA alone: one step per cycle, ack in the cycle of the last
                await ClockCycles(clock, opa_cycles - 1, FallingEdge)
                port.wakeups += 1
            for name, value in answer.items():
                target = holds.get(name)
                if target is None:
                    target = holds[name] = sig(name)
                target.value = value
            ack.value = 1
            await RisingEdge(clock)
            port.wakeups += 1
            ack.value = 0
            continue
        if settle:
            await Timer(1, unit="ps")
            port.wakeups += 1
        write_answer(answer)


def start_mcu_bridge(dut, clock, amcu, config, *, prefix="analog_", holds=None, settle=False):
    """``cocotb.start_soon`` a :func:`serve_mcu` task (arguments as there); returns
    ``(task, port)`` where ``port.transactions`` counts the served transactions and
    ``port.wakeups`` the bridge's wake-ups."""
    port = AnalogPort(config)
    task = cocotb.start_soon(serve_mcu(dut, amcu, port, prefix=prefix, holds=holds, clock=clock,
                                       settle=settle))
    return task, port


class McuDriver:
    """Core-side driver of one MCU in cocotb (XBar buffers through the core ports, requests).

    Parameters
    ----------
    dut : cocotb handle of the top level
    clock : its clock signal
    period_ps : int
        Clock period, to turn simulation time into cycles.
    input_latency : int
        Register stages between the top-level inputs and the MCU (1 for a
        :class:`cosim.registered_top.RegisteredInputs` top level).
    prefix : str
        Prefix of the MCU's flattened core-port names (``''`` for a lone MCU).
    """

    def __init__(self, dut, clock, *, period_ps, input_latency=0, prefix=""):
        if not (isinstance(period_ps, int) and period_ps > 0):
            raise ValueError(f"period_ps must be a positive integer, not {period_ps!r}")
        if not (isinstance(input_latency, int) and input_latency >= 0):
            raise ValueError(f"input_latency must be a non-negative integer, not {input_latency!r}")
        self.dut, self.clock, self.prefix, self.period_ps = dut, clock, prefix, period_ps
        self.input_latency = input_latency
        for name in ("start", "crs", "commit", "overflow_clear", "xin_w_en", "xout_w_en"):
            self.sig(name).value = 0

    def sig(self, name):
        return getattr(self.dut, self.prefix + name)

    async def write_buffer(self, name, values):
        """Write raw words into ``'xin'`` or ``'xout'`` (one per cycle)."""
        addr, w_en, w_data = (self.sig(f"{name}_{s}") for s in ("w_addr", "w_en", "w_data"))
        for i, value in enumerate(values):
            await FallingEdge(self.clock)
            addr.value = i
            w_data.value = int(value)
            w_en.value = 1
        await FallingEdge(self.clock)
        w_en.value = 0

    async def read_buffer(self, name, count):
        """Read ``count`` words of ``'xin'`` or ``'xout'`` (signed ints)."""
        addr, r_data = self.sig(f"{name}_addr"), self.sig(f"{name}_r_data")
        out = []
        for i in range(count):
            await FallingEdge(self.clock)
            addr.value = i
            for _ in range(1 + self.input_latency):
                await RisingEdge(self.clock)
            await ReadOnly()
            out.append(r_data.value.to_signed())
        return out

    async def request(self, *, mask=0, crs=False, commit=False):
        """Strobe one request for a cycle and wait for ``done``; returns the cycles from the
        edge where the MCU sees the strobe to the edge that raised ``done`` (as
        :func:`hdl.mcu.rtl_cycles`, with ``ack_latency = 1 + input_latency``)."""
        if sum((bool(mask), crs, commit)) != 1:
            raise ValueError(f"give exactly one of mask, crs, commit; not {mask!r}, {crs!r}, {commit!r}")
        await FallingEdge(self.clock)
        if mask:
            self.sig("start_mask").value = int(mask)
            self.sig("start").value = 1
        self.sig("crs").value = int(crs)
        self.sig("commit").value = int(commit)
        await RisingEdge(self.clock)
        start = get_sim_time("ps")
        await FallingEdge(self.clock)
        for name in ("start", "crs", "commit"):
            self.sig(name).value = 0
        if not int(self.sig("done").value):
            await RisingEdge(self.sig("done"))
        end = get_sim_time("ps")
        await ReadOnly()
        return (end - start) // self.period_ps + 1 - self.input_latency

    async def clear_overflow(self):
        """Pulse ``overflow_clear`` for one cycle."""
        await FallingEdge(self.clock)
        self.sig("overflow_clear").value = 1
        await FallingEdge(self.clock)
        self.sig("overflow_clear").value = 0
        for _ in range(self.input_latency):
            await RisingEdge(self.clock)
