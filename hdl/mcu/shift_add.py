"""Shift-and-add: ADC rounds, full-width accumulation, one rounding and saturation (semantics §3)."""

from amaranth.hdl import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import line_major
from panther.hdl.widths import McuWidths

__all__ = ["ShiftAdd"]


class ShiftAdd(wiring.Component):
    """Combines the ADC codes of every step and slice into data words.

    ``load`` latches one step's held samples and the step number; ``codes[j][k]`` is the signed
    code of slice ``k``, column ``j`` (line-major). The ``adcs_per_xbar`` ADCs of each slice then convert
    them ``lanes`` columns per round, ``adc_latency`` cycles per round (``busy`` meanwhile);
    each round adds ``sum_k code[k, j] << (n + p*k + adc_lsb_shift)`` to the full-width
    accumulator of column ``j``, through a pipeline (:attr:`pipeline_depth` registers: the
    slice-combined codes, then their shift by the step) whose last stage is the accumulator
    itself, so a round's addition lands two cycles after its round ends; ``busy`` covers the
    rounds only, and the next step may load meanwhile. Hold and accumulator registers rotate
    by ``lanes`` per round, so no wide multiplexer is needed. ``clear`` resets the
    accumulators (to half a result LSB: the rounding offset). ``finish`` then (as soon as the last round has left the first stage, at
    most one cycle late: ``busy`` meanwhile) emits ``lanes`` results per cycle for ``rounds``
    cycles, each one cycle after its ``busy`` cycle (``res_*`` are registered): each
    accumulator rounded once
    (round half up by ``weight_frac_bits``) and saturated to a data word, with ``res_overflow``
    set when any of the round's words saturated.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    clear, load, finish : In(1)
    codes : In(line_major(signed(adc_code_bits), lines=xbar_size, slices=n_slices))
    step : In(step_bits)
    busy : Out(1)
        Converting (after ``load``) or emitting results (after ``finish``).
    res_valid : Out(1)
    res_round : Out(round_bits)
    res_data : Out(ArrayLayout(signed(data_bits), lanes))
    res_overflow : Out(1)
    conversion_cycles : int
        Cycles from ``load`` to the end of the step's conversion (``rounds * adc_latency``).
    finish_cycles : int
        Cycles of result emission (``rounds``).
    pipeline_depth : int
        Registers between a round's end and its accumulator update (2).
    """

    pipeline_depth = 2

    def __init__(self, *, config):
        self.config = config
        self.widths = w = McuWidths(config)
        super().__init__({
            "clear": In(1),
            "load": In(1),
            "codes": In(line_major(signed(w.code_bits), lines=w.n, slices=w.slices)),
            "step": In(w.step_bits),
            "busy": Out(1),
            "finish": In(1),
            "res_valid": Out(1),
            "res_round": Out(w.round_bits),
            "res_data": Out(data.ArrayLayout(signed(w.data_bits), w.lanes)),
            "res_overflow": Out(1),
        })

    @property
    def conversion_cycles(self):
        return self.widths.rounds * self.config.adc_latency

    @property
    def finish_cycles(self):
        return self.widths.rounds

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        m = Module()
        cb, ab = w.code_bits, w.acc_bits
        hold = Signal(self.codes.shape())         # line-major, lanes at the bottom
        # Column j at bits j * acc_bits. Each accumulator starts at half an LSB of the result
        # (round half up, added once), so that emission only shifts it.
        frac = cfg.weight_frac_bits
        half = (1 << (frac - 1)) if frac else 0
        cleared = sum(half << (j * ab) for j in range(w.n))
        acc = Signal(w.n * ab, init=cleared)
        step = Signal(w.step_bits)
        converting = Signal()
        finishing = Signal()
        finish_pending = Signal()
        round_ = Signal(w.round_bits)
        wait = Signal(range(max(cfg.adc_latency, 2)))
        m.d.comb += self.busy.eq(converting | finishing | finish_pending)

        def lane_acc(lane):
            return acc[lane * ab:(lane + 1) * ab].as_signed()

        # One round's terms in a two-stage pipeline: the slice-combined code of each lane
        # (registered with the step), then shifted by the step (registered); the third stage
        # adds it to the lane's accumulator while the accumulators rotate by `lanes`. The
        # slice combination is split: sums over groups of `group` slices are kept in step
        # with `hold` (computed from what `hold` is loaded with), so that the first stage
        # only adds the groups.
        group = 1 << max(0, (w.slices - 1).bit_length() - 1)
        starts = range(0, w.slices, group)
        part_bits = cb + w.p * (group - 1) + group.bit_length()
        parts = [[Signal(signed(part_bits), name=f"part{lane}_{g}") for g in starts]
                 for lane in range(w.lanes)]

        def group_sums(line):
            """Per group, sum of the line's codes shifted within the group."""
            return [sum(line[k] << (w.p * (k - g)) for k in range(g, min(g + group, w.slices)))
                    for g in starts]

        term_valid, shifted_valid = Signal(), Signal()
        term_step = Signal(w.step_bits)
        terms, shifted = [], []
        for lane in range(w.lanes):
            term = Signal(signed(w.term_bits), name=f"term{lane}")
            m.d.sync += term.eq(sum(part << (w.p * g) for part, g in zip(parts[lane], starts)))
            terms.append(term)
            sh = Signal(signed(ab), name=f"shifted{lane}")
            m.d.sync += sh.eq(term << (term_step + cfg.adc_lsb_shift))
            shifted.append(sh)
        updated = []
        for lane in range(w.lanes):
            new = Signal(signed(ab), name=f"updated{lane}")
            m.d.comb += new.eq(lane_acc(lane) + shifted[lane])
            updated.append(new)

        round_done = Signal()
        m.d.comb += round_done.eq(converting & (wait == cfg.adc_latency - 1))
        m.d.sync += [term_valid.eq(round_done), term_step.eq(step),
                     shifted_valid.eq(term_valid)]
        with m.If(shifted_valid):
            m.d.sync += acc.eq(Cat(acc[w.lanes * ab:], *updated))
        with m.If(self.load):
            m.d.sync += [step.eq(self.step), converting.eq(1), round_.eq(0), wait.eq(0),
                         hold.eq(self.codes)]
            for lane in range(w.lanes):
                m.d.sync += [p.eq(v) for p, v in zip(parts[lane], group_sums(self.codes[lane]))]
        with m.Elif(converting):
            with m.If(round_done):
                m.d.sync += [wait.eq(0), round_.eq(round_ + 1),
                             hold.eq(hold.as_value() >> (w.lanes * w.slices * cb))]
                for lane in range(w.lanes):
                    nxt = lane + w.lanes          # the line that moves to `lane`
                    values = group_sums(hold[nxt]) if nxt < w.n else [0] * len(starts)
                    m.d.sync += [p.eq(v) for p, v in zip(parts[lane], values)]
                with m.If(round_ == w.rounds - 1):
                    m.d.sync += converting.eq(0)
            with m.Else():
                m.d.sync += wait.eq(wait + 1)

        # Result emission: round half up once, saturate (registered: the results follow
        # `finishing` by one cycle), rotate the accumulators.
        low, high = -(1 << (w.data_bits - 1)), (1 << (w.data_bits - 1)) - 1
        overflow = []
        for lane in range(w.lanes):
            rounded = Signal(signed(w.acc_bits - frac), name=f"rounded{lane}")
            m.d.comb += rounded.eq(lane_acc(lane) >> frac)
            # In range iff the bits above the word only sign-extend it.
            top = rounded[w.data_bits - 1:]
            fits = Signal(name=f"fits{lane}")
            m.d.comb += fits.eq(top.all() | ~top.any())
            m.d.sync += self.res_data[lane].eq(
                Mux(fits, rounded[:w.data_bits], Mux(rounded[-1], low, high)))
            overflow.append(~fits)
        m.d.sync += [
            self.res_valid.eq(finishing),
            self.res_round.eq(round_),
            self.res_overflow.eq(finishing & Cat(*overflow).any()),
        ]
        # `finish` waits until the last round has left the term stage (its accumulator
        # update is then in this cycle's last stage): emission starts the cycle after.
        with m.If((self.finish | finish_pending) & ~converting & ~term_valid):
            m.d.sync += [finishing.eq(1), round_.eq(0), finish_pending.eq(0)]
        with m.Elif(self.finish):
            m.d.sync += finish_pending.eq(1)
        with m.If(finishing):
            m.d.sync += acc.eq(acc.rotate_right(w.lanes * ab))
            m.d.sync += round_.eq(round_ + 1)
            with m.If(round_ == w.rounds - 1):
                m.d.sync += finishing.eq(0)
        with m.If(self.clear):
            m.d.sync += acc.eq(cleared)
        return m
