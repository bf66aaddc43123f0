"""A digital emulation of the IDEAL analog half of one MCU, for the FPGA.

It answers an :class:`hdl.mcu.MCU` analog port (:class:`panther.hdl.ports.McuAnalogSignature`)
exactly like :mod:`analog_models` in ideal mode
(``docs/semantics.md`` §3): per-copy, per-slice digit memories; MVM/MTVM codes equal to the
exact column/row sums; OPA updates clipped to the slice's digit range after every step;
serial read and write of one row of one slice. It also has a host port to program and read
single cells (:class:`CellPortSignature`; weights are loaded once, as a real chip would do
with serial writes).

Timing: each analog transaction sweeps the rows of the memories (one row per cycle, sync read
port), so it acknowledges about ``xbar_size + 3`` cycles after ``req`` per flag (exactly:
:func:`answer_latency`; the MVM sums are two pipeline stages, the MTVM's three: its last stage
writes the last row's code in the NEXT_OP after the sweep: no added cycle). An OPA applies its steps
itself from the operand the request carries (``row_mag``/``row_neg`` x ``col_mag``/
``col_neg``), one sweep per step, with its own step registers (``|x_i| >> n`` per row,
``|v_j| << n`` per column): all ``input_steps`` steps for an OPA alone, step ``step`` only
beside an MVM/MTVM (variant 3). Every write to the cell RAMs is registered: it lands a cycle
after it is computed, which costs nothing except to a READ in the same request as an OPA
(one cycle: it waits for the OPA's last row). A WRITE has a state of its own (one cycle): its
row comes from the MCU through two registers. The RAMs' read address is a register set a cycle
ahead, so a host access takes one cycle more than the read itself (H_READ); its request is
registered at the boundary (one cycle) and its read data picked in two stages (one more);
:mod:`.crossbar_host` has its path.
"""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from panther.hdl.ports import AnalogOp, McuAnalogSignature
from panther.hdl.widths import McuWidths

from .cell_port import CellPortSignature
from .crossbar_host import host_pick, host_request, host_states
from .crossbar_latency import answer_latency, check_ideal
from .opa_operands import REPLICA, OpaOperands
from .trees import index_chain, tree_sum

__all__ = ["DigitalCrossbar", "answer_latency", "check_ideal"]

#: Columns summed per MTVM pipeline group (stage 1 of the row sum).
GROUP = 4

class DigitalCrossbar(wiring.Component):
    """Ideal crossbar copies of one MCU, in digital logic.

    Parameters
    ----------
    config : PantherConfig
        Must be ideal (:func:`check_ideal`).

    Members
    -------
    analog : In(McuAnalogSignature(config))
        The MCU's analog port; codes and read digits are held until the next answer.
    cells : In(CellPortSignature(config))
        Host access to single cells.
    busy : Out(1)
        A transaction or host access is in progress.
    """

    def __init__(self, *, config):
        try:
            self.config = check_ideal(config)
        except (TypeError, ValueError):
            self._MustUse__silence = True      # a rejected crossbar is not an unused one
            raise
        self.widths = McuWidths(config)
        super().__init__({"analog": In(McuAnalogSignature(config)),
                          "cells": In(CellPortSignature(config)), "busy": Out(1)})

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        n, S, C, p = w.n, w.slices, w.copies, w.p
        bits = cfg.slice_bits_lsb_first
        a, h = self.analog, self.cells
        m = Module()

        # -- memories: copy c, slice k; one row of n digits (b_k bits each) per word ---------
        # Every write (OPA, WRITE, host) is registered (`wq_*`) and lands a cycle after it is
        # computed: the OPA's read-modify-write ends at a register, not at the RAM. A row is
        # read again at the earliest two cycles after its write is computed (OPA_NEXT between
        # sweeps); only a READ right after an OPA waits for it (NEXT_OP).
        # Per RAM, flip-flops set a cycle ahead (replicas: no decode before their fan-out): the
        # read address `ra_*`, and the write data's source: the OPA's RMW while an OPA sweeps a
        # row (`opa_w`, = `v1 & cur[2]`), the host's merge in HOST (`sel_host`), else the
        # request's row (WRITE).
        ra = [[Signal(w.index_bits, name=f"ra_{c}_{k}", attrs=REPLICA) for k in range(S)]
              for c in range(C)]
        opa_w = [[Signal(name=f"opa_w_{c}_{k}", attrs=REPLICA) for k in range(S)]
                 for c in range(C)]
        # The host's access (crossbar_host): request and fields registered at the boundary,
        # the access's registers following them at every cycle.
        hq = host_request(m, h, w)
        wr_addr = Signal(w.index_bits)
        wq_addr = [Signal(w.index_bits, name=f"wq_addr{k}", attrs=REPLICA) for k in range(S)]
        rows = [[None] * S for _ in range(C)]          # read data, as lists of signed digits
        wr_en = [[Signal(name=f"wr_en_{c}_{k}") for k in range(S)] for c in range(C)]
        wq_en = [[Signal(name=f"wq_en_{c}_{k}") for k in range(S)] for c in range(C)]
        wr_row = [[[Signal(signed(bits[k]), name=f"wr_{c}_{k}_{j}") for j in range(n)]
                   for k in range(S)] for c in range(C)]
        wq_row = [[Signal(unsigned(n * bits[k]), name=f"wq_{c}_{k}", reset_less=True)
                   for k in range(S)] for c in range(C)]
        m.d.sync += [q.eq(wr_addr) for q in wq_addr]
        # Any RAM write registered (`wq_en` of some RAM), one flip-flop: a READ waits on it.
        wq_any = Signal(name="wq_any")
        m.d.sync += wq_any.eq(Cat(*(e for es in wr_en for e in es)).any())
        for c in range(C):
            for k in range(S):
                mem = Memory(shape=unsigned(n * bits[k]), depth=n, init=[])
                m.submodules[f"cells_c{c}_s{k}"] = mem
                rp = mem.read_port()
                wp = mem.write_port()
                m.d.sync += [wq_en[c][k].eq(wr_en[c][k]), wq_row[c][k].eq(Cat(*wr_row[c][k]))]
                m.d.comb += [rp.addr.eq(ra[c][k]), wp.addr.eq(wq_addr[k]), wp.en.eq(wq_en[c][k]),
                             wp.data.eq(wq_row[c][k])]
                rows[c][k] = [rp.data[j * bits[k]:(j + 1) * bits[k]].as_signed()
                              for j in range(n)]

        # Every cell sign-extended to digit_bits, flattened as (copy, slice, row position j).
        cellx = [[[Signal(signed(w.digit_bits), name=f"cell_{c}_{k}_{j}") for j in range(n)]
                  for k in range(S)] for c in range(C)]
        for c in range(C):
            for k in range(S):
                m.d.comb += [cellx[c][k][j].eq(rows[c][k][j]) for j in range(n)]
        # The host's read in two stages: the column's cell of every copy and slice (HOST), then
        # the copy's and slice's (H_PICK), not one multiplexer over every cell.
        h_pick = host_pick(m, hq, cellx, w)
        flat = Cat(*(cellx[c][k][j] for c in range(C) for k in range(S) for j in range(n)))

        # -- result registers ---------------------------------------------------------------
        # Data registers have no reset (the reset's fan-out, issue 20): each is written before
        # it is read (the codes by their sweep before `ack`, `rdata` by READ, `wq_*` under
        # `wq_en`, the pipeline stages at every cycle).
        acc = [[Signal(signed(w.code_bits), name=f"mvm_{k}_{j}", reset_less=True)
                for j in range(n)] for k in range(S)]
        mt = [[Signal(signed(w.code_bits), name=f"mtvm_{k}_{i}", reset_less=True)
               for i in range(n)] for k in range(S)]
        rdata = [Signal(signed(w.digit_bits), name=f"rdata_{j}", reset_less=True)
                 for j in range(n)]
        m.d.comb += [a.mvm_codes[j][k].eq(acc[k][j]) for j in range(n) for k in range(S)]
        m.d.comb += [a.mtvm_codes[i][k].eq(mt[k][i]) for i in range(n) for k in range(S)]
        m.d.comb += [a.rdata[j].eq(rdata[j]) for j in range(n)]

        # -- the row sweep: address cnt issued, row r1 (= cnt - 1) processed a cycle later ---
        cnt = Signal(w.index_bits + 1)
        v1 = Signal()
        r1 = Signal(w.index_bits)
        pending = Signal(5)       # AnalogOp flags still to do in this transaction
        cur = Signal(5)           # the flag being swept

        # Drive of row r1 (registered at every cycle, used under `mvm2`): bit, polarity; a copy
        # per slice (REPLICA).
        rb = [Signal(name=f"rb{k}", attrs=REPLICA, reset_less=True) for k in range(S)]
        rn = [Signal(name=f"rn{k}", attrs=REPLICA, reset_less=True) for k in range(S)]
        # The drive bits and polarities of the sweep's rows, shifted one row per cycle: bit 0
        # is row cnt's. The bits' next value (`drive_nxt`) is set by the FSM (default: held);
        # the polarities' is the request's `row_neg` outside SWEEP (after the FSM).
        drive_sh, neg_sh = Signal(n, name="drive_sh"), Signal(n, name="neg_sh")
        drive_nxt, neg_nxt = Signal(n, name="drive_nxt"), Signal(n, name="neg_nxt")
        m.d.comb += drive_nxt.eq(drive_sh)
        m.d.sync += [drive_sh.eq(drive_nxt), neg_sh.eq(neg_nxt)]
        # Copies of bit 0 for the OPA's pulses (REPLICA), one per slice (its pulses only, by
        # its RAMs), set from the next bit 0: the FSM's decode reaches the two shifters only.
        drive_rep, neg_rep = ([Signal(name=f"{name}0_{k}", attrs=REPLICA, reset_less=True)
                               for k in range(S)] for name in ("drive_sh", "neg_sh"))
        m.d.sync += [q.eq(drive_nxt[0]) for q in drive_rep]
        m.d.sync += [q.eq(neg_nxt[0]) for q in neg_rep]

        def set_drive(bits_value):
            m.d.comb += drive_nxt.eq(bits_value)
        # MTVM is three pipeline stages: groups of GROUP terms summed into `part` (stage 1),
        # the groups summed into the row's code (stage 2, row r2), that code into its row's
        # register (stage 3).
        groups = [list(range(g, min(g + GROUP, n))) for g in range(0, n, GROUP)]
        part = [[Signal(signed(w.code_bits), name=f"part_{k}_{g}", reset_less=True)
                 for g in range(len(groups))] for k in range(S)]
        # Per slice (REPLICA): the stage-2 row and the driven columns of negative polarity.
        r2 = [Signal(w.index_bits, name=f"r2_{k}", attrs=REPLICA, reset_less=True)
              for k in range(S)]
        n_neg = [Signal(range(n + 1), name=f"n_neg{k}", attrs=REPLICA, reset_less=True)
                 for k in range(S)]
        # MVM is two pipeline stages too: each cell's signed term drive(r1) * d_k[r1, j]
        # registered (stage 1), then added to its column's code (stage 2, row r2).
        term = [[Signal(signed(bits[k] + 1), name=f"mvm_t{k}_{j}", reset_less=True)
                 for j in range(n)] for k in range(S)]

        # The sweep's last cycle (stage 2 of row n-1 for MVM/MTVM, `v1` of row n-1 for OPA), a
        # flip-flop set a cycle ahead from SWEEP's next values of `v1`/`r1` (`cnt`) and of
        # stage 2's (`v1`, `r1`): no row compare before the FSM's next state.
        last = Signal(name="sweep_last")
        m.d.sync += last.eq(0)

        # The OPA's step registers and cell pulses (`opa.delta`, of row r1); steps
        # s_first..s_last are applied.
        s_cur = Signal(range(w.steps), name="opa_step")
        s_first = Signal(range(w.steps), name="opa_first")
        s_last = Signal(range(w.steps), name="opa_last")
        m.submodules.opa = opa = OpaOperands(config=cfg)
        # The column polarities of the OPA's pulses: a copy per column (REPLICA) of the
        # boundary register `col_neg_q` below (first read in SWEEP, the fourth cycle).
        col_neg_o = [Signal(name=f"col_neg_o{j}", attrs=REPLICA, reset_less=True)
                     for j in range(n)]
        m.d.comb += [opa.row_mag.eq(a.row_mag), opa.col_mag.eq(a.col_mag),
                     opa.col_neg.eq(Cat(*col_neg_o)),
                     *[opa.drive[k].eq(drive_rep[k]) for k in range(S)],
                     *[opa.drive_neg[k].eq(neg_rep[k]) for k in range(S)]]

        # A WRITE's row, through two registers at every cycle (`wdata_b`, free to sit by the
        # MCU's slice select, then `wdata_q` by the RAMs, a copy per copy and slice): the
        # request's from the cycle after NEXT_OP on, so WRITE reads it here. So are its row and
        # its RAMs' enables (`w_row`, `w_sel`, one register): no MCU wire reaches the RAMs'
        # write address or enables.
        wdata_b = [Signal(signed(w.digit_bits), name=f"wdata_b{j}", reset_less=True)
                   for j in range(n)]
        wdata_q = [[[Signal(bits[k], name=f"wdata_q{c}_{k}_{j}", attrs=REPLICA, reset_less=True)
                     for j in range(n)] for k in range(S)] for c in range(C)]
        m.d.sync += [q.eq(a.wdata[j]) for j, q in enumerate(wdata_b)]
        m.d.sync += [wdata_q[c][k][j].eq(wdata_b[j][:bits[k]])
                     for c in range(C) for k in range(S) for j in range(n)]
        w_row = Signal(w.index_bits, name="w_row", reset_less=True)
        w_sel = [[Signal(name=f"w_sel_{c}_{k}", reset_less=True) for k in range(S)]
                 for c in range(C)]
        m.d.sync += w_row.eq(a.row)
        m.d.sync += [w_sel[c][k].eq(a.write_copies[c] & (a.slice == k))
                     for c in range(C) for k in range(S)]
        # So are the column drive (one register: the MCU's bit reaches it only; copies of it
        # per slice for the MTVM sums, per column for the OPA's pulses) and a READ's row index.
        col_bits, col_neg = (Signal(n, name=f"{x}_q", reset_less=True)
                             for x in ("col_bits", "col_neg"))
        read_sel = Signal(range(max(C * S, 2)), reset_less=True)
        m.d.sync += [col_bits.eq(a.col_bits), col_neg.eq(a.col_neg),
                     *[q.eq(col_neg[j]) for j, q in enumerate(col_neg_o)],
                     read_sel.eq(a.read_copy * S + a.slice)]
        # The count of negative column drives, from those registers at every cycle into one
        # register (`n_neg_all`), then into its copies per slice (`n_neg*`): valid from the
        # third cycle after `req` is seen, before the MTVM's first stage-2 cycle; the request's
        # operands are stable until `ack`.
        n_neg_all = Signal(range(n + 1), name="n_neg_all", reset_less=True)
        m.d.sync += n_neg_all.eq(tree_sum([(col_bits & col_neg)[j] for j in range(n)]))
        m.d.sync += [q.eq(n_neg_all) for q in n_neg]
        # The write address and data default to the OPA's clipped read-modify-write of row r1
        # on every copy; WRITE and HOST override the address in their state, and the
        # data by `opa_w`/`sel_host`. Only the enables depend on the flags.
        m.d.comb += wr_addr.eq(r1)
        for c in range(C):
            for k in range(S):
                lo, hi = cfg.digit_range(k)
                for j in range(n):
                    new = Signal(signed(bits[k] + p + 2), name=f"opa_{c}_{k}_{j}")
                    m.d.comb += new.eq(rows[c][k][j] + opa.delta[j][k])
                    # In range iff the bits above the digit only sign-extend it (no compare
                    # chains); else clip by the sign.
                    top = new[bits[k] - 1:]
                    rmw = Mux(top.all() | ~top.any(), new[:bits[k]], Mux(new[-1], lo, hi))
                    host = Mux(hq.col_ck[c][k][j], hq.wdata_ck[c][k], rows[c][k][j])
                    m.d.comb += wr_row[c][k][j].eq(
                        Mux(hq.sel_host[c][k], host, Mux(opa_w[c][k], rmw, wdata_q[c][k][j])))
                # The OPA's writes: `opa_w` (`v1 & cur[2]`) is high in SWEEP only.
                m.d.comb += wr_en[c][k].eq(opa_w[c][k] & a.opa_copies[c])

        # The sweeps' stages outside the FSM, enabled by flip-flops (`v1`, `mvm2`, `cur`, the
        # row), not by the state's decode. Stage 1 registers every cycle (stage 2 adds it in
        # the `v2` cycle after a `v1` row only).
        for k in range(S):                       # MVM stage 1: term = drive(r1) * d_k[r1, j]
            for j in range(n):
                d = index_chain(a.mvm_copy, [rows[c][k][j] for c in range(C)])
                m.d.sync += term[k][j].eq(Mux(rb[k], Mux(rn[k], -d, d), 0))
        for k in range(S):                       # MTVM stage 1: part sums of drive(j) * d_k[r1, j]
            # -d = ~d + 1: XOR here, the +1s are added once as n_neg (stage 2). The column
            # drive from copies per slice (REPLICA) of its boundary registers (valid from the
            # third cycle after `req` is seen, before the first stage-1 cycle).
            bits_k, neg_k = (Signal(n, name=f"{x}_q{k}", attrs=REPLICA, reset_less=True)
                             for x in ("col_bits", "col_neg"))
            m.d.sync += [bits_k.eq(col_bits), neg_k.eq(col_neg)]
            terms = [Mux(bits_k[j], index_chain(a.mtvm_copy, [rows[c][k][j] for c in range(C)])
                         ^ Mux(neg_k[j], -1, 0), 0) for j in range(n)]
            for g, cols in enumerate(groups):
                m.d.sync += part[k][g].eq(tree_sum([terms[j] for j in cols]))
        # MVM stage 2: acc[k][j] += term; cleared in the sweep's first cycle (`acc_clr`, set by
        # the NEXT_OP that starts an MVM). The stage-2 enables (`v1 & cur[f]` a cycle later) are
        # flip-flops too (`v1` is high in SWEEP only); all per slice.
        acc_clr = [Signal(name=f"acc_clr{k}", attrs=REPLICA) for k in range(S)]
        mvm2 = [Signal(name=f"mvm2_{k}", attrs=REPLICA) for k in range(S)]
        mtvm2 = [Signal(name=f"mtvm2_{k}", attrs=REPLICA) for k in range(S)]
        for k in range(S):
            m.d.sync += [acc_clr[k].eq(0), mvm2[k].eq(v1 & cur[0]), mtvm2[k].eq(v1 & cur[1])]
            with m.If(acc_clr[k]):
                m.d.sync += [acc[k][j].eq(0) for j in range(n)]
            with m.Elif(mvm2[k]):
                m.d.sync += [acc[k][j].eq(acc[k][j] + term[k][j]) for j in range(n)]
            # MTVM stage 2: the row's code, at every cycle into `mt_sum` (next to its adders);
            # stage 3 writes it to its row's code by a one-hot enable (`mt_we`, flip-flops): the
            # route to the codes (by the MCU) starts at a flip-flop with no logic after it.
            mt_sum = Signal(signed(w.code_bits), name=f"mt_sum{k}", reset_less=True)
            m.d.sync += mt_sum.eq(tree_sum(part[k]) + n_neg[k])
            for i in range(n):
                we = Signal(name=f"mt_we_{k}_{i}")
                m.d.sync += we.eq(mtvm2[k] & (r2[k] == i))
                with m.If(we):
                    m.d.sync += mt[k][i].eq(mt_sum)

        # `ack` from a flip-flop set on the way into ACK, not the state's decode.
        ack = Signal()
        m.d.sync += ack.eq(0)
        m.d.comb += a.ack.eq(ack)

        def set_ra(value):
            m.d.sync += [r.eq(value) for rs in ra for r in rs]

        in_sweep = Signal(name="in_sweep")      # = the state is SWEEP, a flip-flop of its own

        def go(state, addr=None):
            """Next state ``state``; the read address is ``addr`` (None: kept)."""
            m.next = state
            m.d.sync += in_sweep.eq(state == "SWEEP")
            if addr is not None:
                set_ra(addr)

        # The write-data selects at every cycle, not in every transition: `opa_w` is `v1` of an
        # OPA (SWEEP sets it below), `sel_host` (crossbar_host) follows IDLE's `hq.start`.
        m.d.sync += [f.eq(0) for fs in opa_w for f in fs]
        with m.FSM(name="fsm") as fsm:
            # The read address is a register set a cycle ahead: the request's row for NEXT_OP
            # (READ reads it there), the row counter in SWEEP, the host's row in H_READ.
            with m.State("IDLE"):
                with m.If(a.req):
                    m.d.sync += pending.eq(a.op)
                    go("NEXT_OP", a.row)
                with m.Elif(hq.req):
                    m.d.sync += hq.start.eq(1)
                    go("H_READ", hq.f.row)

            with m.State("NEXT_OP"):
                # Order as analog_models / cosim: MVM, MTVM, OPA, READ, WRITE.
                m.d.sync += [cnt.eq(0), v1.eq(0)]
                with m.If(pending[0]):
                    m.d.sync += [cur.eq(AnalogOp.MVM.value), pending[0].eq(0)]
                    set_drive(a.row_bits)
                    m.d.sync += [f.eq(1) for f in acc_clr]
                    go("SWEEP", 0)
                with m.Elif(pending[1]):
                    m.d.sync += [cur.eq(AnalogOp.MTVM.value), pending[1].eq(0)]
                    go("SWEEP", 0)
                with m.Elif(pending[2]):
                    # The operand registers hold from here (they loaded it in this cycle).
                    alone = a.op.as_value() == AnalogOp.OPA.value
                    first = Mux(alone, 0, a.step)
                    m.d.sync += [cur.eq(AnalogOp.OPA.value), pending[2].eq(0), s_cur.eq(0),
                                 s_first.eq(first),
                                 s_last.eq(Mux(alone, w.steps - 1, a.step))]
                    m.d.comb += [opa.hold_set.eq(1), opa.adv.eq(first != 0)]
                    go("OPA_SKIP", 0)
                with m.Elif(pending[3]):
                    # After an OPA, the write of its last row is still in `wq_*`: wait for it.
                    with m.If(~wq_any):
                        m.d.sync += pending[3].eq(0)
                        go("READ")
                with m.Elif(pending[4]):
                    m.d.sync += pending[4].eq(0)
                    go("WRITE")
                with m.Else():
                    m.d.sync += ack.eq(1)
                    go("ACK")

            with m.State("SWEEP"):
                nxt = Mux(cnt < n, cnt + 1, cnt)
                set_ra(nxt)
                m.d.sync += [v1.eq(cnt < n), r1.eq(cnt), cnt.eq(nxt),
                             *[f.eq((cnt < n) & cur[2]) for fs in opa_w for f in fs],
                             last.eq(Mux(cur[0] | cur[1], v1 & (r1 == n - 1), cnt == n - 1))]
                m.d.comb += drive_nxt.eq(drive_sh >> 1)
                with m.If(last):
                    with m.If(cur[2] & (s_cur != s_last)):
                        m.d.comb += opa.adv.eq(1)
                        go("OPA_NEXT", 0)
                    with m.Else():
                        m.d.comb += opa.hold_clr.eq(1)
                        go("NEXT_OP", a.row)

            with m.State("OPA_SKIP"):
                # Beside a sample (variant 3) only step `step` is applied: shift up to it.
                with m.If(s_cur == s_first):
                    set_drive(opa.bits)
                    go("SWEEP")
                with m.Else():
                    m.d.sync += s_cur.eq(s_cur + 1)
                    m.d.comb += opa.adv.eq(s_cur + 1 != s_first)

            with m.State("OPA_NEXT"):
                m.d.sync += [s_cur.eq(s_cur + 1), cnt.eq(0), v1.eq(0)]
                set_drive(opa.bits_next)
                go("SWEEP")

            with m.State("READ"):
                row = flat.word_select(read_sel, n * w.digit_bits)
                m.d.sync += [rdata[j].eq(row[j * w.digit_bits:(j + 1) * w.digit_bits])
                             for j in range(n)]
                go("NEXT_OP")

            with m.State("WRITE"):               # the request's row to its copies' slice
                m.d.comb += wr_addr.eq(w_row)
                m.d.comb += [wr_en[c][k].eq(w_sel[c][k]) for c in range(C) for k in range(S)]
                go("NEXT_OP")

            with m.State("ACK"):
                go("A_DROP")

            with m.State("A_DROP"):
                with m.If(~a.req):
                    go("IDLE")

            host_states(m, hq, h, h_pick, widths=w, go=go, wr_addr=wr_addr, wr_en=wr_en)

        # No FSM enable: the sweep's row and drive copies (SWEEP changes them; `v1` is 0 after).
        m.d.sync += [*[q.eq(drive_sh[0]) for q in rb], *[q.eq(neg_sh[0]) for q in rn],
                     *[q.eq(r1) for q in r2]]
        m.d.comb += neg_nxt.eq(Mux(in_sweep, neg_sh >> 1, a.row_neg))
        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m
