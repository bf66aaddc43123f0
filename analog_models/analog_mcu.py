"""The analog half of one MCU: ``config.xbar_copies`` crossbars with their ADCs and DACs.

This is the object a co-simulation bridge drives, one bit-step at a time
(:meth:`AnalogMCU.sample`, :meth:`AnalogMCU.opa_step`) or one row at a time
(:meth:`AnalogMCU.serial_read`, :meth:`AnalogMCU.serial_write`), and what the whole-operation
helpers (:meth:`mvm`, :meth:`mtvm`, :meth:`opa`) use. Copy 0 serves MVM, copy 1 (variant 2, 3)
MTVM and copy 2 (variant 3) eager OPAs; which copy does what is the caller's choice.

All random draws come from one ``numpy.random.Generator`` (``config.noise.seed`` unless one is
passed), split with ``Generator.spawn`` into one independent stream per crossbar, ADC and DAC,
so a given seed always gives the same results.
"""

from __future__ import annotations

import numpy as np

from panther.config import PantherConfig

from . import mcu_ops
from .adc import SarAdc
from .crossbar import Crossbar
from .dac import ColumnDac
from .functional_opa import check_opa_model

__all__ = ["AnalogMCU", "SamplePlan"]

_OPS = ("mvm", "mtvm")


class AnalogMCU:
    """Crossbar copies of one MCU plus one SAR ADC and one column-DAC set per copy.

    Parameters
    ----------
    config : PantherConfig
    rng : numpy.random.Generator, optional
        Default ``default_rng(config.noise.seed)``.
    adc_range_mode : {'config', 'calibrated'}
        Passed to every :class:`SarAdc`.

    Members
    -------
    config : PantherConfig
    copies : int                     ``config.xbar_copies``
    xbars : list of Crossbar
    adcs : list of SarAdc
    dacs : list of ColumnDac
    """

    def __init__(self, config, *, rng=None, adc_range_mode="config"):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if rng is None:
            rng = np.random.default_rng(config.noise.seed)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, not {rng!r}")
        self.config = config
        self.copies = config.xbar_copies
        streams = rng.spawn(3 * self.copies)
        self.xbars = [Crossbar(config, rng=streams[3 * c]) for c in range(self.copies)]
        self.adcs = [SarAdc(config, rng=streams[3 * c + 1], range_mode=adc_range_mode)
                     for c in range(self.copies)]
        self.dacs = [ColumnDac(config, rng=streams[3 * c + 2]) for c in range(self.copies)]

    def _copy(self, copy):
        if not (isinstance(copy, (int, np.integer)) and 0 <= copy < self.copies):
            raise ValueError(f"copy must be an integer in [0, {self.copies - 1}], not {copy!r}")
        return int(copy)

    # -- programming ---------------------------------------------------------------------------

    def program(self, weights, copies=None):
        """Program raw weights into the given copies (default: all)."""
        for c in range(self.copies) if copies is None else copies:
            self.xbars[self._copy(c)].program(weights)

    def program_digits(self, digits, copies=None):
        """Program per-slice signed digits ``(n_slices, n, n)`` into the given copies (default:
        all): a state with carries CRS has not resolved, as a previous run left it."""
        for c in range(self.copies) if copies is None else copies:
            self.xbars[self._copy(c)].program_digits(digits)

    def weights(self, copy=0):
        """Raw weights held by ``copy`` (nearest digits)."""
        return self.xbars[self._copy(copy)].weights()

    # -- bit-step interface (what the RTL drives) ----------------------------------------------

    def sample(self, copy, op, drive):
        """One MVM or MTVM bit-step on ``copy`` and its conversion: int64 codes ``(n_slices, n)``."""
        c = self._copy(copy)
        if op not in _OPS:
            raise ValueError(f"op must be one of {_OPS!r}, not {op!r}")
        xbar = self.xbars[c]
        sums = xbar.mvm_step(drive) if op == "mvm" else xbar.mtvm_step(drive)
        return self.adcs[c].convert(sums)

    def plan_samples(self, copy, op, drives):
        """The bit-steps ``drives`` (``(m, n)``) of one MVM or MTVM on ``copy`` computed in one
        go, to be taken one at a time (:class:`SamplePlan`); None when that would differ from
        ``m`` calls of :meth:`sample`: read noise or a noisy ADC, whose draws belong to the
        calls (:meth:`Crossbar.exact_step_sums`, :meth:`SarAdc.convert_exact`)."""
        c = self._copy(copy)
        if op not in _OPS:
            raise ValueError(f"op must be one of {_OPS!r}, not {op!r}")
        sums = self.xbars[c].exact_step_sums(op, drives)
        planned = None if sums is None else self.adcs[c].convert_exact(sums)
        return None if planned is None else SamplePlan(self.xbars[c], self.adcs[c], op, *planned)

    def opa_step(self, copy, row_drive, col_chunks):
        """One OPA bit-step on ``copy``; the chunks go through that copy's column DACs."""
        c = self._copy(copy)
        return self.xbars[c].opa_step(row_drive, self.dacs[c].convert(col_chunks))

    def serial_read(self, copy, k, row):
        """Digits of row ``row`` of slice ``k`` of ``copy`` (int64 ``(cols,)``)."""
        return self.xbars[self._copy(copy)].serial_read(k, row)

    def serial_write(self, copy, k, row, digits):
        """Program-verify write of row ``row`` of slice ``k`` of ``copy``."""
        self.xbars[self._copy(copy)].serial_write(k, row, digits)

    def crs(self, copy):
        """Carry resolution step on ``copy``."""
        self.xbars[self._copy(copy)].crs()

    def copy_to(self, src_copy, dst_copy):
        """Copy every row of every slice from ``src_copy`` to ``dst_copy`` (serial read + write)."""
        src, dst = self.xbars[self._copy(src_copy)], self.xbars[self._copy(dst_copy)]
        if src is dst:
            return
        for k in range(self.config.n_slices):
            for row in range(self.config.xbar_size):
                dst.serial_write(k, row, src.serial_read(k, row))

    # -- whole operations ----------------------------------------------------------------------

    def mvm(self, copy, x_raw):
        """``(y_raw, overflow)`` of a whole MVM on ``copy``."""
        c = self._copy(copy)
        return mcu_ops.mvm(self.xbars[c], self.adcs[c], x_raw)

    def mvm_batch(self, copy, x_batch):
        """``(Y_raw, overflow)`` ``(N, cols)`` of an MVM of every row of ``x_batch`` on ``copy``
        (:func:`mcu_ops.mvm_batch`)."""
        c = self._copy(copy)
        return mcu_ops.mvm_batch(self.xbars[c], self.adcs[c], x_batch)

    def mtvm(self, copy, v_raw):
        """``(z_raw, overflow)`` of a whole MTVM on ``copy``."""
        c = self._copy(copy)
        return mcu_ops.mtvm(self.xbars[c], self.adcs[c], v_raw)

    def opa(self, copy, x_raw, v_raw, *, opa_model="streamed"):
        """A whole OPA on ``copy``; returns the clipped cell updates per slice.

        ``opa_model``: ``"streamed"`` (default, the hardware; the chunks go through the copy's
        column DACs) or ``"functional"`` (paper §6.2; no DAC), see :func:`mcu_ops.opa`.
        """
        c = self._copy(copy)
        dac = self.dacs[c] if check_opa_model(opa_model) == "streamed" else None
        return mcu_ops.opa(self.xbars[c], x_raw, v_raw, dac=dac, opa_model=opa_model)

    # -- accounting ----------------------------------------------------------------------------

    def energy_counts(self):
        """Event counts of every copy in :mod:`analog_models.energy` names.

        One crossbar call covers all slices, so steps are multiplied by ``n_slices``; each
        step drives ``xbar_size`` lines and samples ``xbar_size`` values per slice.
        """
        n, size = self.config.n_slices, self.config.xbar_size
        counts = dict.fromkeys(("mvm_step", "mtvm_step", "opa_step", "adc_conversion",
                                "dac_conversion", "row_drive", "sample_hold", "shift_add",
                                "serial_read_row", "serial_write_row"), 0)
        for xbar, adc, dac in zip(self.xbars, self.adcs, self.dacs):
            ev = xbar.events
            counts["mvm_step"] += n * ev["mvm_steps"]
            counts["mtvm_step"] += n * ev["mtvm_steps"]
            counts["opa_step"] += n * ev["opa_steps"]
            counts["adc_conversion"] += adc.conversions
            counts["shift_add"] += adc.conversions          # one shift-and-add per code
            counts["dac_conversion"] += dac.conversions
            counts["row_drive"] += size * (ev["mvm_steps"] + ev["mtvm_steps"] + ev["opa_steps"])
            counts["sample_hold"] += n * size * (ev["mvm_steps"] + ev["mtvm_steps"])
            counts["serial_read_row"] += ev["serial_reads"]
            counts["serial_write_row"] += ev["serial_writes"]
        return counts


class SamplePlan:
    """Bit-steps of one MVM or MTVM computed ahead (:meth:`AnalogMCU.plan_samples`).

    :meth:`take` counts step ``i`` as :meth:`AnalogMCU.sample` would (crossbar steps, ADC
    conversions and clipped codes) and returns its codes, or None when the crossbar changed
    since the plan was made (then nothing is counted).

    Members
    -------
    codes : numpy.ndarray       int64 ``(m, n_slices, n)``
    """

    def __init__(self, xbar, adc, op, codes, clipped):
        self.xbar, self.adc, self.op = xbar, adc, op
        self.codes, self.clipped = codes, clipped
        self.version = xbar.version

    def take(self, i):
        """Codes of step ``i`` (counted), or None when the plan is stale."""
        if self.xbar.version != self.version:
            return None
        self.xbar.count_steps(self.op)
        self.adc.count(self.codes[i].size, self.clipped[i])
        return self.codes[i]
