"""The top Matrix Computation Unit component with its core port and plain-signal analog port."""

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .carry_resolution import CarryResolution
from .controller import Controller, analytic_cycles, rtl_cycles
from .input_driver import InputDriver
from .shift_add import ShiftAdd
from .widths import component_widths
from .xbar_buffers import XBarIn, XBarOut

__all__ = ["MCU"]


class MCU(wiring.Component):
    """One PANTHER MCU (paper §4): XBar buffers, input drivers, shift-and-add, controller.

    The analog half (DACs, crossbar copies, sample-and-hold, ADCs) is outside: it is reached
    through the ``a_*`` port of plain signals (see ``docs/mcu.md`` for the bit layouts). Each
    transaction: the MCU raises ``a_req`` with every ``a_*`` output stable; the analog half
    answers with a one-cycle ``a_ack`` and, in that cycle, the codes or digits asked for;
    ``a_req`` then drops for at least one cycle.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    start : In(1)
    start_mask : In(3)
        :class:`McuOp` bits: 1 MVM, 2 MTVM, 4 OPA.
    crs, commit : In(1)
    busy, done : Out(1)
    overflow : Out(1)
        Sticky: a result word saturated since the last ``overflow_clear``.
    overflow_clear : In(1)
    xin_addr, xin_w_en, xin_w_data, xin_r_data, xout_addr, xout_w_en, xout_w_data, xout_r_data
        Core ports of XBarIn and XBarOut (read latency 1).
    a_req : Out(1)
    a_op : Out(5)
        :class:`AnalogOp` bits.
    a_step : Out(step_bits)
    a_slice : Out(slice_index_bits)
    a_row : Out(index_bits)
    a_mvm_copy, a_mtvm_copy, a_read_copy : Out(copy_bits)
    a_opa_copies, a_write_copies : Out(xbar_copies)
    a_row_bits, a_row_neg, a_col_bits, a_col_neg : Out(xbar_size)
    a_opa_chunks : Out(xbar_size * n_slices * nominal_bits)
        Column ``j``'s field of ``n_slices * p`` bits at bit ``j * n_slices * p`` holds
        ``|v_j| << n``; its ``p``-bit chunk ``k`` is the pulse magnitude of slice ``k``.
    a_wdata : Out(xbar_size * digit_bits)
        Digit of column ``j`` (two's complement) at bit ``j * digit_bits``.
    a_ack : In(1)
    a_mvm_codes, a_mtvm_codes : In(n_slices * xbar_size * adc_code_bits)
        Signed code of slice ``k``, column (MVM) / row (MTVM) ``j`` at bit
        ``(j * n_slices + k) * adc_code_bits`` (line-major).
    a_rdata : In(xbar_size * digit_bits)
    widths : McuWidths
    capture_latency : int
        Cycles between ``a_ack`` and the controller seeing it (1).
    """

    capture_latency = 1

    def __init__(self, *, config):
        self.config = config
        self.widths = w = component_widths(self, config)
        word = signed(w.data_bits)
        members = {
            "start": In(1), "start_mask": In(3), "crs": In(1), "commit": In(1),
            "busy": Out(1), "done": Out(1), "overflow": Out(1), "overflow_clear": In(1),
        }
        for name in ("xin", "xout"):
            members.update({f"{name}_addr": In(w.index_bits), f"{name}_w_en": In(1),
                            f"{name}_w_data": In(word), f"{name}_r_data": Out(word)})
        members.update({
            "a_req": Out(1), "a_op": Out(5), "a_step": Out(w.step_bits),
            "a_slice": Out(w.slice_index_bits), "a_row": Out(w.index_bits),
            "a_mvm_copy": Out(w.copy_bits), "a_mtvm_copy": Out(w.copy_bits),
            "a_read_copy": Out(w.copy_bits),
            "a_opa_copies": Out(w.copies), "a_write_copies": Out(w.copies),
            "a_row_bits": Out(w.n), "a_row_neg": Out(w.n),
            "a_col_bits": Out(w.n), "a_col_neg": Out(w.n),
            "a_opa_chunks": Out(w.slices * w.n * w.p),
            "a_wdata": Out(w.n * w.digit_bits),
            "a_ack": In(1),
            "a_mvm_codes": In(w.slices * w.n * w.code_bits),
            "a_mtvm_codes": In(w.slices * w.n * w.code_bits),
            "a_rdata": In(w.n * w.digit_bits),
        })
        super().__init__(members)

    def analytic_cycles(self, mask):
        """Analytic cycles of a start request (:func:`hdl.mcu.controller.analytic_cycles`)."""
        return analytic_cycles(self.config, mask)

    def rtl_cycles(self, mask, *, ack_latency=1):
        """Exact cycles start -> done (:func:`hdl.mcu.controller.rtl_cycles`)."""
        return rtl_cycles(self.config, mask, ack_latency=ack_latency)

    def elaborate(self, platform):
        cfg = self.config
        m = Module()
        m.submodules.xbar_in = xin = XBarIn(config=cfg)
        m.submodules.xbar_out = xout = XBarOut(config=cfg)
        m.submodules.row_driver = rows = InputDriver(config=cfg)
        m.submodules.col_driver = cols = InputDriver(config=cfg, opa_chunks=True)
        m.submodules.sa_mvm = sa_mvm = ShiftAdd(config=cfg)
        m.submodules.sa_mtvm = sa_mtvm = ShiftAdd(config=cfg)
        m.submodules.crs_unit = crs = CarryResolution(config=cfg)
        m.submodules.ctrl = ctrl = Controller(config=cfg)

        # Capture registers of the analog inputs.
        ack = Signal()
        mvm_codes = Signal.like(self.a_mvm_codes)
        mtvm_codes = Signal.like(self.a_mtvm_codes)
        rdata = Signal.like(self.a_rdata)
        m.d.sync += ack.eq(self.a_ack)
        with m.If(self.a_ack):
            m.d.sync += [mvm_codes.eq(self.a_mvm_codes), mtvm_codes.eq(self.a_mtvm_codes),
                         rdata.eq(self.a_rdata)]

        for buf, name in ((xin, "xin"), (xout, "xout")):
            m.d.comb += [buf.core_addr.eq(getattr(self, f"{name}_addr")),
                         buf.core_w_en.eq(getattr(self, f"{name}_w_en")),
                         buf.core_w_data.eq(getattr(self, f"{name}_w_data")),
                         getattr(self, f"{name}_r_data").eq(buf.core_r_data)]

        m.d.comb += [
            ctrl.start.eq(self.start), ctrl.start_mask.as_value().eq(self.start_mask),
            ctrl.crs.eq(self.crs), ctrl.commit.eq(self.commit),
            self.busy.eq(ctrl.busy), self.done.eq(ctrl.done),
            # Input drivers: rows from XBarIn, columns from XBarOut, snapshotted at start.
            rows.load.eq(ctrl.drv_load), rows.words.eq(xin.words),
            cols.load.eq(ctrl.drv_load), cols.words.eq(xout.words),
            rows.restart.eq(ctrl.drv_restart), rows.advance.eq(ctrl.drv_advance),
            cols.restart.eq(ctrl.drv_restart), cols.advance.eq(ctrl.drv_advance),
            # Shift-and-add: MVM codes -> XBarOut, MTVM codes -> XBarIn.
            sa_mvm.clear.eq(ctrl.sa_clear), sa_mtvm.clear.eq(ctrl.sa_clear),
            sa_mvm.load.eq(ctrl.sa_load_mvm), sa_mtvm.load.eq(ctrl.sa_load_mtvm),
            sa_mvm.finish.eq(ctrl.sa_finish_mvm), sa_mtvm.finish.eq(ctrl.sa_finish_mtvm),
            sa_mvm.step.eq(ctrl.step), sa_mtvm.step.eq(ctrl.step),
            sa_mvm.codes.eq(mvm_codes),
            sa_mtvm.codes.eq(mtvm_codes),
            ctrl.sa_busy_mvm.eq(sa_mvm.busy), ctrl.sa_busy_mtvm.eq(sa_mtvm.busy),
            xout.res_en.eq(sa_mvm.res_valid), xout.res_round.eq(sa_mvm.res_round),
            xout.res_data.eq(sa_mvm.res_data),
            xin.res_en.eq(sa_mtvm.res_valid), xin.res_round.eq(sa_mtvm.res_round),
            xin.res_data.eq(sa_mtvm.res_data),
            # Carry-resolution row unit.
            crs.load.eq(ctrl.crs_load), crs.start.eq(ctrl.crs_start), crs.slice.eq(ctrl.slice),
            crs.rdata.eq(rdata), ctrl.crs_busy.eq(crs.busy),
            # Analog port.
            self.a_req.eq(ctrl.req), ctrl.ack.eq(ack), self.a_op.eq(ctrl.op),
            self.a_step.eq(ctrl.step), self.a_slice.eq(ctrl.slice), self.a_row.eq(ctrl.row),
            self.a_mvm_copy.eq(ctrl.mvm_copy), self.a_mtvm_copy.eq(ctrl.mtvm_copy),
            self.a_read_copy.eq(ctrl.read_copy),
            self.a_opa_copies.eq(ctrl.opa_copies), self.a_write_copies.eq(ctrl.write_copies),
            self.a_row_bits.eq(rows.bits), self.a_row_neg.eq(rows.neg),
            self.a_col_bits.eq(cols.bits), self.a_col_neg.eq(cols.neg),
            self.a_opa_chunks.eq(cols.chunks),
            self.a_wdata.eq(crs.wdata),
        ]
        overflow = Signal()
        with m.If(self.overflow_clear):
            m.d.sync += overflow.eq(0)
        with m.Elif((sa_mvm.res_valid & sa_mvm.res_overflow)
                    | (sa_mtvm.res_valid & sa_mtvm.res_overflow)):
            m.d.sync += overflow.eq(1)
        m.d.comb += self.overflow.eq(overflow)
        return m
