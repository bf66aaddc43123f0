"""cocotb side of :class:`cosim.wide_input_loader.WideInputLoader`: write wide inputs through
the load bus in zero cycles of the main clock.

A write happens in the LOW phase of the main clock (after a falling edge, where the MCU
bridges drive their answers): for each chunk that changed since the last write, ``load_sel``,
``load_data`` and ``load_we`` are set, and ``load_clk`` rises 1 ps later and falls 1 ps after
that. A value of ``n`` chunks therefore takes ``2 n`` ps and is in place long before the next
rising edge of the main clock (the timescale is 1ns/1ps, the period 10 ns), exactly where a
directly driven input would be. A :class:`cocotb.triggers.Lock` keeps several writers (one
bridge per MCU) from interleaving on the shared bus; a write that would reach the rising
edge is an error, never a silent extra cycle.
"""

from cocotb.triggers import Lock, Timer
from cocotb.utils import get_sim_time

__all__ = ["WideInputBus"]


class WideInputBus:
    """Writes the inputs a :class:`~cosim.wide_input_loader.WideInputLoader` keeps inside.

    Parameters
    ----------
    dut : cocotb handle of the wrapper top level
    clock : cocotb handle of the main clock
    chunk_map : dict
        ``WideInputLoader.chunk_map`` (name -> list of ``[sel, offset, width]``).
    period_ps : int
        Main clock period (a write must end within its low half).

    Members
    -------
    chunk_map : dict
    writes : int
        Chunks written so far (unchanged chunks are skipped).
    """

    def __init__(self, dut, clock, chunk_map, *, period_ps):
        if not (isinstance(period_ps, int) and period_ps >= 4):
            raise ValueError(f"period_ps must be an integer >= 4, not {period_ps!r}")
        self.dut, self.clock, self.period_ps = dut, clock, period_ps
        self.chunk_map = {name: [tuple(c) for c in chunks] for name, chunks in chunk_map.items()}
        self.width = {name: sum(w for _, _, w in chunks) for name, chunks in self.chunk_map.items()}
        self.lock = Lock()
        self.writes = 0
        self._shadow = dict.fromkeys(self.chunk_map)      # unknown: write every chunk first
        self.load_clk, self.load_sel, self.load_data, self.load_we = (
            getattr(dut, name) for name in ("load_clk", "load_sel", "load_data", "load_we"))
        self.load_clk.value = 0
        self.load_we.value = 0

    async def drive(self, name, value):
        """Drive top-level input ``name``: through the bus if the wrapper keeps it inside,
        else directly (use as the ``drive`` of :func:`cosim.mcu_bridge.serve_mcu`)."""
        if name in self.chunk_map:
            await self.write(name, value)
        else:
            getattr(self.dut, name).value = value

    async def write(self, name, value):
        """Load ``value`` (an int; two's complement for a signed input) into input ``name``.

        Call it in the low phase of the main clock; it returns before the next rising edge.
        """
        if name not in self.chunk_map:
            raise KeyError(f"{name!r} is not an input kept by the wrapper "
                           f"(those are: {', '.join(self.chunk_map)})")
        value = int(value) & ((1 << self.width[name]) - 1)
        async with self.lock:
            old = self._shadow[name]
            chunks = [(sel, offset, width) for sel, offset, width in self.chunk_map[name]
                      if old is None or ((old ^ value) >> offset) & ((1 << width) - 1)]
            if not chunks:
                return
            start = get_sim_time("ps")
            self._check_low(name, start, start)
            for sel, offset, width in chunks:
                self.load_clk.value = 0
                self.load_sel.value = sel
                self.load_data.value = (value >> offset) & ((1 << width) - 1)
                self.load_we.value = 1
                await Timer(1, unit="ps")
                self.load_clk.value = 1
                await Timer(1, unit="ps")
            self.load_clk.value = 0
            self.load_we.value = 0
            self._shadow[name] = value
            self.writes += len(chunks)
            self._check_low(name, start, get_sim_time("ps"))

    def _check_low(self, name, start, now):
        if int(self.clock.value) != 0 or now - start >= self.period_ps // 2:
            raise RuntimeError(
                f"loading {name!r} at {start} ps did not fit in the low phase of the main clock "
                f"(now {now} ps, clock {self.clock.value}); the loader would cost cycles")
