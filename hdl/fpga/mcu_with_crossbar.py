"""An MCU whose analog port is served by the digital (ideal) crossbar: a self-contained,
synthesisable MCU for the FPGA and for exact co-simulation."""

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from panther.hdl.mcu import MCU
from panther.hdl.mcu.controller import commit_cycles, crs_cycles, opa_latency, phases, rtl_cycles
from panther.hdl.ports import AnalogOp, XBarBufferSignature

from .cell_port import CellPortSignature
from .digital_crossbar import DigitalCrossbar, answer_latency, check_ideal

__all__ = ["McuWithCrossbar"]


class McuWithCrossbar(wiring.Component):
    """:class:`hdl.mcu.MCU` + :class:`DigitalCrossbar`, joined by their analog port.

    Parameters
    ----------
    config : PantherConfig
        Ideal (see :func:`~hdl.fpga.digital_crossbar.check_ideal`).

    Members
    -------
    start, start_mask, crs, commit, busy, done, overflow, overflow_clear, xin, xout
        The MCU's core port (see :class:`hdl.mcu.MCU`).
    cells : In(CellPortSignature(config))
        The crossbar's host cell port.
    mcu : hdl.mcu.MCU
    xbar : DigitalCrossbar
    widths : McuWidths
    """

    def __init__(self, *, config):
        check_ideal(config)
        self.config = config
        self.mcu = MCU(config=config)
        self.xbar = DigitalCrossbar(config=config)
        self.widths = self.mcu.widths
        super().__init__({
            "start": In(1), "start_mask": In(3), "crs": In(1), "commit": In(1),
            "busy": Out(1), "done": Out(1), "overflow": Out(1), "overflow_clear": In(1),
            "xin": In(XBarBufferSignature(config)), "xout": In(XBarBufferSignature(config)),
            "cells": In(CellPortSignature(config)),
        })

    def rtl_cycles(self, mask):
        """Exact cycles from ``start`` to ``done`` of a request with ``mask``: the MCU's
        :func:`~hdl.mcu.controller.rtl_cycles` for an ideal answer, plus each transaction's
        :func:`~hdl.fpga.digital_crossbar.answer_latency` beyond the ideal one (the controller
        waits for every ``ack``, so each cycle of answer latency adds one)."""
        cfg = self.config
        total = rtl_cycles(cfg, mask)
        for phase in phases(cfg, mask):
            op = AnalogOp(sum(phase))
            if op == AnalogOp.OPA:
                total += answer_latency(cfg, op) - opa_latency(cfg)
            else:
                total += sum(answer_latency(cfg, op, step=s) - 1
                             for s in range(cfg.input_steps))
        return total

    def crs_cycles(self):
        """Exact cycles from ``crs`` to ``done`` (:func:`~hdl.mcu.controller.crs_cycles` with
        the crossbar's READ and WRITE latencies)."""
        return crs_cycles(self.config, latencies=self._serial_latencies())

    def commit_cycles(self):
        """Exact cycles from ``commit`` to ``done`` (:func:`~hdl.mcu.controller.commit_cycles`
        with the crossbar's READ and WRITE latencies)."""
        return commit_cycles(self.config, latencies=self._serial_latencies())

    def _serial_latencies(self):
        return {op: answer_latency(self.config, op) for op in (AnalogOp.READ, AnalogOp.WRITE)}

    def elaborate(self, platform):
        m = Module()
        m.submodules.mcu = mcu = self.mcu
        m.submodules.xbar = xbar = self.xbar
        wiring.connect(m, mcu.analog, xbar.analog)
        wiring.connect(m, wiring.flipped(self.xin), mcu.xin)
        wiring.connect(m, wiring.flipped(self.xout), mcu.xout)
        wiring.connect(m, wiring.flipped(self.cells), xbar.cells)
        m.d.comb += [
            mcu.start.eq(self.start), mcu.start_mask.eq(self.start_mask), mcu.crs.eq(self.crs),
            mcu.commit.eq(self.commit), mcu.overflow_clear.eq(self.overflow_clear),
            self.busy.eq(mcu.busy), self.done.eq(mcu.done), self.overflow.eq(mcu.overflow),
        ]
        return m
