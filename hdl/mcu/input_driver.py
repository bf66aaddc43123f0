"""Input driver: sign-magnitude conversion, bit streaming and OPA column chunks (semantics §3)."""

from amaranth.hdl import Cat, Const, Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .widths import component_widths, reject

__all__ = ["InputDriver"]


class InputDriver(wiring.Component):
    """Drives one side (rows or columns) of the crossbars from an XBar buffer snapshot.

    ``load`` snapshots ``words`` as sign and magnitude (``-2**(data_bits-1)`` has magnitude
    ``2**(data_bits-1)``). The magnitudes are held as bit planes (plane ``b`` = bit ``b`` of
    every word), so step ``n`` presents plane ``n`` as ``bits`` with one word select:
    ``bits[i] = bit_n(|x_i|)``, ``neg[i] = x_i < 0``, drive ``bits * (-1 if neg else +1)``.
    With ``opa_chunks``, the driver also holds the planes of ``|v_j| << n`` (``opa_restart``
    reloads ``|v_j|``, ``opa_advance`` shifts by one step) and presents them as ``chunks``:
    bit ``b`` of the ``p``-bit pulse amplitude of slice ``k``, column ``j`` is bit
    ``(k * p + b) * xbar_size + j``. The polarity of an OPA pulse is ``row neg XOR column neg``.

    Parameters
    ----------
    config : PantherConfig
    opa_chunks : bool
        Also generate the OPA column chunks (the column-side driver).

    Members
    -------
    load : In(1)
    words : In(ArrayLayout(signed(data_bits), xbar_size))
    step : In(step_bits)
    bits : Out(xbar_size)
    neg : Out(xbar_size)
    opa_restart, opa_advance : In(1)
        Only with ``opa_chunks``.
    chunks : Out(n_slices * nominal_bits * xbar_size)
        Only with ``opa_chunks``; bit planes as above.
    latency : int
        Cycles from ``load`` to valid ``bits`` (1).
    """

    latency = 1

    def __init__(self, *, config, opa_chunks=False):
        if not isinstance(opa_chunks, bool):
            reject(self)
            raise TypeError(f"opa_chunks must be a bool, not {opa_chunks!r}")
        self.widths = w = component_widths(self, config)
        self.opa_chunks = opa_chunks
        members = {
            "load": In(1),
            "words": In(data.ArrayLayout(signed(w.data_bits), w.n)),
            "step": In(w.step_bits),
            "bits": Out(w.n),
            "neg": Out(w.n),
        }
        if opa_chunks:
            members.update({
                "opa_restart": In(1),
                "opa_advance": In(1),
                "chunks": Out(w.slices * w.p * w.n),
            })
        super().__init__(members)

    def elaborate(self, platform):
        w = self.widths
        m = Module()
        mags = []
        for i in range(w.n):
            mag = Signal(unsigned(w.data_bits), name=f"abs{i}")
            m.d.comb += mag.eq(abs(self.words[i]))
            mags.append(mag)
        planes = Signal(w.data_bits * w.n)
        neg = Signal(w.n)
        with m.If(self.load):
            m.d.sync += [
                planes.eq(Cat(*[mag[b] for b in range(w.data_bits) for mag in mags])),
                neg.eq(Cat(*[self.words[i][-1] for i in range(w.n)])),
            ]
        m.d.comb += [self.bits.eq(planes.word_select(self.step, w.n)), self.neg.eq(neg)]
        if self.opa_chunks:
            shifted = Signal(w.slices * w.p * w.n)
            with m.If(self.opa_restart):
                m.d.sync += shifted.eq(planes)
            with m.Elif(self.opa_advance):
                m.d.sync += shifted.eq(Cat(Const(0, w.n), shifted[:-w.n]))
            m.d.comb += self.chunks.eq(shifted)
        return m
