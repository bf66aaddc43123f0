"""Input driver: sign-magnitude conversion, bit streaming and OPA column chunks (semantics §3)."""

from amaranth.hdl import Cat, Const, Module, Signal, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import line_major
from panther.hdl.widths import McuWidths

__all__ = ["InputDriver"]


class InputDriver(wiring.Component):
    """Drives one side (rows or columns) of the crossbars from an XBar buffer snapshot.

    ``load`` snapshots ``words`` (word ``i`` at bit ``i * data_bits``) as signs and
    magnitudes (``-2**(data_bits-1)`` has magnitude ``2**(data_bits-1)``), computed for all
    words at once with one wide XOR and one wide add. Steps run in order: ``restart`` starts
    at step 0, ``advance`` moves to the next step. At step ``n`` the driver presents
    ``bits[i] = bit_n(|x_i|)`` and ``neg[i] = x_i < 0``; the drive is
    ``bits * (-1 if neg else +1)``. With ``opa_chunks`` it also presents ``|v_j| << n`` per
    column: ``chunks[j][k]`` (line-major, :func:`~panther.hdl.ports.line_major`) is the
    ``p``-bit pulse amplitude of slice ``k``, column ``j``. The polarity of an OPA pulse is
    ``row neg XOR column neg``.

    Parameters
    ----------
    config : PantherConfig
    opa_chunks : bool
        Also generate the OPA column chunks (the column-side driver).

    Members
    -------
    load, restart, advance : In(1)
    words : In(xbar_size * data_bits)
    bits : Out(xbar_size)
    neg : Out(xbar_size)
    chunks : Out(line_major(unsigned(nominal_bits), lines=xbar_size, slices=n_slices))
        Only with ``opa_chunks``.
    latency : int
        Cycles from ``load`` + ``restart`` to valid ``bits`` (one each).
    """

    latency = 2

    def __init__(self, *, config, opa_chunks=False):
        if not isinstance(opa_chunks, bool):
            raise TypeError(f"opa_chunks must be a bool, not {opa_chunks!r}")
        self.widths = w = McuWidths(config)
        self.opa_chunks = opa_chunks
        members = {
            "load": In(1),
            "restart": In(1),
            "advance": In(1),
            "words": In(w.n * w.data_bits),
            "bits": Out(w.n),
            "neg": Out(w.n),
        }
        if opa_chunks:
            members["chunks"] = Out(line_major(unsigned(w.p), lines=w.n, slices=w.slices))
        super().__init__(members)

    def elaborate(self, platform):
        w = self.widths
        db, n = w.data_bits, w.n
        m = Module()
        signs = Signal(n)
        m.d.comb += signs.eq(Cat(*[self.words[i * db + db - 1] for i in range(n)]))
        # |x| = (x XOR s) + s per word; |x| <= 2**(db-1) never carries into the next word.
        magnitudes = Signal(n * db)
        m.d.comb += magnitudes.eq(
            (self.words ^ Cat(*[signs[i].replicate(db) for i in range(n)]))
            + Cat(*[Cat(signs[i], Const(0, db - 1)) for i in range(n)]))
        mag = Signal(n * db)
        neg = Signal(n)
        with m.If(self.load):
            m.d.sync += [mag.eq(magnitudes), neg.eq(signs)]
        # Step n: each magnitude shifted right by n, in one narrow register per line.
        # (Narrow registers are single machine words in Verilator; shifting one wide vector
        # made it recompute the whole shift once per consumer field, every cycle.)
        mags = [mag[i * db:(i + 1) * db] for i in range(n)]
        current = [Signal(db, name=f"current{i}") for i in range(n)]
        with m.If(self.restart):
            m.d.sync += [c.eq(v) for c, v in zip(current, mags)]
        with m.Elif(self.advance):
            m.d.sync += [c.eq(c >> 1) for c in current]
        m.d.comb += [self.bits.eq(Cat(*[c[0] for c in current])), self.neg.eq(neg)]
        if self.opa_chunks:
            width = w.slices * w.p       # > 2*db - 2: |v| << (db-1) always fits
            shifted = [Signal(width, name=f"opa_shift{i}") for i in range(n)]
            with m.If(self.restart):
                m.d.sync += [sh.eq(v) for sh, v in zip(shifted, mags)]
            with m.Elif(self.advance):
                m.d.sync += [sh.eq(sh << 1) for sh in shifted]
            m.d.comb += [self.chunks[j].eq(sh) for j, sh in enumerate(shifted)]
        return m
