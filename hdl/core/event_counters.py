"""The core's digital event counters (what the energy model needs, counted in hardware)."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.events import DIGITAL_EVENTS

from .layouts import EventLayout

__all__ = ["EventCounters", "COUNTER_BITS"]

#: Width of every counter (wraps after 2**32 events).
COUNTER_BITS = 32


class EventCounters(wiring.Component):
    """One counter per name of :data:`isa.events.DIGITAL_EVENTS`.

    Operand accesses (``events.dp_read`` / ``dp_write`` at ``addr``) are classified as the
    golden model classifies them: below ``rf_depth`` the register file; above it, blocks of
    ``xbar_size`` words alternate XBarIn, XBarOut (MCU 0, then MCU 1 ...).

    The inputs are registered first and counted in the next cycle (the address adders of the
    execute stage, the classification and a 32-bit increment were on the core's longest
    path in one cycle, issue 20): a counter lags its events by one cycle, so it is exact from
    the cycle after the core stops (the host's first read comes later).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    events : In(EventLayout)
        This cycle's events (from :class:`hdl.core.execute.Execute`).
    addr : In(config.ADDR_BITS)
        Address of the data-port access of this cycle.
    enable : In(1)
        Count this cycle's events (the core is running).
    clear : In(1)
        Zero every counter (a run starts); wins over ``enable`` (this cycle's events are
        dropped). The counters and the input registers have no reset of their own (the
        clock domain's reset would join ``clear`` in one LUT before ~450 reset pins, with the
        tile's reset fan-out copies' long routes, issue 20): they hold their initial value
        0 until the first clear, and keep their counts over a reset without a run.
    <name> : Out(COUNTER_BITS)
        One per event name (``vfu_ops``, ``rf_reads``, ...).
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        members = {"events": In(EventLayout(config)), "addr": In(config.ADDR_BITS),
                   "enable": In(1), "clear": In(1)}
        members.update({name: Out(COUNTER_BITS) for name in DIGITAL_EVENTS})
        super().__init__(members)

    def elaborate(self, platform):
        c = self.config
        m = Module()
        ev = Signal.like(self.events, name="events_r", reset_less=True)
        addr = Signal.like(self.addr, name="addr_r", reset_less=True)
        enable = Signal(name="enable_r")
        # This cycle's events are counted in the next; a clear drops them, as it wins.
        m.d.sync += [ev.eq(self.events), addr.eq(self.addr),
                     enable.eq(self.enable & ~self.clear)]
        in_rf = Signal()
        odd_block = Signal()          # above the register file: an XBarOut block
        m.d.comb += [in_rf.eq(addr < c.rf_depth),
                     odd_block.eq((addr - c.rf_depth)[(c.xbar_size - 1).bit_length()])]
        in_in = ~in_rf & ~odd_block
        in_out = ~in_rf & odd_block
        add = {
            "vfu_ops": ev.vfu_ops,
            "alu_int_ops": ev.alu_int_ops,
            "rf_reads": ev.dp_read & in_rf,
            "rf_writes": ev.dp_write & in_rf,
            "xbar_in_reads": ev.xbar_in_reads + (ev.dp_read & in_in),
            "xbar_in_writes": ev.xbar_in_writes + (ev.dp_write & in_in),
            "xbar_out_reads": ev.xbar_out_reads + (ev.dp_read & in_out),
            "xbar_out_writes": ev.xbar_out_writes + (ev.dp_write & in_out),
            "smem_reads": ev.smem_reads,
            "smem_writes": ev.smem_writes,
            "noc_words_sent": ev.noc_word_sent,
            "noc_words_received": ev.noc_word_received,
            "noc_flits": ev.noc_flit,
            "noc_flit_hops": ev.noc_hops,
        }
        assert set(add) == set(DIGITAL_EVENTS), "every digital event needs its increment"
        for name, increment in add.items():
            counter = Signal(COUNTER_BITS, name=f"{name}_q", reset_less=True)
            m.d.comb += getattr(self, name).eq(counter)
            with m.If(self.clear):
                m.d.sync += counter.eq(0)
            with m.Elif(enable):
                m.d.sync += counter.eq(counter + increment)
        return m
