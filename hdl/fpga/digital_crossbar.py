"""A digital emulation of the IDEAL analog half of one MCU, for the FPGA.

It answers an :class:`hdl.mcu.MCU` analog port exactly like :mod:`analog_models` in ideal mode
(``docs/semantics.md`` §3): per-copy, per-slice digit memories; MVM/MTVM codes equal to the
exact column/row sums; OPA updates clipped to the slice's digit range after every step;
serial read and write of one row of one slice. It also has a host port to program and read
single cells (weights are loaded once, as a real chip would do with serial writes).

Timing: each analog transaction sweeps the rows of the memories (one row per cycle, sync read
port), so it is acknowledged about ``xbar_size + 3`` cycles after ``a_req`` per operation flag (one
more for MTVM, whose row sum is two pipeline stages).
"""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.mcu.controller import AnalogOp
from panther.hdl.mcu.widths import McuWidths

__all__ = ["DigitalCrossbar"]

#: Columns summed per MTVM pipeline group (stage 1 of the row sum).
GROUP = 4


def _index_bits(count):
    return max(1, (count - 1).bit_length())


class DigitalCrossbar(wiring.Component):
    """Ideal crossbar copies of one MCU, in digital logic.

    Parameters
    ----------
    config : PantherConfig
        Must be ideal (``adc_bits == 0`` and every noise field 0): only then are the ADC codes
        the exact column sums this block computes.

    Members
    -------
    a_req, a_op, a_step, a_slice, a_row, a_mvm_copy, a_mtvm_copy, a_read_copy, a_opa_copies,
    a_write_copies, a_row_bits, a_row_neg, a_col_bits, a_col_neg, a_opa_chunks, a_wdata : In
        The MCU's analog-port outputs (same names and widths as :class:`hdl.mcu.MCU`).
    a_ack, a_mvm_codes, a_mtvm_codes, a_rdata : Out
        The MCU's analog-port inputs; codes and read digits are held until the next answer.
    h_req, h_we : In(1)
        Host cell access (only served between analog transactions): hold ``h_req`` with the
        fields stable until ``h_ack``; ``h_we`` 1 writes ``h_wdata``, 0 reads into ``h_rdata``.
    h_copy, h_slice, h_row, h_col : In
        The cell: crossbar copy, slice (0 = LSB slice), row, column.
    h_wdata : In(signed(digit_bits))
        Digit to write (truncated to the slice's bits).
    h_ack : Out(1)
        One-cycle pulse: the access is done (``h_rdata`` valid from then on).
    h_rdata : Out(signed(digit_bits))
    busy : Out(1)
        A transaction or host access is in progress.
    """

    def __init__(self, *, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if config.adc_bits != 0 or not config.noise.ideal:
            self._MustUse__silence = True        # never elaborated: no "unused" warning
            raise ValueError("the digital crossbar emulates the ideal crossbar only: adc_bits "
                             f"must be 0 (not {config.adc_bits!r}) and every noise field 0 "
                             f"(not {config.noise!r})")
        self.config = config
        self.widths = w = McuWidths(config)
        super().__init__({
            "a_req": In(1), "a_op": In(5), "a_step": In(w.step_bits),
            "a_slice": In(w.slice_index_bits), "a_row": In(w.index_bits),
            "a_mvm_copy": In(w.copy_bits), "a_mtvm_copy": In(w.copy_bits),
            "a_read_copy": In(w.copy_bits),
            "a_opa_copies": In(w.copies), "a_write_copies": In(w.copies),
            "a_row_bits": In(w.n), "a_row_neg": In(w.n),
            "a_col_bits": In(w.n), "a_col_neg": In(w.n),
            "a_opa_chunks": In(w.slices * w.n * w.p),
            "a_wdata": In(w.n * w.digit_bits),
            "a_ack": Out(1),
            "a_mvm_codes": Out(w.slices * w.n * w.code_bits),
            "a_mtvm_codes": Out(w.slices * w.n * w.code_bits),
            "a_rdata": Out(w.n * w.digit_bits),
            "h_req": In(1), "h_we": In(1), "h_copy": In(w.copy_bits),
            "h_slice": In(w.slice_index_bits), "h_row": In(w.index_bits),
            "h_col": In(w.index_bits), "h_wdata": In(signed(w.digit_bits)),
            "h_ack": Out(1), "h_rdata": Out(signed(w.digit_bits)),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        cfg, w = self.config, self.widths
        n, S, C, p = w.n, w.slices, w.copies, w.p
        bits = cfg.slice_bits_lsb_first
        m = Module()

        # -- memories: copy c, slice k; one row of n digits (b_k bits each) per word ---------
        rd_addr = Signal(w.index_bits)
        wr_addr = Signal(w.index_bits)
        rows = [[None] * S for _ in range(C)]          # read data, as lists of signed digits
        wr_en = [[Signal(name=f"wr_en_{c}_{k}") for k in range(S)] for c in range(C)]
        wr_row = [[[Signal(signed(bits[k]), name=f"wr_{c}_{k}_{j}") for j in range(n)]
                   for k in range(S)] for c in range(C)]
        for c in range(C):
            for k in range(S):
                mem = Memory(shape=unsigned(n * bits[k]), depth=n, init=[])
                m.submodules[f"cells_c{c}_s{k}"] = mem
                rp = mem.read_port()
                wp = mem.write_port()
                m.d.comb += [rp.addr.eq(rd_addr), wp.addr.eq(wr_addr), wp.en.eq(wr_en[c][k]),
                             wp.data.eq(Cat(*wr_row[c][k]))]
                rows[c][k] = [rp.data[j * bits[k]:(j + 1) * bits[k]].as_signed()
                              for j in range(n)]

        # Every cell sign-extended to digit_bits, flattened as (copy, slice, row position j).
        cellx = [[[Signal(signed(w.digit_bits), name=f"cell_{c}_{k}_{j}") for j in range(n)]
                  for k in range(S)] for c in range(C)]
        for c in range(C):
            for k in range(S):
                m.d.comb += [cellx[c][k][j].eq(rows[c][k][j]) for j in range(n)]
        flat = Cat(*(cellx[c][k][j] for c in range(C) for k in range(S) for j in range(n)))

        def pick_copy(sel, k, j):
            value = rows[0][k][j]
            for c in range(1, C):
                value = Mux(sel == c, rows[c][k][j], value)
            return value

        # -- result registers ---------------------------------------------------------------
        acc = [[Signal(signed(w.code_bits), name=f"mvm_{k}_{j}") for j in range(n)]
               for k in range(S)]
        mt = [[Signal(signed(w.code_bits), name=f"mtvm_{k}_{i}") for i in range(n)]
              for k in range(S)]
        rdata = [Signal(signed(w.digit_bits), name=f"rdata_{j}") for j in range(n)]
        # Line-major codes (docs/mcu.md): slice k of line j at (j * n_slices + k) * code_bits.
        m.d.comb += [self.a_mvm_codes.eq(Cat(*(acc[k][j] for j in range(n) for k in range(S)))),
                     self.a_mtvm_codes.eq(Cat(*(mt[k][i] for i in range(n) for k in range(S)))),
                     self.a_rdata.eq(Cat(*rdata))]

        # -- the row sweep: address cnt issued, row r1 (= cnt - 1) processed a cycle later ---
        cnt = Signal(w.index_bits + 1)
        v1 = Signal()
        r1 = Signal(w.index_bits)
        pending = Signal(5)       # AnalogOp flags still to do in this transaction
        cur = Signal(5)           # the flag being swept

        rb, rn = Signal(), Signal()      # drive of row r1 (registered with it): bit, polarity
        # MTVM is two pipeline stages: groups of GROUP terms summed into `part` (stage 1),
        # then the groups summed into the row's code (stage 2, row r2).
        groups = [list(range(g, min(g + GROUP, n))) for g in range(0, n, GROUP)]
        part = [[Signal(signed(w.code_bits), name=f"part_{k}_{g}") for g in range(len(groups))]
                for k in range(S)]
        v2 = Signal()
        r2 = Signal(w.index_bits)
        n_neg = Signal(range(n + 1))    # driven columns with negative polarity (MTVM)

        last = Signal()
        m.d.comb += last.eq(Mux(cur[1], v2 & (r2 == n - 1), v1 & (r1 == n - 1)))

        with m.FSM(name="fsm") as fsm:
            with m.State("IDLE"):
                with m.If(self.a_req):
                    m.d.sync += pending.eq(self.a_op)
                    m.next = "NEXT_OP"
                with m.Elif(self.h_req):
                    m.d.comb += rd_addr.eq(self.h_row)
                    m.next = "HOST"

            with m.State("NEXT_OP"):
                # Order as analog_models / cosim: MVM, MTVM, OPA, READ, WRITE.
                m.d.sync += [cnt.eq(0), v1.eq(0), v2.eq(0),
                             n_neg.eq(sum((self.a_col_bits & self.a_col_neg)[j]
                                          for j in range(n)))]
                with m.If(pending[0]):
                    m.d.sync += [cur.eq(AnalogOp.MVM.value), pending[0].eq(0)]
                    m.d.sync += [acc[k][j].eq(0) for k in range(S) for j in range(n)]
                    m.next = "SWEEP"
                with m.Elif(pending[1]):
                    m.d.sync += [cur.eq(AnalogOp.MTVM.value), pending[1].eq(0)]
                    m.next = "SWEEP"
                with m.Elif(pending[2]):
                    m.d.sync += [cur.eq(AnalogOp.OPA.value), pending[2].eq(0)]
                    m.next = "SWEEP"
                with m.Elif(pending[3]):
                    m.d.sync += pending[3].eq(0)
                    m.d.comb += rd_addr.eq(self.a_row)
                    m.next = "READ"
                with m.Elif(pending[4]):
                    m.d.sync += pending[4].eq(0)
                    m.d.comb += wr_addr.eq(self.a_row)
                    for c in range(C):
                        for k in range(S):
                            m.d.comb += wr_en[c][k].eq(self.a_write_copies[c] & (self.a_slice == k))
                            m.d.comb += [wr_row[c][k][j].eq(
                                self.a_wdata[j * w.digit_bits:j * w.digit_bits + bits[k]])
                                for j in range(n)]
                with m.Else():
                    m.next = "ACK"

            with m.State("SWEEP"):
                m.d.comb += rd_addr.eq(cnt)
                m.d.sync += [v1.eq(cnt < n), r1.eq(cnt), cnt.eq(Mux(cnt < n, cnt + 1, cnt)),
                             rb.eq(self.a_row_bits.bit_select(cnt[:w.index_bits], 1)),
                             rn.eq(self.a_row_neg.bit_select(cnt[:w.index_bits], 1)),
                             v2.eq(v1 & cur[1]), r2.eq(r1)]
                with m.If(v1):
                    with m.If(cur[0]):           # MVM: acc[k][j] += drive(r1) * d_k[r1, j]
                        for k in range(S):
                            for j in range(n):
                                d = pick_copy(self.a_mvm_copy, k, j)
                                m.d.sync += acc[k][j].eq(acc[k][j] + Mux(rb, Mux(rn, -d, d), 0))
                    with m.If(cur[1]):           # MTVM stage 1: part sums of drive(j) * d_k[r1, j]
                        for k in range(S):
                            # -d = ~d + 1: XOR here, the +1s are added once as n_neg (stage 2).
                            terms = [Mux(self.a_col_bits[j],
                                         pick_copy(self.a_mtvm_copy, k, j)
                                         ^ Mux(self.a_col_neg[j], -1, 0), 0)
                                     for j in range(n)]
                            for g, cols in enumerate(groups):
                                m.d.sync += part[k][g].eq(_tree_sum([terms[j] for j in cols]))
                with m.If(v2):                   # MTVM stage 2: mt[k][r2] = sum of the parts
                    for k in range(S):
                        total = _tree_sum(part[k]) + n_neg
                        with m.Switch(r2):
                            for i in range(n):
                                with m.Case(i):
                                    m.d.sync += mt[k][i].eq(total)
                with m.If(v1):
                    with m.If(cur[2]):           # OPA: clipped RMW of row r1 on every chosen copy
                        m.d.comb += wr_addr.eq(r1)
                        for c in range(C):
                            for k in range(S):
                                lo, hi = cfg.digit_range(k)
                                m.d.comb += wr_en[c][k].eq(self.a_opa_copies[c])
                                for j in range(n):
                                    # Line-major: chunk (k, j) at bit (j * n_slices + k) * p.
                                    chunk = self.a_opa_chunks[(j * S + k) * p:(j * S + k + 1) * p]
                                    delta = Mux(rb, Mux(rn ^ self.a_col_neg[j], -chunk, chunk), 0)
                                    new = Signal(signed(bits[k] + p + 2), name=f"opa_{c}_{k}_{j}")
                                    m.d.comb += new.eq(rows[c][k][j] + delta)
                                    # In range iff the bits above the digit only sign-extend
                                    # it (no compare chains); else clip by the sign.
                                    top = new[bits[k] - 1:]
                                    m.d.comb += wr_row[c][k][j].eq(
                                        Mux(top.all() | ~top.any(), new[:bits[k]],
                                            Mux(new[-1], lo, hi)))
                with m.If(last):
                    m.next = "NEXT_OP"

            with m.State("READ"):
                row = flat.word_select(self.a_read_copy * S + self.a_slice, n * w.digit_bits)
                m.d.sync += [rdata[j].eq(row[j * w.digit_bits:(j + 1) * w.digit_bits])
                             for j in range(n)]
                m.next = "NEXT_OP"

            with m.State("ACK"):
                m.d.comb += self.a_ack.eq(1)
                m.next = "A_DROP"

            with m.State("A_DROP"):
                with m.If(~self.a_req):
                    m.next = "IDLE"

            with m.State("HOST"):
                # Read data of row h_row is valid: latch the cell, or write the changed row.
                value = Signal(signed(w.digit_bits))
                m.d.comb += value.eq(flat.word_select(
                    (self.h_copy * S + self.h_slice) * n + self.h_col, w.digit_bits))
                m.d.sync += self.h_rdata.eq(Mux(self.h_we, self.h_wdata, value))
                m.d.comb += wr_addr.eq(self.h_row)
                for c in range(C):
                    for k in range(S):
                        m.d.comb += wr_en[c][k].eq(self.h_we & (self.h_copy == c) & (self.h_slice == k))
                        m.d.comb += [wr_row[c][k][j].eq(Mux(self.h_col == j, self.h_wdata,
                                                            rows[c][k][j])) for j in range(n)]
                m.next = "H_ACK"

            with m.State("H_ACK"):
                m.d.comb += self.h_ack.eq(1)
                m.next = "H_DROP"

            with m.State("H_DROP"):
                with m.If(~self.h_req):
                    m.next = "IDLE"

        m.d.comb += self.busy.eq(~fsm.ongoing("IDLE"))
        return m


def _tree_sum(terms):
    """Balanced adder tree of ``terms`` (Amaranth widens each sum by one bit)."""
    level = list(terms)
    while len(level) > 1:
        nxt = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]
