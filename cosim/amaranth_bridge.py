"""The analog models plugged into Amaranth's own simulator (fast unit tests, no Verilog)."""

import sys

from amaranth.sim import Simulator

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


def add_analog_bridge(sim, mcu, amcu, *, port=None):
    """Serve ``mcu``'s analog port from ``amcu`` (an :class:`analog_models.AnalogMCU`) in ``sim``.

    Adds a background testbench: whenever ``a_req`` rises, it performs
    the transaction on ``amcu`` and answers with a one-cycle ``a_ack`` (so the MCU waits
    exactly one cycle per request: ``ack_latency=1`` in :func:`hdl.mcu.rtl_cycles`).

    Parameters
    ----------
    sim : amaranth.sim.Simulator
    mcu : hdl.mcu.MCU
    amcu : analog_models.AnalogMCU (or any object with its bit-step methods)
    port : AnalogPort, optional
        Reused to accumulate transaction counts; a new one by default.

    Returns
    -------
    AnalogPort
        Its ``transactions`` counts what was served.
    """
    port = port or AnalogPort(mcu.config)

    async def bridge(ctx):
        while True:
            await ctx.posedge(mcu.a_req)
            op = ctx.get(mcu.a_op)
            fields = {name: ctx.get(getattr(mcu, name)) for name in port.needed(op)}
            for name, value in port.serve(amcu, op, fields).items():
                ctx.set(getattr(mcu, name), value)
            ctx.set(mcu.a_ack, 1)
            await ctx.tick()
            ctx.set(mcu.a_ack, 0)

    sim.add_testbench(bridge, background=True)
    return port


async def write_buffer(ctx, mcu, name, values):
    """Write ``values`` (raw data words) into XBar buffer ``name`` ('xin' or 'xout')."""
    addr, w_en, w_data = (getattr(mcu, f"{name}_{s}") for s in ("addr", "w_en", "w_data"))
    for i, value in enumerate(values):
        ctx.set(addr, i)
        ctx.set(w_data, int(value))
        ctx.set(w_en, 1)
        await ctx.tick()
    ctx.set(w_en, 0)


async def read_buffer(ctx, mcu, name):
    """Read every word of XBar buffer ``name`` ('xin' or 'xout') as a list of ints."""
    addr, r_data = getattr(mcu, f"{name}_addr"), getattr(mcu, f"{name}_r_data")
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
