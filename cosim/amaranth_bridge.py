"""The analog models plugged into Amaranth's own simulator (fast unit tests, no Verilog)."""

import sys

from amaranth.hdl import Value
from amaranth.sim import Simulator

from panther.hdl.mcu.controller import opa_latency
from panther.hdl.ports import AnalogOp

from .analog_port import AnalogPort

__all__ = ["simulator", "add_analog_bridge"]


def simulator(dut, *, period=1e-9):
    """An Amaranth :class:`Simulator` of ``dut`` with a clock of ``period`` seconds.

    Paper-size MCUs have signals wider than 14 000 bits; Amaranth's Python simulator writes
    their masks as decimal literals, beyond Python's default int/str conversion limit, so
    the limit is lifted (``sys.set_int_max_str_digits(0)``) for this process.
    """
    sys.set_int_max_str_digits(0)
    sim = Simulator(dut)
    sim.add_clock(period)
    return sim


def add_analog_bridge(sim, analog, amcu, *, port=None):
    """Serve the MCU analog port ``analog`` (``mcu.analog`` of an :class:`hdl.mcu.MCU`, or
    ``core.analog[m]``) from ``amcu`` (an :class:`analog_models.AnalogMCU`) in ``sim``.

    Adds a background testbench: whenever ``req`` rises, it performs the transaction on
    ``amcu`` and answers with a one-cycle ``ack`` in that cycle (``ack_latency=1`` in
    :func:`hdl.mcu.rtl_cycles`), or, for an OPA alone, in the cycle of its last step
    (:func:`hdl.mcu.controller.opa_latency`).

    Parameters
    ----------
    sim : amaranth.sim.Simulator
    analog : interface of :class:`hdl.ports.McuAnalogSignature`
    amcu : analog_models.AnalogMCU (or any object with its bit-step methods)
    port : AnalogPort, optional
        Reused to accumulate transaction counts; by default a new one for the signature's
        configuration.

    Returns
    -------
    AnalogPort
        Its ``transactions`` counts what was served.
    """
    port = port or AnalogPort(analog.signature.config)
    opa_cycles = opa_latency(analog.signature.config, ack_latency=1)

    def plain(name):
        return Value.cast(getattr(analog, name))

    async def bridge(ctx):
        while True:
            await ctx.posedge(analog.req)
            op = ctx.get(plain("op"))
            fields = {name: ctx.get(plain(name)) for name in port.needed(op)}
            for name, value in port.serve(amcu, op, fields, read=lambda name: ctx.get(plain(name))).items():
                ctx.set(plain(name), value)
            if op == AnalogOp.OPA.value and opa_cycles > 1:
                await ctx.tick().repeat(opa_cycles - 1)
            ctx.set(analog.ack, 1)
            await ctx.tick()
            ctx.set(analog.ack, 0)

    sim.add_testbench(bridge, background=True)
    return port


async def write_buffer(ctx, mcu, name, values):
    """Write ``values`` (raw data words) into XBar buffer ``name`` ('xin' or 'xout')."""
    buf = getattr(mcu, name)
    addr, w_en, w_data = buf.w_addr, buf.w_en, buf.w_data
    for i, value in enumerate(values):
        ctx.set(addr, i)
        ctx.set(w_data, int(value))
        ctx.set(w_en, 1)
        await ctx.tick()
    ctx.set(w_en, 0)


async def read_buffer(ctx, mcu, name):
    """Read every word of XBar buffer ``name`` ('xin' or 'xout') as a list of ints."""
    addr, r_data = getattr(mcu, name).addr, getattr(mcu, name).r_data
    out = []
    for i in range(mcu.widths.n):
        ctx.set(addr, i)
        await ctx.tick()
        out.append(ctx.get(r_data))
    return out


async def run_request(ctx, mcu, *, mask=0, crs=False, commit=False, timeout=10_000_000):
    """Strobe one request (start with ``mask``, or ``crs``, or ``commit``) for one cycle and
    wait for ``done``. Returns the cycles from the strobe to the ``done`` pulse."""
    if sum((bool(mask), crs, commit)) != 1:
        raise ValueError(f"give exactly one of mask, crs, commit; not {mask!r}, {crs!r}, {commit!r}")
    if mask:
        ctx.set(mcu.start_mask, int(mask))
        ctx.set(mcu.start, 1)
    ctx.set(mcu.crs, int(crs))
    ctx.set(mcu.commit, int(commit))
    await ctx.tick()
    for s in (mcu.start, mcu.crs, mcu.commit):
        ctx.set(s, 0)
    cycles = 1
    while not ctx.get(mcu.done):
        await ctx.tick()
        cycles += 1
        if cycles > timeout:
            raise TimeoutError(f"MCU request did not finish within {timeout} cycles")
    return cycles


__all__ += ["write_buffer", "read_buffer", "run_request"]
