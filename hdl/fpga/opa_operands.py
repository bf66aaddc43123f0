"""The OPA operand registers of the FPGA's digital crossbar (:mod:`.digital_crossbar`).

They hold the OPA's step registers, loaded from the MCU's operand (row ``i``: ``|x_i| >> s``,
column ``j``: ``|v_j| << s``, whose ``p``-bit chunk ``k`` pulses slice ``k``), and compute the
pulse of each cell of the swept row, registered with that row.
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu.replica import REPLICA
from panther.hdl.widths import McuWidths

__all__ = ["OpaOperands", "REPLICA"]


class OpaOperands(wiring.Component):
    """Step registers of one OPA and the pulse of each cell of the swept row.

    Outside an OPA (``hold`` low) the registers follow the operand every cycle; ``hold_set``
    (a cycle's pulse) holds them from the next cycle until ``hold_clr``; ``adv`` advances them
    one step in the next cycle (rows ``>> 1``, columns ``<< 1``). ``hold`` and ``adv`` are
    flip-flops replicated per column (:data:`REPLICA`): each enables its column's ~90
    flip-flops only.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    row_mag, col_mag : In(ArrayLayout(unsigned(data_bits), xbar_size))
        The MCU's operand magnitudes.
    col_neg : In(xbar_size)
        Column polarities.
    hold_set, hold_clr, adv : In(1)
    drive, drive_neg : In(n_slices)
        Drive bit and polarity of the row issued this cycle, one copy per slice (all equal:
        the caller's replicated flip-flops, each reaching its slice's pulses only).
    bits, bits_next : Out(xbar_size)
        Bit 0 (the current step's row drives) and bit 1 of the row registers.
    delta : Out(ArrayLayout(ArrayLayout(signed(p + 1), n_slices), xbar_size))
        ``delta[j][k]``: the pulse of the row issued in the previous cycle on column ``j``,
        slice ``k`` (0 if that row is not driven).
    """

    def __init__(self, *, config):
        w = self.widths = McuWidths(config)
        mags = data.ArrayLayout(w.data_bits, w.n)
        super().__init__({
            "row_mag": In(mags), "col_mag": In(mags), "col_neg": In(w.n),
            "hold_set": In(1), "hold_clr": In(1), "adv": In(1),
            "drive": In(w.slices), "drive_neg": In(w.slices), "bits": Out(w.n),
            "bits_next": Out(w.n),
            "delta": Out(data.ArrayLayout(data.ArrayLayout(signed(w.p + 1), w.slices), w.n))})

    def elaborate(self, platform):
        w = self.widths
        n, S, p = w.n, w.slices, w.p
        m = Module()
        # Data registers have no reset (issue 20: the reset's fan-out): outside an OPA they
        # follow the operand at every cycle, the pulses register at every cycle.
        xs = [Signal(w.data_bits, name=f"opa_x{i}", reset_less=True) for i in range(n)]
        vs = [Signal(S * p, name=f"opa_v{j}", reset_less=True) for j in range(n)]
        # The negated chunks of the column operand, registered with it (no negation on the
        # read-modify-write path).
        neg_chunks = [[Signal(signed(p + 1), name=f"opa_nv{j}_{k}", reset_less=True)
                       for k in range(S)] for j in range(n)]
        hold = [Signal(name=f"opa_hold{j}", attrs=REPLICA) for j in range(n)]
        adv = [Signal(name=f"opa_adv{j}", attrs=REPLICA) for j in range(n)]
        m.d.comb += [self.bits.eq(Cat(*[x[0] for x in xs])),
                     self.bits_next.eq(Cat(*[x[1] for x in xs]))]

        def load_v(j, value):
            m.d.sync += vs[j].eq(value)
            m.d.sync += [neg_chunks[j][k].eq(-value[k * p:(k + 1) * p]) for k in range(S)]

        for j in range(n):
            m.d.sync += [hold[j].eq(Mux(self.hold_set, 1, hold[j] & ~self.hold_clr)),
                         adv[j].eq(self.adv)]
            # Row j's and column j's registers on column j's replica.
            with m.If(~hold[j]):
                m.d.sync += xs[j].eq(self.row_mag[j])
                load_v(j, Cat(self.col_mag[j], Const(0, S * p))[:S * p])
            with m.Elif(adv[j]):
                m.d.sync += xs[j].eq(xs[j] >> 1)
                load_v(j, Cat(Const(0, 1), vs[j])[:S * p])
            # The pulse, registered every cycle (only the OPA's sweep writes it to a cell).
            for k in range(S):
                pos = vs[j][k * p:(k + 1) * p]
                pulse = Signal(signed(p + 1), name=f"opa_pulse{j}_{k}", reset_less=True)
                m.d.sync += pulse.eq(
                    Mux(self.drive[k],
                        Mux(self.drive_neg[k] ^ self.col_neg[j], neg_chunks[j][k], pos), 0))
                m.d.comb += self.delta[j][k].eq(pulse)
        return m
