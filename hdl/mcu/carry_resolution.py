"""Carry resolution row unit: re-normalises one crossbar row to canonical digits (semantics §2-§3)."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import digit_row
from panther.hdl.widths import McuWidths

__all__ = ["CarryResolution"]


class CarryResolution(wiring.Component):
    """Holds one row of every slice (filled by serial reads) and rewrites it canonically.

    ``load`` stores ``rdata`` (the digits of one row of slice ``slice``). ``start`` then runs
    ``xbar_size`` cycles (``busy``); each cycle one column's weight
    ``W = sum_k d_k << p*k`` is recomputed and replaced by its canonical digits (balanced
    radix ``2**p`` from the LSB slice up, the MSB slice takes the rest, every digit clipped
    to its slice range) while the row rotates by one column. ``wdata`` shows the row of slice
    ``slice`` for the serial writes. Without ``start`` the unit is a plain row buffer (the
    variant-3 commit copies rows through it unchanged).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    load, start : In(1)
    slice : In(slice_index_bits)
    rdata : In(digit_row(config))
    wdata : Out(digit_row(config))
        ``[j]``: the digit of column ``j``.
    busy : Out(1)
    compute_cycles : int
        Cycles of one row's re-normalisation (``xbar_size``).
    """

    def __init__(self, *, config):
        self.config = config
        self.widths = w = McuWidths(config)
        row = digit_row(config)
        super().__init__({
            "load": In(1),
            "start": In(1),
            "slice": In(w.slice_index_bits),
            "rdata": In(row),
            "wdata": Out(row),
            "busy": Out(1),
        })

    @property
    def compute_cycles(self):
        return self.widths.n

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        m = Module()
        dw = w.digit_bits
        buf = [Signal(w.n * dw, name=f"row_s{k}") for k in range(w.slices)]
        count = Signal(range(w.n + 1))
        m.d.comb += self.busy.eq(count != 0)

        # Canonical digits of column 0.
        total = Signal(signed(w.weight_sum_bits))
        m.d.comb += total.eq(sum(buf[k][:dw].as_signed() << (w.p * k) for k in range(w.slices)))
        rest = total
        canon = []
        for k in range(w.slices):
            low, high = cfg.digit_range(k)
            if k == w.slices - 1:
                digit = rest
            else:
                digit = Signal(signed(w.p), name=f"raw_digit{k}")
                m.d.comb += digit.eq(rest[:w.p].as_signed())
                nxt = Signal(signed(w.weight_sum_bits), name=f"rest{k + 1}")
                m.d.comb += nxt.eq((rest - digit) >> w.p)
                rest = nxt
            clipped = Signal(signed(w.digit_bits), name=f"canon{k}")
            m.d.comb += clipped.eq(Mux(digit < low, low, Mux(digit > high, high, digit)))
            canon.append(clipped)

        with m.If(self.load):
            for k in range(w.slices):
                with m.If(self.slice == k):
                    m.d.sync += buf[k].eq(self.rdata.as_value())
        with m.Elif(self.start):
            m.d.sync += count.eq(w.n)
        with m.Elif(count != 0):
            m.d.sync += count.eq(count - 1)
            m.d.sync += [buf[k].eq(Cat(buf[k][dw:], canon[k])) for k in range(w.slices)]
        with m.Switch(self.slice):
            for k in range(w.slices):
                with m.Case(k):
                    m.d.comb += self.wdata.eq(buf[k])
        return m
