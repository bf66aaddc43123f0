"""The top Matrix Computation Unit component with its core port and its analog port."""

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.config import PantherConfig
from panther.hdl.ports import McuAnalogSignature, XBarBufferSignature
from panther.hdl.widths import McuWidths

from .carry_resolution import CarryResolution
from .controller import Controller, analytic_cycles, rtl_cycles
from .input_driver import InputDriver
from .shift_add import ShiftAdd
from .xbar_buffers import XBarIn, XBarOut

__all__ = ["McuSignature", "MCU"]


class McuSignature(wiring.Signature):
    """The ports of an :class:`MCU` (see its Members), without building one.

    Parameters
    ----------
    config : PantherConfig
    """

    def __init__(self, config):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        self.config = config
        super().__init__({
            "start": In(1), "start_mask": In(3), "crs": In(1), "commit": In(1),
            "busy": Out(1), "done": Out(1), "overflow": Out(1), "overflow_clear": In(1),
            "xin": In(XBarBufferSignature(config)), "xout": In(XBarBufferSignature(config)),
            "analog": Out(McuAnalogSignature(config)),
        })


class MCU(wiring.Component):
    """One PANTHER MCU (paper §4): XBar buffers, input drivers, shift-and-add, controller.

    The analog half (DACs, crossbar copies, sample-and-hold, ADCs) is outside: it is reached
    through the ``analog`` port (:class:`~panther.hdl.ports.McuAnalogSignature`, bit layouts
    in ``docs/mcu.md``).

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
    xin, xout : In(XBarBufferSignature(config))
        Core ports of XBarIn and XBarOut (read latency 1).
    analog : Out(McuAnalogSignature(config))
    widths : McuWidths
    capture_latency : int
        Cycles between ``analog.ack`` and the controller seeing it (1), except for an OPA
        phase, whose ``ack`` (no data) the controller takes at once.
    """

    capture_latency = 1

    def __init__(self, *, config):
        self.config = config
        self.widths = McuWidths(config)
        super().__init__(McuSignature(config))

    def analytic_cycles(self, mask):
        """Analytic cycles of a start request (:func:`hdl.mcu.controller.analytic_cycles`)."""
        return analytic_cycles(self.config, mask)

    def rtl_cycles(self, mask, *, ack_latency=1, latencies=None):
        """Exact cycles start -> done (:func:`hdl.mcu.controller.rtl_cycles`)."""
        return rtl_cycles(self.config, mask, ack_latency=ack_latency, latencies=latencies)

    def elaborate(self, platform):
        cfg = self.config
        m = Module()
        m.submodules.xbar_in = xin = XBarIn(config=cfg)
        m.submodules.xbar_out = xout = XBarOut(config=cfg)
        m.submodules.row_driver = rows = InputDriver(config=cfg)
        m.submodules.col_driver = cols = InputDriver(config=cfg)
        m.submodules.sa_mvm = sa_mvm = ShiftAdd(config=cfg)
        m.submodules.sa_mtvm = sa_mtvm = ShiftAdd(config=cfg)
        m.submodules.crs_unit = crs = CarryResolution(config=cfg)
        m.submodules.ctrl = ctrl = Controller(config=cfg)

        # Capture registers of the analog inputs, taken at every cycle, with no enable and no
        # reset (``ack`` would be a clock enable of a thousand flip-flops, the reset as many
        # LSR pins): they are read only in the cycle after ``ack``, when they hold the answer
        # (the shift-and-add units' ``sa_load_*``, the carry-resolution unit's ``load``).
        analog = self.analog
        ack = Signal()
        mvm_codes = Signal.like(analog.mvm_codes, reset_less=True)
        mtvm_codes = Signal.like(analog.mtvm_codes, reset_less=True)
        rdata = Signal.like(analog.rdata, reset_less=True)
        m.d.sync += [ack.eq(analog.ack), mvm_codes.eq(analog.mvm_codes),
                     mtvm_codes.eq(analog.mtvm_codes), rdata.eq(analog.rdata)]

        wiring.connect(m, wiring.flipped(self.xin), xin.core)
        wiring.connect(m, wiring.flipped(self.xout), xout.core)

        m.d.comb += [
            ctrl.start.eq(self.start), ctrl.start_mask.as_value().eq(self.start_mask),
            ctrl.crs.eq(self.crs), ctrl.commit.eq(self.commit),
            self.busy.eq(ctrl.busy), self.done.eq(ctrl.done),
            # Input drivers: rows from XBarIn, columns from XBarOut, snapshotted at start.
            rows.load.eq(ctrl.drv_load), rows.words.eq(xin.words),
            cols.load.eq(ctrl.drv_load), cols.words.eq(xout.words),
            rows.restart.eq(ctrl.drv_restart), rows.advance.eq(ctrl.drv_advance[0]),
            cols.restart.eq(ctrl.drv_restart), cols.advance.eq(ctrl.drv_advance[1]),
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
            analog.req.eq(ctrl.req), ctrl.ack.eq(ack), ctrl.ack_now.eq(analog.ack),
            analog.op.eq(ctrl.op),
            analog.step.eq(ctrl.step), analog.slice.eq(ctrl.slice), analog.row.eq(ctrl.row),
            analog.mvm_copy.eq(ctrl.mvm_copy), analog.mtvm_copy.eq(ctrl.mtvm_copy),
            analog.read_copy.eq(ctrl.read_copy),
            analog.opa_copies.eq(ctrl.opa_copies), analog.write_copies.eq(ctrl.write_copies),
            analog.row_bits.eq(rows.bits), analog.row_neg.eq(rows.neg),
            analog.col_bits.eq(cols.bits), analog.col_neg.eq(cols.neg),
            analog.row_mag.eq(rows.mag), analog.col_mag.eq(cols.mag),
            analog.wdata.eq(crs.wdata),
        ]
        overflow = Signal()
        with m.If(self.overflow_clear):
            m.d.sync += overflow.eq(0)
        with m.Elif((sa_mvm.res_valid & sa_mvm.res_overflow)
                    | (sa_mtvm.res_valid & sa_mtvm.res_overflow)):
            m.d.sync += overflow.eq(1)
        m.d.comb += self.overflow.eq(overflow)
        return m
