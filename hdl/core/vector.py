"""The vector path of the execute stage: ``cp``, ``alu`` and ``alui`` (semantics §4).

Every source element is gathered into :class:`hdl.core.staging.VectorStaging` buffers before
any destination word is written (the ISA's read-before-write rule); the VFU then processes
one row of ``vfu_lanes`` words per cycle (the rows stream through its pipeline of
``VFU.latency`` cycles), and the results are scattered word by word.
"""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.isa.table import ALU_BY_NAME

from .data_space import DataPortSignature
from .layouts import DecodeLayout
from .staging import MAX_VW, VectorStaging
from .vfu import VFU

__all__ = ["VectorPath"]


class VectorPath(wiring.Component):
    """Gathers, computes and scatters one vector instruction.

    ``start`` (one cycle, with the instruction on ``instr``, held until ``done``) runs:
    gather the first operand (``src1``, or ``src`` of ``cp``), gather the second (``src2``;
    ``dst`` for ``sna``) where there is one, compute (not for ``cp``), check the destination
    range (an ``alu``/``alui`` raises ``fault`` only now, after its results, as the golden model
    writes last), scatter to ``dst``. Operand ranges are checked before the start
    (:class:`~hdl.core.dispatch_check.DispatchCheck`).

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    instr : In(DecodeLayout)
    start : In(1)
    done : Out(1)
        One-cycle pulse in the cycle after the last word is written.
    fault : Out(1)
        One-cycle pulse: the destination leaves the operand space (``ADDRESS_RANGE``).
    overflow : Out(1)
        A VFU result that is written saturated (one-cycle strobe per row).
    data : Out(DataPortSignature(config))
    busy : Out(1)
        An instruction is in progress (it drives ``data``).
    done_next : Out(1)
        ``done`` rises at this clock edge (the flip-flop's input).
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({
            "instr": In(DecodeLayout()), "start": In(1), "done": Out(1), "fault": Out(1),
            "overflow": Out(1), "data": Out(DataPortSignature(config)), "busy": Out(1),
            "done_next": Out(1),
        })

    def elaborate(self, platform):
        c = self.config
        L = c.vfu_lanes
        m = Module()
        ins, dp = self.instr, self.data
        op, vw = ins.op, ins.vw

        m.submodules.vfu = vfu = VFU(config=c)
        m.submodules.stage_a = sa = VectorStaging(config=c)
        m.submodules.stage_b = sb = VectorStaging(config=c)

        # The vector path's own copy of what it decodes, taken at ``start`` (issue 20: the
        # execute stage's instruction register fans out to the front end and every unit; no
        # field of it, nor an adder or comparator on one, reaches a decision after ``start``).
        r_vw = Signal.like(vw, name="r_vw", reset_less=True)
        r_cp = Signal(name="r_cp", reset_less=True)
        r_two = Signal(name="r_two", reset_less=True)      # a second operand is gathered
        r_next = Signal(c.ADDR_BITS, name="r_next", reset_less=True)  # cp's dst or operand 2
        r_dst = Signal(c.ADDR_BITS, name="r_dst", reset_less=True)
        r_dst_fault = Signal(name="r_dst_fault", reset_less=True)   # dst + vw leaves the space
        # Words left to issue (``n_left``) and a flag that some are (``more``), so that the
        # loops' decisions read a flip-flop, not a comparator of the index with ``vw``.
        n_left = Signal(range(MAX_VW + 1), name="n_left", reset_less=True)
        more = Signal(name="more")
        row = Signal(range(sa.rows + 1), name="row", reset_less=True)
        lane = Signal(range(L), name="lane", reset_less=True)
        pend = Signal(name="pend")                   # an issued read returns this cycle
        # The operand-space address in every state, counted up per word (a gather's next
        # read, the scatter's pending write): one register, no adder, state decode or operand
        # multiplexer between it and the XBar buffers' read select (issue 20).
        addr = Signal(c.ADDR_BITS, name="addr", reset_less=True)
        p_row = Signal(range(sa.rows + 1), name="p_row", reset_less=True)
        p_lane = Signal(range(L), name="p_lane", reset_less=True)
        one_hot_lane = Signal(L, name="one_hot_lane")
        # Every word moves through a register between the two memories (issue 20): a gathered
        # word is taken from the operand space's read data into ``g_word`` and written into
        # the staging buffer a cycle later (``pend2``, at ``q_row``/``q_lanes``); a scattered
        # word's row is taken from the staging buffer's read data into ``s_row`` (no logic
        # after the block RAM), its lane into ``s_word`` a cycle later (``pend2``), and
        # written into the operand space the cycle after (``pend3``). Neither block RAM's
        # unregistered output reaches the other's write port in the cycle it is read. The
        # data registers load every cycle.
        pend2 = Signal(name="pend2")                 # g_word is written / s_row has the row
        pend3 = Signal(name="pend3")                 # the word in s_word is written
        g_word = Signal.like(dp.rdata, name="g_word", reset_less=True)
        s_row = Signal.like(sa.r_data, name="s_row", reset_less=True)
        s_word = Signal.like(dp.wdata, name="s_word", reset_less=True)
        q_row = Signal.like(p_row, name="q_row", reset_less=True)
        q_lane = Signal.like(p_lane, name="q_lane", reset_less=True)
        q_lanes = Signal(L, name="q_lanes", reset_less=True)
        m.d.sync += [g_word.eq(dp.rdata), s_row.eq(sa.r_data), s_word.eq(s_row[q_lane]),
                     pend2.eq(pend), pend3.eq(pend2), q_row.eq(p_row), q_lane.eq(p_lane),
                     q_lanes.eq(one_hot_lane)]
        m.d.comb += [one_hot_lane.eq(1 << p_lane), dp.addr.eq(addr), dp.wdata.eq(s_word)]
        done = Signal(name="done")                   # the scatter's last cycle (a flip-flop)
        m.d.sync += done.eq(self.done_next)
        m.d.comb += self.done.eq(done)
        # Compute pipeline tags.
        # element indices of the row read and of the VFU's output row
        c_base = Signal(range(MAX_VW + L + 1), name="c_base", reset_less=True)
        c_more = Signal(name="c_more")               # c_base < vw: a row is left to read
        s1_valid = Signal(name="s1_valid")
        o_base = Signal.like(c_base, name="o_base", reset_less=True)
        o_row = Signal.like(row, name="o_row", reset_less=True)
        is_sna = Signal(name="is_sna")
        m.d.comb += is_sna.eq(op.alui & (ins.fn == ALU_BY_NAME["sna"].code))

        def start_loop(count):
            m.d.sync += [n_left.eq(count), more.eq(count != 0), row.eq(0), lane.eq(0),
                         pend.eq(0)]

        def advance_index():
            m.d.sync += [n_left.eq(n_left - 1), more.eq(n_left != 1), p_row.eq(row),
                         p_lane.eq(lane), pend.eq(1)]
            with m.If(lane == L - 1):
                m.d.sync += [lane.eq(0), row.eq(row + 1)]
            with m.Else():
                m.d.sync += lane.eq(lane + 1)

        m.d.comb += vfu.i_fn.eq(ins.fn)
        for k in range(L):
            m.d.comb += [vfu.i_a[k].eq(sa.r_data[k]), vfu.i_d[k].eq(sb.r_data[k]),
                         vfu.i_b[k].eq(sb.r_data[k])]
            with m.If(op.alui):
                m.d.comb += vfu.i_b[k].eq(ins.imm)
            m.d.comb += [sa.w_data[k].eq(g_word), sb.w_data[k].eq(g_word)]

        with m.FSM(name="fsm") as fsm:
            with m.State("IDLE"):
                # The instruction's fields are taken in every idle cycle (the start cycle's
                # stay): ``start`` reaches the state and the loop counters alone.
                m.d.sync += [addr.eq(Mux(op.cp, ins.src, ins.src1)), r_vw.eq(vw),
                             r_cp.eq(op.cp), r_two.eq(op.alu | is_sna),
                             r_next.eq(Mux(op.cp | op.alui, ins.dst, ins.src2)),
                             r_dst.eq(ins.dst),
                             r_dst_fault.eq((ins.dst + vw) > c.addr_space)]
                with m.If(self.start):
                    start_loop(vw)
                    m.next = "GATHER_A"

            for name, stage in (("GATHER_A", sa), ("GATHER_B", sb)):
                with m.State(name):
                    with m.If(more):
                        m.d.comb += dp.re.eq(1)
                        m.d.sync += addr.eq(addr + 1)
                        advance_index()
                    with m.Else():
                        m.d.sync += pend.eq(0)
                    with m.If(pend2):
                        m.d.comb += [stage.w_row.eq(q_row), stage.w_lanes.eq(q_lanes)]
                    with m.If(~more & ~pend & ~pend2):
                        start_loop(r_vw)
                        m.d.sync += [c_base.eq(0), c_more.eq(r_vw != 0), s1_valid.eq(0),
                                     o_base.eq(0), o_row.eq(0)]
                        if name == "GATHER_A":
                            # cp's destination, or the second operand: src2, or sna's dst
                            m.d.sync += addr.eq(r_next)
                            with m.If(r_cp):
                                m.next = "SCATTER"
                            with m.Elif(r_two):
                                m.next = "GATHER_B"
                            with m.Else():
                                m.next = "COMPUTE"
                        else:
                            m.next = "COMPUTE"

            with m.State("COMPUTE"):
                # Read one row a cycle; the next cycle it enters the VFU, which returns the
                # rows in order vfu.latency cycles later: they go back to staging A.
                with m.If(c_more):
                    m.d.comb += [sa.r_en.eq(1), sb.r_en.eq(1), sa.r_row.eq(row),
                                 sb.r_row.eq(row)]
                    m.d.sync += [row.eq(row + 1), c_base.eq(c_base + L),
                                 c_more.eq(c_base + L < r_vw)]
                m.d.sync += s1_valid.eq(c_more)
                m.d.comb += vfu.i_valid.eq(s1_valid)
                with m.If(vfu.o_valid):
                    m.d.comb += [sa.w_row.eq(o_row), sa.w_lanes.eq((1 << L) - 1)]
                    m.d.sync += [o_row.eq(o_row + 1), o_base.eq(o_base + L)]
                    for k in range(L):
                        m.d.comb += sa.w_data[k].eq(vfu.o_result[k])
                        with m.If(vfu.o_overflow[k] & (o_base + k < r_vw)):
                            m.d.comb += self.overflow.eq(1)
                with m.If(~c_more & ~s1_valid & ~vfu.busy & ~vfu.o_valid):
                    start_loop(r_vw)
                    m.next = "DST_CHECK"

            with m.State("DST_CHECK"):
                # After the results (and their overflow): as the golden model writes last.
                with m.If(r_dst_fault):
                    m.d.comb += self.fault.eq(1)
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += addr.eq(r_dst)
                    m.next = "SCATTER"

            with m.State("SCATTER"):
                with m.If(more):
                    m.d.comb += [sa.r_en.eq(1), sa.r_row.eq(row)]
                    advance_index()
                with m.Else():
                    m.d.sync += pend.eq(0)
                with m.If(pend3):
                    m.d.comb += dp.we.eq(1)
                    m.d.sync += addr.eq(addr + 1)
                # The scatter ends in the cycle after the one with no word left to issue, none
                # read and none in `s_row` (`pend3` then takes `pend2`, 0): `done` is that
                # decision, registered a cycle ahead, not a decode of the state and four
                # flags (issue 20). The first SCATTER cycle has words to issue (vw >= 1), so
                # none ends there.
                with m.If(done):
                    m.next = "IDLE"
                with m.Elif(~more & ~pend & ~pend2):
                    m.d.comb += self.done_next.eq(1)
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
