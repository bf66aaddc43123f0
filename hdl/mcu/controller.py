"""MCU controller: sequences MVM, MTVM, OPA, serial read/write, CRS and the variant-3 commit."""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import enum, wiring
from amaranth.lib.wiring import In, Out

from panther.config import Variant
from panther.hdl.ports import AnalogOp
from panther.hdl.widths import McuWidths
from panther.isa import variants
from panther.isa.variants import phases

from .carry_resolution import crs_pipeline_depth
from .replica import replicas

__all__ = ["McuOp", "AnalogOp", "Controller", "phases", "analytic_cycles", "rtl_cycles",
           "opa_latency", "transaction_latency", "crs_cycles", "commit_cycles"]


class McuOp(enum.Flag, shape=3):
    """Bits of an MCU start mask (one ``mcu`` instruction mask of semantics §4)."""
    MVM = 1
    MTVM = 2
    OPA = 4


def analytic_cycles(config, mask):
    """Analytic cycle count of a start request: per phase, ``input_steps`` steps each
    converting ``xbar_size`` values with ``adcs_per_xbar`` ADCs of ``adc_latency`` cycles,
    plus the pipeline latency of one result pass (``xbar_size / adcs_per_xbar`` cycles);
    an OPA-only phase costs one cycle per step (no ADC)."""
    w = McuWidths(config)
    total = 0
    for phase in phases(config, mask):
        if any(b in (1, 2) for b in phase):
            total += w.steps * w.rounds * config.adc_latency + w.rounds
        else:
            total += w.steps
    return total


def opa_latency(config, *, ack_latency=1, step_cycles=1):
    """Cycles from ``req`` rising to ``ack`` of an OPA-phase transaction (an OPA alone) when
    the analog half answers other transactions ``ack_latency`` cycles after ``req`` rises: it
    applies one step every ``step_cycles`` cycles from the cycle ``req`` rises, so an ideal
    analog half (``ack_latency = 1``, ack in the cycle ``req`` rises, one step per cycle)
    acknowledges in the cycle of the last step, ``input_steps`` cycles after ``req`` rose;
    every cycle more of answer latency delays it as much, every cycle more per step
    ``input_steps`` times."""
    return config.input_steps * step_cycles + ack_latency - 1


def rtl_cycles(config, mask, *, ack_latency=1, latencies=None):
    """Exact cycles from the ``start`` strobe to the ``done`` pulse of an :class:`MCU` when the
    analog half answers each sampling request ``ack_latency`` cycles after ``analog.req`` rises
    (the MCU's capture register adds one cycle to every such transaction) and an OPA phase
    :func:`opa_latency` cycles after (its ``ack`` needs no capture: it carries no data).

    ``latencies`` (``{AnalogOp or its name: cycles}``, e.g. from
    ``analog_models.analog_latency.latency_cycles``) gives the answer latency per operation
    instead: a sampling transaction with several operations (variants 2-3) waits for the
    longest, as ``cosim.analog_answer.AnalogAnswer`` answers it, and an OPA phase takes
    ``latencies[OPA]`` cycles per step."""
    w = McuWidths(config)
    total = 1
    for phase in phases(config, mask):
        if any(b in (1, 2) for b in phase):
            a = transaction_latency(phase, ack_latency=ack_latency, latencies=latencies) + 1
            # PHASE, steps (ISSUE, WAIT, ADC rounds, CONV exit), FIN, FIN_WAIT, END_PHASE
            total += 1 + w.steps * (1 + a + w.rounds * config.adc_latency + 1) \
                + 1 + w.rounds + 1 + 1
        elif latencies is None:
            # OPA_WAIT from the cycle after the start (or after END_PHASE) until ack
            total += opa_latency(config, ack_latency=ack_latency)
        else:
            step = transaction_latency(phase, latencies=latencies)
            total += opa_latency(config, step_cycles=step)
    return total


def _serial_cycles(config, *, ack_latency, latencies):
    """Cycles of one serial row read and one serial row write: issue, answer, capture."""
    read = transaction_latency([AnalogOp.READ], ack_latency=ack_latency, latencies=latencies)
    write = transaction_latency([AnalogOp.WRITE], ack_latency=ack_latency, latencies=latencies)
    return 2 + read, 2 + write


def crs_cycles(config, *, ack_latency=1, latencies=None):
    """Exact cycles from the ``crs`` strobe to the ``done`` pulse of an :class:`MCU`: per row,
    ``n_slices`` serial reads and as many writes (each one cycle of issue, the answer
    latency and one of capture), the re-normalisation (``xbar_size +``
    :func:`~hdl.mcu.carry_resolution.crs_pipeline_depth` cycles, plus one to start it and
    one to see it end); plus the strobe cycle. ``ack_latency`` / ``latencies`` as in
    :func:`rtl_cycles`."""
    read, write = _serial_cycles(config, ack_latency=ack_latency, latencies=latencies)
    n, s = config.xbar_size, config.n_slices
    return 1 + n * (s * (read + write) + n + crs_pipeline_depth(config) + 2)


def commit_cycles(config, *, ack_latency=1, latencies=None):
    """Exact cycles from the ``commit`` strobe to ``done`` of a variant-3 :class:`MCU` (a
    no-op answered in one cycle on variants 1-2): per row ``n_slices`` serial reads and
    writes, plus the strobe cycle."""
    if not variants.eager_updates(config):
        return 1
    read, write = _serial_cycles(config, ack_latency=ack_latency, latencies=latencies)
    return 1 + config.xbar_size * config.n_slices * (read + write)


def transaction_latency(ops, *, ack_latency=1, latencies=None):
    """Answer latency (cycles from ``req`` rising to ``ack``) of one transaction with the
    :class:`AnalogOp` bits ``ops`` (an iterable of flags or their values): ``ack_latency``,
    or the longest of ``latencies`` (``{AnalogOp or its name: cycles}``) over ``ops``."""
    if latencies is None:
        return ack_latency
    by_value = {}
    for op, cycles in latencies.items():
        flag = AnalogOp[op] if isinstance(op, str) else AnalogOp(op)
        if not (isinstance(cycles, int) and not isinstance(cycles, bool) and cycles >= 1):
            raise ValueError(f"latency of {flag.name} must be an integer >= 1, not {cycles!r}")
        by_value[flag.value] = cycles
    values = [AnalogOp(op).value for op in ops]
    missing = [AnalogOp(v).name for v in values if v not in by_value]
    if missing:
        raise ValueError(f"latencies must give {missing}, not only {sorted(by_value)}")
    return max(by_value[v] for v in values)


class Controller(wiring.Component):
    """Sequencer of one MCU.

    Requests (accepted only while idle, i.e. ``busy`` low): ``start`` with ``start_mask``
    (:class:`McuOp` bits), ``crs`` (carry resolution of the copy that learns) and ``commit``
    (variant 3: copy the third crossbar to the first two; a no-op on variants 1-2). ``done``
    pulses for one cycle when a request completes.

    A start request snapshots both XBar buffers into the input drivers first (every operand is
    read before any result is written), then runs its phases (see :func:`phases`). A sampling
    phase runs ``input_steps`` steps; each step is one analog transaction (``req`` until
    ``ack``) followed by the ADC rounds of the shift-and-add units; after the last step the
    results are written back (MVM -> XBarOut, MTVM -> XBarIn). An OPA-only phase is ONE
    transaction carrying the whole operand (the analog half applies the steps), issued in the
    cycle after the start (or after the previous phase) and ended by ``ack_now``, the
    analog port's ``ack`` itself: ``done`` pulses in the next cycle.

    Copies: MVM uses copy 0; MTVM copy 1 on variants 2-3 (0 on variant 1); OPA updates copy 0
    (variant 1), copies 0 and 1 (variant 2) or copy 2 (variant 3). CRS reads copy 0 (2 on
    variant 3) row by row, one serial read per slice, re-normalises the row and writes it back
    to the same copies as OPA. The commit reads copy 2 and writes copies 0 and 1.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    start : In(1)
    start_mask : In(McuOp)
    crs, commit : In(1)
    busy, done : Out(1)
    drv_load, drv_restart : Out(1)
    drv_advance : Out(2)
        Input driver strobes (snapshot, back to step 0, next step: one per driver, rows and
        columns, equal).
    step : Out(step_bits)
    sa_clear, sa_finish_mvm, sa_finish_mtvm : Out(1)
    sa_load_mvm, sa_load_mtvm : Out(lanes)
        One flip-flop per lane of the shift-and-add units, all equal (:data:`hdl.mcu.replica.REPLICA`).
    sa_busy_mvm, sa_busy_mtvm : In(1)
        Shift-and-add control.
    crs_load, crs_start : Out(1)
    crs_busy : In(1)
        Carry-resolution row unit control.
    req : Out(1)
    ack : In(1)
        The analog port's ``ack`` through the MCU's capture register.
    ack_now : In(1)
        The analog port's ``ack`` itself (ends an OPA phase, which returns no data).
    op : Out(AnalogOp)
    slice : Out(slice_index_bits)
    row : Out(index_bits)
    mvm_copy, mtvm_copy, read_copy : Out(copy_bits)
    opa_copies, write_copies : Out(xbar_copies)
        Analog transaction fields.
    """

    def __init__(self, *, config):
        self.config = config
        self.widths = w = McuWidths(config)
        super().__init__({
            "start": In(1), "start_mask": In(McuOp), "crs": In(1), "commit": In(1),
            "busy": Out(1), "done": Out(1),
            "drv_load": Out(1), "drv_restart": Out(1), "drv_advance": Out(2),
            "step": Out(w.step_bits),
            "sa_clear": Out(1), "sa_load_mvm": Out(w.lanes), "sa_load_mtvm": Out(w.lanes),
            "sa_finish_mvm": Out(1), "sa_finish_mtvm": Out(1),
            "sa_busy_mvm": In(1), "sa_busy_mtvm": In(1),
            "crs_load": Out(1), "crs_start": Out(1), "crs_busy": In(1),
            "req": Out(1), "ack": In(1), "ack_now": In(1), "op": Out(AnalogOp),
            "slice": Out(w.slice_index_bits), "row": Out(w.index_bits),
            "mvm_copy": Out(w.copy_bits), "mtvm_copy": Out(w.copy_bits),
            "read_copy": Out(w.copy_bits),
            "opa_copies": Out(w.copies), "write_copies": Out(w.copies),
        })

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        v = cfg.variant
        m = Module()
        remaining = Signal(3)
        cur = Signal(3)
        canon = Signal()
        req = Signal()
        m.d.comb += self.req.eq(req)

        opa_mask = sum(1 << c for c in variants.opa_copies(cfg))
        commit_mask = sum(1 << c for c in variants.COMMIT_WRITE_COPIES)
        m.d.comb += [
            self.mvm_copy.eq(variants.mvm_copy(cfg)),
            self.mtvm_copy.eq(variants.mtvm_copy(cfg)),
            self.opa_copies.eq(opa_mask),
        ]
        sampling = Signal()
        m.d.comb += sampling.eq(cur[0] | cur[1])

        # The next phase out of `remaining`.
        nxt = Signal(3)
        if v == Variant.SGD:
            with m.If(remaining[0]):
                m.d.comb += nxt.eq(1)
            with m.Elif(remaining[1]):
                m.d.comb += nxt.eq(2)
            with m.Else():
                m.d.comb += nxt.eq(remaining & 4)
        elif v == Variant.MINI_BATCH:
            with m.If(remaining[:2].any()):
                m.d.comb += nxt.eq(remaining & 3)
            with m.Else():
                m.d.comb += nxt.eq(remaining & 4)
        else:
            m.d.comb += nxt.eq(remaining)

        # `idle` is the IDLE state as a flip-flop (cleared when a request leaves IDLE, set
        # when one ends): the drivers' snapshot enable (`drv_load`, a clock enable of
        # hundreds of flip-flops) is `start` and `idle`, two flip-flops, without the decode
        # of the mask or the state (issue 20). A start with an empty mask snapshots too, and
        # uses nothing of it.
        idle = Signal(init=1)
        m.d.comb += [self.drv_load.eq(self.start & idle), self.busy.eq(~idle)]

        def leave_idle(state):
            m.d.sync += idle.eq(0)
            m.next = state

        def end_request():
            m.d.sync += [self.done.eq(1), idle.eq(1)]
            m.next = "IDLE"

        def issue_opa():
            """Raise the request of an OPA phase (the whole operand) for the next cycle."""
            m.d.sync += [req.eq(1), remaining.eq(0), self.step.eq(0)]
            leave_idle("OPA_WAIT")

        m.d.sync += self.done.eq(0)
        # PHASE as flip-flops set on the way into it (one per use): the shift-and-add units'
        # `clear` and the drivers' `restart` (enables of hundreds of flip-flops) without the
        # state's decode.
        phase = replicas(2, name="phase")
        m.d.sync += [f.eq(0) for f in phase]
        m.d.comb += [self.sa_clear.eq(phase[0]), self.drv_restart.eq(phase[1])]

        # WAIT as flip-flops too, one per driver (set in ISSUE, cleared when WAIT ends): the
        # drivers' `advance` (WAIT and `ack`) is two flip-flops.
        waiting = replicas(2, name="waiting")
        m.d.comb += self.drv_advance.eq(Cat(*waiting) & self.ack.replicate(2))

        def enter_phase():
            m.d.sync += [f.eq(1) for f in phase]
            m.next = "PHASE"

        # The shift-and-add load strobes (a clock enable of hundreds of flip-flops) come from a
        # register: set when the answer's `ack_now` rises in WAIT, i.e. in the cycle WAIT sees
        # the captured `ack` (``ack`` is ``ack_now`` one cycle later), with no decode after it.
        # One replica per lane, each enabling its lane's registers only.
        load_mvm = replicas(w.lanes, name="sa_load_mvm")
        load_mtvm = replicas(w.lanes, name="sa_load_mtvm")
        m.d.sync += [f.eq(0) for f in load_mvm + load_mtvm]
        m.d.comb += [self.sa_load_mvm.eq(Cat(*load_mvm)), self.sa_load_mtvm.eq(Cat(*load_mtvm))]
        # FIN as flip-flops too (set on the way into it): `finish` without the state's decode.
        fin = replicas(2, name="sa_finish")
        m.d.sync += [f.eq(0) for f in fin]
        m.d.comb += [self.sa_finish_mvm.eq(fin[0]), self.sa_finish_mtvm.eq(fin[1])]
        with m.FSM():
            with m.State("IDLE"):
                with m.If(self.start & (self.start_mask.as_value() == McuOp.OPA.value)):
                    # OPA alone (one OPA-only phase on every variant): one transaction.
                    issue_opa()
                with m.Elif(self.start & (self.start_mask.as_value() != 0)):
                    m.d.sync += remaining.eq(self.start_mask.as_value())
                    leave_idle("PHASE")
                    enter_phase()
                with m.Elif(self.crs):
                    m.d.sync += [self.read_copy.eq(variants.crs_read_copy(cfg)),
                                 self.write_copies.eq(opa_mask), canon.eq(1),
                                 self.row.eq(0), self.slice.eq(0)]
                    leave_idle("SR_ISSUE")
                with m.Elif(self.commit):
                    if variants.eager_updates(cfg):
                        m.d.sync += [self.read_copy.eq(variants.COMMIT_READ_COPY),
                                     self.write_copies.eq(commit_mask),
                                     canon.eq(0), self.row.eq(0), self.slice.eq(0)]
                        leave_idle("SR_ISSUE")
                    else:
                        m.d.sync += self.done.eq(1)
                with m.Elif(self.start):
                    m.d.sync += self.done.eq(1)
            with m.State("PHASE"):
                m.d.sync += [cur.eq(nxt), remaining.eq(remaining & ~nxt), self.step.eq(0)]
                m.next = "ISSUE"
            with m.State("ISSUE"):
                m.d.sync += [req.eq(1), *[f.eq(1) for f in waiting]]
                m.next = "WAIT"
            with m.State("WAIT"):
                m.d.comb += self.op.as_value().eq(cur)
                with m.If(self.ack_now & ~self.ack):
                    m.d.sync += [f.eq(cur[0]) for f in load_mvm]
                    m.d.sync += [f.eq(cur[1]) for f in load_mtvm]
                with m.If(self.ack):
                    m.d.sync += [req.eq(0), *[f.eq(0) for f in waiting]]
                    with m.If(sampling):
                        m.next = "CONV"
                    with m.Elif(self.step == w.steps - 1):
                        m.next = "END_PHASE"
                    with m.Else():
                        m.d.sync += self.step.eq(self.step + 1)
                        m.next = "ISSUE"
            with m.State("CONV"):
                with m.If(~self.sa_busy_mvm & ~self.sa_busy_mtvm):
                    with m.If(self.step == w.steps - 1):
                        m.d.sync += [fin[0].eq(cur[0]), fin[1].eq(cur[1])]
                        m.next = "FIN"
                    with m.Else():
                        m.d.sync += self.step.eq(self.step + 1)
                        m.next = "ISSUE"
            with m.State("FIN"):
                m.next = "FIN_WAIT"
            with m.State("FIN_WAIT"):
                with m.If(~self.sa_busy_mvm & ~self.sa_busy_mtvm):
                    m.next = "END_PHASE"
            with m.State("END_PHASE"):
                with m.If(remaining == McuOp.OPA.value):
                    issue_opa()         # variants 1-2: the OPA phase after the samples
                with m.Elif(remaining != 0):
                    enter_phase()
                with m.Else():
                    end_request()
            with m.State("OPA_WAIT"):
                m.d.comb += self.op.eq(AnalogOp.OPA)
                with m.If(self.ack_now):
                    m.d.sync += req.eq(0)
                    end_request()

            # Serial row loop of CRS and of the variant-3 commit.
            with m.State("SR_ISSUE"):
                m.d.sync += req.eq(1)
                m.next = "SR_WAIT"
            with m.State("SR_WAIT"):
                m.d.comb += self.op.eq(AnalogOp.READ)
                with m.If(self.ack):
                    m.d.sync += req.eq(0)
                    m.d.comb += self.crs_load.eq(1)
                    with m.If(self.slice == w.slices - 1):
                        m.d.sync += self.slice.eq(0)
                        with m.If(canon):
                            m.next = "S_COMP_START"
                        with m.Else():
                            m.next = "SW_ISSUE"
                    with m.Else():
                        m.d.sync += self.slice.eq(self.slice + 1)
                        m.next = "SR_ISSUE"
            with m.State("S_COMP_START"):
                m.d.comb += self.crs_start.eq(1)
                m.next = "S_COMP"
            with m.State("S_COMP"):
                with m.If(~self.crs_busy):
                    m.next = "SW_ISSUE"
            with m.State("SW_ISSUE"):
                m.d.sync += req.eq(1)
                m.next = "SW_WAIT"
            with m.State("SW_WAIT"):
                m.d.comb += self.op.eq(AnalogOp.WRITE)
                with m.If(self.ack):
                    m.d.sync += req.eq(0)
                    with m.If(self.slice == w.slices - 1):
                        m.d.sync += self.slice.eq(0)
                        with m.If(self.row == w.n - 1):
                            end_request()
                        with m.Else():
                            m.d.sync += self.row.eq(self.row + 1)
                            m.next = "SR_ISSUE"
                    with m.Else():
                        m.d.sync += self.slice.eq(self.slice + 1)
                        m.next = "SW_ISSUE"
        return m
