"""Input driver: sign-magnitude conversion, bit streaming and OPA column chunks (semantics §3)."""

from amaranth.hdl import Module, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .widths import McuWidths, component_widths, reject

__all__ = ["InputDriver"]


class InputDriver(wiring.Component):
    """Drives one side (rows or columns) of the crossbars from an XBar buffer snapshot.

    ``load`` snapshots ``words`` as sign and magnitude (``-2**(data_bits-1)`` has magnitude
    ``2**(data_bits-1)``). Step ``n`` then presents ``bits[i] = bit_n(|x_i|)`` and
    ``neg[i] = x_i < 0``: the drive is ``bits * (-1 if neg else +1)``. With ``opa_chunks``,
    the driver also holds ``|v_j| << n`` in a shift register (``opa_restart`` reloads
    ``|v_j|``, ``opa_advance`` shifts by one step) and presents its ``p``-bit chunk ``k`` as
    the OPA pulse amplitude of slice ``k``: ``chunks[k * xbar_size + j]``; the polarity of an
    OPA pulse is ``row neg XOR column neg``.

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
    chunks : Out(ArrayLayout(unsigned(nominal_bits), n_slices * xbar_size))
        Only with ``opa_chunks``.
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
                "chunks": Out(data.ArrayLayout(unsigned(w.p), w.slices * w.n)),
            })
        super().__init__(members)

    def elaborate(self, platform):
        w = self.widths
        m = Module()
        for i in range(w.n):
            mag = Signal(unsigned(w.data_bits), name=f"mag{i}")
            neg = Signal(name=f"neg{i}")
            word = self.words[i]
            with m.If(self.load):
                m.d.sync += [mag.eq(abs(word)), neg.eq(word < 0)]
            m.d.comb += [self.bits[i].eq(mag.bit_select(self.step, 1)), self.neg[i].eq(neg)]
            if self.opa_chunks:
                shifted = Signal(unsigned(w.p * w.slices), name=f"opa_shift{i}")
                with m.If(self.opa_restart):
                    m.d.sync += shifted.eq(mag)
                with m.Elif(self.opa_advance):
                    m.d.sync += shifted.eq(shifted << 1)
                for k in range(w.slices):
                    m.d.comb += self.chunks[k * w.n + i].eq(shifted[w.p * k:w.p * (k + 1)])
        return m
