"""Shift-and-add: ADC rounds, full-width accumulation, one rounding and saturation (semantics §3)."""

from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import line_major
from panther.hdl.widths import McuWidths

from .replica import REPLICA

__all__ = ["ShiftAdd"]


class ShiftAdd(wiring.Component):
    """Combines the ADC codes of every step and slice into data words.

    ``load`` latches one step's held samples and the step number; ``codes[j][k]`` is the signed
    code of slice ``k``, column ``j`` (line-major). The ``adcs_per_xbar`` ADCs of each slice then convert
    them ``lanes`` columns per round, ``adc_latency`` cycles per round (``busy`` meanwhile);
    each round adds ``sum_k code[k, j] << (n + p*k + adc_lsb_shift)`` to the full-width
    accumulator of column ``j``, through a pipeline (:attr:`pipeline_depth` registers: the
    slice-combined codes, then their shift by the step) whose last stage is the accumulator
    write, so a round's addition lands two cycles after its round ends; ``busy`` covers the
    rounds only, and the next step may load meanwhile.

    Nothing wide moves per round: the held codes of rounds 2 and later are a register loaded
    once per ``load`` (one row per round), whose row for the next round is selected into a
    register at each round's end (round 1's lines have their own register); the accumulators are a memory of
    ``rounds`` rows of ``lanes`` accumulators, read two cycles ahead of their update (a
    synchronous read port, then a register) and written in place. ``clear`` resets the
    accumulators (to half a result LSB: the rounding offset) by marking every row fresh: a
    fresh row reads as the offset. ``finish`` then (as soon as the last round has left the
    first stage, at most one cycle late: ``busy`` meanwhile) emits ``lanes`` results per cycle
    for ``rounds`` cycles, each one cycle after its ``busy`` cycle (``res_*`` are registered):
    each accumulator rounded once (round half up by ``weight_frac_bits``) and saturated to a
    data word, with ``res_overflow`` set when any of the round's words saturated.

    Only the control state has a reset (``busy``, ``res_valid``, the round and wait counters,
    the valid bits of the stages, the fresh rows): every data register is written before it
    is read (the held codes and the step at ``load``, the stages under their valid bits, the
    results under ``res_valid``), so it needs none (issue 20: the reset's fan-out).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    clear, finish : In(1)
        ``clear`` comes with no round in the pipeline (none since ``finish`` was last taken)
        and without ``finish``: the accumulators reach the updates and the results as the
        offset from the cycle after the next (the base registers select a cycle ahead).
    load : In(lanes)
        One copy per lane, all equal (replicated flip-flops of the controller, each enabling
        its lane's held codes and group sums); ``load[0]`` also starts the conversion.
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
    #: Most base-register bits under one copy of their selections (``bypass``/``offset``).
    _select_fanout = 32

    def __init__(self, *, config):
        self.config = config
        self.widths = w = McuWidths(config)
        super().__init__({
            "clear": In(1),
            "load": In(w.lanes),
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

    def _lines(self, row):
        """Per lane of a round's flat row (line-major, lanes at the bottom), its signed codes."""
        w = self.widths
        line = w.slices * w.code_bits
        return [[row[lane * line + k * w.code_bits:][:w.code_bits].as_signed()
                 for k in range(w.slices)] for lane in range(w.lanes)]

    def _held_rows(self, m, round_, round_done):
        """The codes of the round after the current one, as a flat row valid at its
        ``round_done`` (round 1: a register loaded with ``load``; rounds 2 on: a register of
        their rows, loaded with ``load``, whose row is selected at the previous
        ``round_done`` into a register), or None with a single round."""
        w = self.widths
        flat = Value.cast(self.codes)
        row_bits = w.lanes * w.slices * w.code_bits
        if w.rounds < 2:
            return None
        line = w.slices * w.code_bits

        def load_lanes(reg, first, rows):
            """``reg`` <- rows ``first`` .. ``first + rows - 1`` of the codes, each lane under
            its copy of ``load``."""
            for r in range(rows):
                for lane in range(w.lanes):
                    at = r * row_bits + lane * line
                    with m.If(self.load[lane]):
                        m.d.sync += reg[at:at + line].eq(flat[first * row_bits + at:][:line])

        second = Signal(row_bits, reset_less=True)
        load_lanes(second, 1, 1)
        if w.rounds == 2:
            return second
        # Not a memory: Verilator keeps a pending value and flag per write port and clears
        # them at every edge (one port per row here); a register loaded in one piece costs a
        # test when idle, and the row is picked through a tree of small selections.
        held = Signal((w.rounds - 2) * row_bits, reset_less=True)   # row r: round r + 2
        load_lanes(held, 2, w.rounds - 2)
        following = Signal(row_bits, reset_less=True)
        with m.If(round_done & (round_ < w.rounds - 2)):
            m.d.sync += following.eq(_pick(held, round_, row_bits, w.rounds - 2))
        return Mux(round_ == 0, second, following)

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        m = Module()
        cb, ab = w.code_bits, w.acc_bits
        frac = cfg.weight_frac_bits
        half = (1 << (frac - 1)) if frac else 0
        step = Signal(w.step_bits, reset_less=True)
        converting = Signal()
        finishing = Signal()
        finish_pending = Signal()
        round_ = Signal(w.round_bits)
        wait = Signal(range(max(cfg.adc_latency, 2)))
        m.d.comb += self.busy.eq(converting | finishing | finish_pending)
        # `round_done` (converting & wait == adc_latency - 1) is a flip-flop set a cycle ahead
        # from the next values of `converting` and `wait` (below), with copies per lane and
        # slice group (`done{lane}_{g}`) for the clock enables of the group sums and the lane's
        # term: no decode of `wait` before their fan-out.
        round_done = Signal()
        group = 1 << max(0, (w.slices - 1).bit_length() - 1)
        starts = range(0, w.slices, group)
        done_rep = [[Signal(name=f"done{lane}_{g}", attrs=REPLICA) for g in starts]
                    for lane in range(w.lanes)]
        done_next = Signal()
        m.d.sync += [q.eq(done_next) for q in (round_done, *(d for ds in done_rep for d in ds))]

        # One round's terms in a two-stage pipeline: the slice-combined code of each lane
        # (registered with the step), then shifted by the step (registered); the third stage
        # adds it to the lane's accumulator. The slice combination is split: sums over groups
        # of `group` slices are registered from the round's lines (`load`: round 0 from the
        # codes; each round's end: the next round's held lines), so that the first stage
        # only adds the groups.
        part_bits = cb + w.p * (group - 1) + group.bit_length()
        parts = [[Signal(signed(part_bits), name=f"part{lane}_{g}", reset_less=True)
                  for g in starts]
                 for lane in range(w.lanes)]

        def group_sums(line):
            """Per group, sum of the line's codes shifted within the group."""
            return [sum(line[k] << (w.p * (k - g)) for k in range(g, min(g + group, w.slices)))
                    for g in starts]

        def load_parts(lane, row, gs=None):
            line = self._lines(row)[lane]
            for i, (p, v) in enumerate(zip(parts[lane], group_sums(line))):
                if gs is None or i in gs:
                    m.d.sync += p.eq(v)

        # The stages load only with a round in them (`round_done`, then `term_valid`): a term
        # and its shift are read only when valid, and Verilator recomputed the wide shift at
        # every cycle.
        term_valid, shifted_valid = Signal(), Signal()
        term_step = Signal(w.step_bits, reset_less=True)
        shifted = []
        for lane in range(w.lanes):
            term = Signal(signed(w.term_bits), name=f"term{lane}", reset_less=True)
            with m.If(done_rep[lane][0]):
                m.d.sync += term.eq(sum(part << (w.p * g) for part, g in zip(parts[lane], starts)))
            sh = Signal(signed(ab), name=f"shifted{lane}", reset_less=True)
            with m.If(term_valid):
                m.d.sync += sh.eq(term << (term_step + cfg.adc_lsb_shift))
            shifted.append(sh)
        m.d.sync += [term_valid.eq(round_done), term_step.eq(step),
                     shifted_valid.eq(term_valid)]

        following = self._held_rows(m, round_, round_done)
        for lane in range(w.lanes):             # each lane's data under its copy of `load`
            for i in range(len(starts)):        # and each group's under its `round_done`
                with m.If(self.load[lane]):
                    load_parts(lane, Value.cast(self.codes), [i])
                if following is not None:
                    with m.Elif(done_rep[lane][i]):
                        load_parts(lane, following, [i])
        last_wait = cfg.adc_latency - 1
        with m.If(self.load[0]):
            m.d.sync += [step.eq(self.step), converting.eq(1), round_.eq(0), wait.eq(0)]
            m.d.comb += done_next.eq(last_wait == 0)
        with m.Elif(converting):
            with m.If(round_done):
                m.d.sync += [wait.eq(0), round_.eq(round_ + 1)]
                m.d.comb += done_next.eq((last_wait == 0) & (round_ != w.rounds - 1))
                with m.If(round_ == w.rounds - 1):
                    m.d.sync += converting.eq(0)
            with m.Else():
                m.d.sync += wait.eq(wait + 1)
                m.d.comb += done_next.eq(wait + 1 == last_wait)

        # `finish` waits until the last round has left the term stage (its accumulator
        # update is then in this cycle's last stage): emission starts the cycle after.
        start_finish = Signal()
        m.d.comb += start_finish.eq((self.finish | finish_pending) & ~converting & ~term_valid)
        with m.If(start_finish):
            m.d.sync += [finishing.eq(1), round_.eq(0), finish_pending.eq(0)]
        with m.Elif(self.finish):
            m.d.sync += finish_pending.eq(1)
        with m.If(finishing):
            m.d.sync += round_.eq(round_ + 1)
            with m.If(round_ == w.rounds - 1):
                m.d.sync += finishing.eq(0)

        base = self._accumulators(m, round_, round_done, finishing, start_finish, shifted,
                                  term_valid, shifted_valid, half)

        # Result emission: round half up once (the offset is in the accumulator), saturate
        # (registered: the results follow `finishing` by one cycle).
        low, high = -(1 << (w.data_bits - 1)), (1 << (w.data_bits - 1)) - 1
        overflow = []
        for lane in range(w.lanes):
            rounded = Signal(signed(w.acc_bits - frac), name=f"rounded{lane}")
            m.d.comb += rounded.eq(base[lane] >> frac)
            # In range iff the bits above the word only sign-extend it.
            top = rounded[w.data_bits - 1:]
            fits = Signal(name=f"fits{lane}")
            m.d.comb += fits.eq(top.all() | ~top.any())
            word = Signal(signed(w.data_bits), name=f"res_word{lane}", reset_less=True)
            m.d.sync += word.eq(Mux(fits, rounded[:w.data_bits], Mux(rounded[-1], low, high)))
            m.d.comb += self.res_data[lane].eq(word)
            overflow.append(~fits)
        m.d.sync += [
            self.res_valid.eq(finishing),
            self.res_round.eq(round_),
            self.res_overflow.eq(finishing & Cat(*overflow).any()),
        ]
        return m

    def _accumulators(self, m, round_, round_done, finishing, start_finish, shifted,
                      term_valid, shifted_valid, half):
        """The accumulator memory; returns ``base``, per lane the accumulator of the row read
        two cycles before (a row's value after every write up to the previous cycle).

        A row is read at its round's end for the update two cycles later, and during emission
        two cycles ahead of its result: row 0 the cycle before ``finish`` is taken (the idle
        read address), row 1 when it is, row ``r + 2`` while emitting row ``r``."""
        w = self.widths
        ab = w.acc_bits
        m.submodules.acc = acc = memory.Memory(shape=unsigned(w.lanes * ab), depth=w.rounds,
                                               init=[])
        write = acc.write_port()
        read = acc.read_port(transparent_for=(write,))
        addr = Signal.like(round_, name="acc_addr", reset_less=True)
        write_addr = Signal.like(round_, name="acc_write_addr", reset_less=True)
        ahead = round_ + 2
        with m.If(round_done):
            m.d.comb += read.addr.eq(round_)
        with m.Elif(finishing & (ahead < w.rounds)):
            m.d.comb += read.addr.eq(ahead)
        with m.Elif(start_finish & (w.rounds > 1)):
            m.d.comb += read.addr.eq(1)
        m.d.sync += [addr.eq(read.addr), write_addr.eq(addr)]

        # Fresh rows (cleared, not yet written) read as the rounding offset. The written row's
        # bit is cleared through a mask, not a per-bit write: Verilator tested each of the
        # `rounds` bits' enables at every cycle, idle or not.
        fresh = Signal(w.rounds, init=(1 << w.rounds) - 1)
        fresh_next = Signal(w.rounds)
        with m.If(self.clear):
            m.d.comb += fresh_next.eq((1 << w.rounds) - 1)
        with m.Elif(shifted_valid):
            m.d.comb += fresh_next.eq(fresh & ~(Const(1, w.rounds) << write_addr)[:w.rounds])
        with m.Else():
            m.d.comb += fresh_next.eq(fresh)
        m.d.sync += fresh.eq(fresh_next)
        # The base registers' selections are flip-flops set a cycle ahead, from the next
        # values of the read row (`read.addr`), the written row (`addr`), `shifted_valid`
        # (`term_valid`) and `fresh`, with a copy per lane and `chunk` bits (REPLICA): no
        # decode and one local flip-flop before their fan-out. `bypass`: the write of this
        # cycle is to the row whose read is on the port now, and is not in it; `offset`: the
        # row is fresh (read as the offset) and not being written. `clear` takes effect on
        # the base registers a cycle later, through `fresh` (it comes with an empty pipeline).
        bypass_next, offset_next = Signal(), Signal()
        m.d.comb += [bypass_next.eq(term_valid & (addr == read.addr)),
                     offset_next.eq(fresh_next.bit_select(read.addr, 1) & ~bypass_next)]
        chunks = -(-ab // self._select_fanout)
        chunk = -(-ab // chunks)
        bypass = [[Signal(name=f"bypass{lane}_{c}", attrs=REPLICA) for c in range(chunks)]
                  for lane in range(w.lanes)]
        offset = [[Signal(name=f"offset{lane}_{c}", init=1, attrs=REPLICA)
                   for c in range(chunks)] for lane in range(w.lanes)]
        m.d.sync += [q.eq(bypass_next) for qs in bypass for q in qs]
        m.d.sync += [q.eq(offset_next) for qs in offset for q in qs]

        base, updated = [], []
        for lane in range(w.lanes):
            b = Signal(signed(ab), name=f"base{lane}", reset_less=True)
            new = Signal(signed(ab), name=f"updated{lane}")
            m.d.comb += new.eq(b + shifted[lane])
            stored = read.data[lane * ab:(lane + 1) * ab]
            halves = Const(half, ab)
            for c in range(chunks):
                bits = slice(c * chunk, min((c + 1) * chunk, ab))
                m.d.sync += b[bits].eq(Mux(offset[lane][c], halves[bits],
                                           Mux(bypass[lane][c], new[bits], stored[bits])))
            base.append(b)
            updated.append(new)
        m.d.comb += [write.addr.eq(write_addr), write.en.eq(shifted_valid),
                     write.data.eq(Cat(*updated))]
        return base


def _pick(vector, index, item_bits, count):
    """Item ``index`` of the ``count`` items of ``item_bits`` in ``vector`` (item 0 at the
    bottom), through selections of at most 16 groups each (a group of items, then an item),
    not one shift of the whole vector (which Verilator computes word by word)."""
    bits = (count - 1).bit_length()
    low = 0 if bits <= 4 else max(3, bits - 4)    # index bits below this level's choice
    size = (1 << low) * item_bits                 # bits per choice
    choices = []
    for start in range(0, count * item_bits, size):
        piece = vector[start:start + size]
        choices.append(Cat(piece, Const(0, size - len(piece))) if len(piece) < size else piece)
    chosen = Array(choices)[index[low:]] if len(choices) > 1 else choices[0]
    return chosen if low == 0 else _pick(chosen, index[:low], item_bits, 1 << low)
