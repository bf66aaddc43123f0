"""Carry resolution row unit: re-normalises one crossbar row to canonical digits (semantics §2-§3)."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import digit_row
from panther.hdl.widths import McuWidths

from .replica import replicas

__all__ = ["CarryResolution", "crs_pipeline_depth"]


def crs_pipeline_depth(config):
    """Pipeline registers of the carry-resolution unit: one per level of its adder tree over
    the ``n_slices`` digits of a column (``ceil(log2(n_slices))``, 3 for 8 slices)."""
    return (config.n_slices - 1).bit_length()


class CarryResolution(wiring.Component):
    """Holds one row of every slice (filled by serial reads) and rewrites it canonically.

    ``load`` stores ``rdata`` (the digits of one row of slice ``slice``; registered, the row
    holds them a cycle later, :attr:`load_latency`). ``start`` (in the cycle after the last
    ``load`` at the earliest) then runs
    ``xbar_size + depth`` cycles (``busy``), ``depth`` = :func:`crs_pipeline_depth`: each
    cycle the row shifts down by one column; the column leaving at the bottom enters a
    pipeline that recomputes its weight ``W = sum_k d_k << p*k`` and its canonical digits
    (balanced radix ``2**p`` from the LSB slice up, the MSB slice takes the rest, every digit
    clipped to its slice range), which enter the row at the top ``depth`` cycles later. After
    ``xbar_size + depth`` shifts the row holds the canonical digits in column order (the first
    ``depth`` entries, shifted in before the pipeline was full, have left again).

    The pipeline adds the ``n_slices`` shifted digits in a tree, one register per level. The
    re-digit itself needs no adder chain: adding ``sum_{k<S-1} 2**(p*k + p-1)`` to ``W`` (a
    constant, concatenated below the MSB slice's term for free) makes each lower digit the
    bit field ``p*k .. p*k+p-1`` of the sum with its top bit inverted, and the MSB digit the
    sum shifted right by ``p*(S-1)``. ``wdata`` shows the row of slice ``slice`` for the
    serial writes. Without ``start`` the unit is a plain row buffer (the variant-3 commit
    copies rows through it unchanged).

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
    depth : int
        Pipeline registers (:func:`crs_pipeline_depth`).
    compute_cycles : int
        Cycles of one row's re-normalisation (``xbar_size + depth``).
    load_latency : int
        Cycles from ``load`` to the row holding the digits (1): ``wdata`` shows them then.
    """

    load_latency = 1

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
    def depth(self):
        return crs_pipeline_depth(self.config)

    @property
    def compute_cycles(self):
        return self.widths.n + self.depth

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        m = Module()
        dw, p, top = w.digit_bits, w.p, w.slices - 1
        # The row and the adder tree are data (no reset): a row is loaded by the serial reads
        # before it is shifted or written back; the tree registers at every cycle.
        buf = [Signal(w.n * dw, name=f"row_s{k}", reset_less=True) for k in range(w.slices)]
        count = Signal(range(self.compute_cycles + 1))
        m.d.comb += self.busy.eq(count != 0)

        # Adder tree over the bottom column's digits, offset by the rounding constant.
        offset = sum(1 << (p * k + p - 1) for k in range(top))
        terms = [buf[k][:dw].as_signed() << (p * k) for k in range(top)]
        terms.append(Cat(Const(offset, p * top), buf[top][:dw]).as_signed())
        level = 0
        while len(terms) > 1:
            summed = []
            for i in range(0, len(terms), 2):
                reg = Signal(signed(w.weight_sum_bits + 1), name=f"sum{level}_{i // 2}",
                             reset_less=True)
                m.d.sync += reg.eq(sum(terms[i:i + 2]))
                summed.append(reg)
            terms, level = summed, level + 1
        assert level == self.depth
        biased = terms[0]

        canon = []
        for k in range(w.slices):
            low, high = cfg.digit_range(k)
            if k == top:
                digit = Signal(signed(w.weight_sum_bits + 1 - p * top), name=f"raw_digit{k}")
                m.d.comb += digit.eq(biased[p * top:].as_signed())
            else:
                digit = Signal(signed(p), name=f"raw_digit{k}")
                m.d.comb += digit.eq(Cat(biased[p * k:p * k + p - 1], ~biased[p * k + p - 1]))
            clipped = Signal(signed(w.digit_bits), name=f"canon{k}")
            m.d.comb += clipped.eq(Mux(digit < low, low, Mux(digit > high, high, digit)))
            canon.append(clipped)

        # A load is registered (per slice, with the row) and lands a cycle later; the shift
        # enable is a flip-flop per slice too (`count != 0` a cycle ahead). Each row's enables
        # come from its own flip-flops, without the controller's decode (issue 20). A load
        # may land in the `start` cycle (the last slice's, then the shift starts after it).
        load = replicas(w.slices, name="load_s")
        shift = replicas(w.slices, name="shift_s")
        row = Signal.like(self.rdata.as_value(), name="load_row", reset_less=True)
        m.d.sync += row.eq(self.rdata.as_value())
        for k in range(w.slices):
            m.d.sync += load[k].eq(self.load & (self.slice == k))
            with m.If(load[k]):
                m.d.sync += buf[k].eq(row)
            with m.Elif(shift[k]):
                m.d.sync += buf[k].eq(Cat(buf[k][dw:], canon[k]))
        with m.If(self.start):
            m.d.sync += count.eq(self.compute_cycles)
            m.d.sync += [f.eq(1) for f in shift]
        with m.Elif(count != 0):
            m.d.sync += count.eq(count - 1)
            m.d.sync += [f.eq(count != 1) for f in shift]
        with m.Switch(self.slice):
            for k in range(w.slices):
                with m.Case(k):
                    m.d.comb += self.wdata.eq(buf[k])
        return m
