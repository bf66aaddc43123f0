"""cocotb side of MCU co-simulation: serve an MCU's analog port from the analog models.

One coroutine per MCU (:func:`serve_mcu`, start it with ``cocotb.start_soon``) sleeps until the
MCU raises ``req``, reads only the outputs the transaction needs, lets
:class:`cosim.analog_port.AnalogPort` run it on an :class:`analog_models.AnalogMCU` (DACs ->
crossbar -> sample-and-hold -> ADCs, whole vectors at once) and answers with a one-cycle
``ack``. Python therefore runs once per bit-step (or serial row), never per clock cycle,
row, column or slice.

:class:`McuDriver` offers the core-side operations (XBar buffer access, requests) for tests
and benchmarks. Both take a ``prefix``: the top level's ports are flattened
(:mod:`panther.hdl.flatten`), so the analog port of a lone MCU is ``analog_req`` ... (prefix
``analog_``) and that of MCU 1 of core 0 of a tile ``c0_analog_1_req`` ... (prefix
``c0_analog_1_``). ``serve_mcu``'s optional
``drive`` writes the answer's fields another way, e.g. through the load bus of a
:class:`cosim.wide_input_loader.WideInputLoader` top level (:mod:`cosim.wide_input_bus`).
"""

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

from .analog_port import AnalogPort

__all__ = ["serve_mcu", "start_mcu_bridge", "McuDriver"]


async def serve_mcu(dut, clock, amcu, port, *, prefix="analog_", drive=None):
    """Serve the MCU analog port whose signals are ``dut.<prefix>req`` ... for ever.

    ``drive``: optional async callable ``(top-level name, value)`` that drives each field of
    an answer (``<prefix>mvm_codes`` ...) after the falling edge of ``clock``; it must
    return before the next rising edge (e.g. :meth:`cosim.wide_input_bus.WideInputBus.drive`
    for inputs a :class:`cosim.wide_input_loader.WideInputLoader` keeps inside). Default: set
    the signal directly.
    """
    def sig(name):
        return getattr(dut, prefix + name)

    if drive is not None and not callable(drive):
        raise TypeError(f"drive must be an async callable (name, value), not {drive!r}")

    req, ack, op_sig = sig("req"), sig("ack"), sig("op")
    ack.value = 0
    while True:
        await RisingEdge(req)
        await ReadOnly()
        op = int(op_sig.value)
        fields = {name: int(sig(name).value) for name in port.needed(op)}
        answer = port.serve(amcu, op, fields)
        await FallingEdge(clock)
        for name, value in answer.items():
            if drive is None:
                sig(name).value = value
            else:
                await drive(prefix + name, value)
        ack.value = 1
        await RisingEdge(clock)
        ack.value = 0


def start_mcu_bridge(dut, clock, amcu, config, *, prefix="analog_", drive=None):
    """``cocotb.start_soon`` a :func:`serve_mcu` task (``drive`` as there); returns
    ``(task, port)`` where ``port.transactions`` counts the served transactions."""
    port = AnalogPort(config)
    task = cocotb.start_soon(serve_mcu(dut, clock, amcu, port, prefix=prefix, drive=drive))
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
        addr, w_en, w_data = (self.sig(f"{name}_{s}") for s in ("addr", "w_en", "w_data"))
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
