"""Input driver: sign-magnitude conversion, bit streaming and OPA column chunks (semantics §3)."""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .widths import component_widths, reject

__all__ = ["InputDriver"]


class InputDriver(wiring.Component):
    """Drives one side (rows or columns) of the crossbars from an XBar buffer snapshot.

    ``load`` snapshots ``words`` (word ``i`` at bit ``i * data_bits``) as signs and
    magnitudes (``-2**(data_bits-1)`` has magnitude ``2**(data_bits-1)``), computed for all
    words at once with one wide XOR and one wide add. Steps run in order: ``restart`` starts
    at step 0, ``advance`` moves to the next step. At step ``n`` the driver presents
    ``bits[i] = bit_n(|x_i|)`` and ``neg[i] = x_i < 0``; the drive is
    ``bits * (-1 if neg else +1)``. With ``opa_chunks`` it also presents ``|v_j| << n`` per
    column: ``chunks`` bits ``[j * W + p*k, j * W + p*(k+1))`` (``W = n_slices * p``) are the
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
    chunks : Out(xbar_size * n_slices * nominal_bits)
        Only with ``opa_chunks``.
    latency : int
        Cycles from ``load`` + ``restart`` to valid ``bits`` (one each).
    """

    latency = 2

    def __init__(self, *, config, opa_chunks=False):
        if not isinstance(opa_chunks, bool):
            reject(self)
            raise TypeError(f"opa_chunks must be a bool, not {opa_chunks!r}")
        self.widths = w = component_widths(self, config)
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
            members["chunks"] = Out(w.n * w.slices * w.p)
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
        # Step n: the whole vector shifted right by n. Bits of word i+1 enter word i at its
        # top and reach its LSB only after db shifts, i.e. never within the db steps, so no
        # mask is needed (a masked wide shift costs Verilator one full shift per mask word).
        current = Signal(n * db)
        with m.If(self.restart):
            m.d.sync += current.eq(mag)
        with m.Elif(self.advance):
            m.d.sync += current.eq(current >> 1)
        m.d.comb += [self.bits.eq(Cat(*[current[i * db] for i in range(n)])), self.neg.eq(neg)]
        if self.opa_chunks:
            width = w.slices * w.p       # > 2*db - 2: |v| << (db-1) never leaves its field
            shifted = Signal(n * width)
            with m.If(self.restart):
                m.d.sync += shifted.eq(Cat(*[Cat(mag[i * db:(i + 1) * db], Const(0, width - db))
                                             for i in range(n)]))
            with m.Elif(self.advance):
                m.d.sync += shifted.eq(shifted << 1)
            m.d.comb += self.chunks.eq(shifted)
        return m
