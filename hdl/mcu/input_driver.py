"""Input driver: sign-magnitude conversion and bit streaming (semantics §3)."""

from amaranth.hdl import Cat, Module, Signal, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.widths import McuWidths

__all__ = ["InputDriver"]


class InputDriver(wiring.Component):
    """Drives one side (rows or columns) of the crossbars from an XBar buffer snapshot.

    ``load`` snapshots ``words`` (word ``i`` at bit ``i * data_bits``) as signs and
    magnitudes (``-2**(data_bits-1)`` has magnitude ``2**(data_bits-1)``), one adder per
    word. Steps run in order: ``restart`` starts
    at step 0, ``advance`` moves to the next step. At step ``n`` the driver presents
    ``bits[i] = bit_n(|x_i|)`` and ``neg[i] = x_i < 0``; the drive is
    ``bits * (-1 if neg else +1)``. ``mag`` presents the snapshotted magnitudes (the OPA
    operand of the analog port: the analog half derives every OPA pulse from them).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    load, restart, advance : In(1)
    words : In(xbar_size * data_bits)
    bits : Out(xbar_size)
    neg : Out(xbar_size)
    mag : Out(ArrayLayout(unsigned(data_bits), xbar_size))
        ``|x_i|`` of the last ``load``.
    latency : int
        Cycles from ``load`` + ``restart`` to valid ``bits`` (one each).
    """

    latency = 2

    def __init__(self, *, config):
        self.widths = w = McuWidths(config)
        super().__init__({
            "load": In(1),
            "restart": In(1),
            "advance": In(1),
            "words": In(w.n * w.data_bits),
            "bits": Out(w.n),
            "neg": Out(w.n),
            "mag": Out(data.ArrayLayout(unsigned(w.data_bits), w.n)),
        })

    def elaborate(self, platform):
        w = self.widths
        db, n = w.data_bits, w.n
        m = Module()
        signs = Signal(n)
        m.d.comb += signs.eq(Cat(*[self.words[i * db + db - 1] for i in range(n)]))
        # |x| = (x XOR s) + s, one adder per word (one wide add would never carry across
        # words either, but would be one carry chain of xbar_size * data_bits on an FPGA).
        magnitudes = Signal(n * db)
        m.d.comb += magnitudes.eq(Cat(*[
            ((self.words[i * db:(i + 1) * db] ^ signs[i].replicate(db)) + signs[i])[:db]
            for i in range(n)]))
        # Data registers, no reset: `load` (every start) writes `mag`/`neg` and `restart`
        # (every sampling phase) `planes` before the analog half reads them (with `req`).
        mag = Signal(n * db, reset_less=True)
        neg = Signal(n, reset_less=True)
        with m.If(self.load):
            m.d.sync += [mag.eq(magnitudes), neg.eq(signs)]
        # Step n: bit n of every magnitude, kept as bit planes (plane k: bit k of every line),
        # so `bits` is the bottom plane and a step moves whole planes down, zeros in: the same
        # registers as one shifting magnitude per line, but nothing gathers `bits` bit by bit
        # at every cycle (Verilator evaluated 128 bit extracts per driver per cycle).
        mags = [mag[i * db:(i + 1) * db] for i in range(n)]
        planes = Signal(db * n, reset_less=True)
        with m.If(self.restart):
            m.d.sync += planes.eq(Cat(*[Cat(*[v[k] for v in mags]) for k in range(db)]))
        with m.Elif(self.advance):
            m.d.sync += planes.eq(planes[n:])
        m.d.comb += [self.bits.eq(planes[:n]), self.neg.eq(neg),
                     self.mag.as_value().eq(mag)]
        return m
