"""Successive-approximation (SAR) ADC converting held column (or row) sums to signed codes.

A converter has ``B = config.adc_code_bits`` bits and produces signed codes in
``[-2**(B-1), 2**(B-1) - 1]``. One code LSB is ``2**lsb_shift`` digit units, with

* ``range_mode='config'`` (default): ``lsb_shift = config.adc_lsb_shift``
  (``adc_ideal_bits - B``; 0 when ``adc_bits = 0``), the contract of ``docs/semantics.md``;
* ``range_mode='calibrated'``: the full scale is the worst-case column sum
  ``xbar_size * 2**(max(slice_bits)-1)``, so ``lsb_shift = log2(worst) - (B-1)`` (not below 0).
  This gains one bit of resolution and clips only the single most positive worst case.

Conversion = clipping + quantisation: ``code = clip(floor(s / LSB + 1/2), low, high)`` (round
half up, as everywhere in the project). With ``adc_bits = 0`` and no ADC non-ideality this is
exact: integer sums come back unchanged.

Non-idealities (``config.noise``, all in code LSB, 0 = off; the model then runs the actual
successive-approximation loop, vectorised over all samples, one comparison per bit):

``adc_offset``        std of the comparator offset, drawn once per instance;
``adc_noise``         std of the comparator noise, drawn per comparison;
``adc_cap_mismatch``  relative std of one unit capacitor of the binary-weighted array; the
                      ``2**b``-unit capacitor of bit ``b`` gets a relative error of
                      ``adc_cap_mismatch / sqrt(2**b)``, drawn once per instance.

Latency (cycles per conversion) is ``config.adc_latency``; energy per conversion comes from
:func:`analog_models.energy.adc_energy_pj` at ``B`` bits.
"""

from __future__ import annotations

import numpy as np

from panther.config import PantherConfig

from .energy import adc_energy_pj

__all__ = ["SarAdc"]

_RANGE_MODES = ("config", "calibrated")


class SarAdc:
    """A SAR ADC (one instance models the converters of one crossbar copy).

    Parameters
    ----------
    config : PantherConfig
    rng : numpy.random.Generator, optional
        Source of the offset/mismatch/noise draws; default ``default_rng(config.noise.seed)``.
    range_mode : {'config', 'calibrated'}
        How the input range is set (see the module docstring).

    Members
    -------
    bits : int                 code width ``config.adc_code_bits``
    lsb_shift : int            log2 of one code LSB in digit units
    lsb : float                ``2.0 ** lsb_shift``
    code_min, code_max : int
    latency_cycles : int       ``config.adc_latency`` (one conversion)
    cycles_per_step : int      cycles to convert one bit-step of every slice: the
                               ``xbar_size`` values of a slice share ``adcs_per_xbar``
                               converters through a mux, slices convert in parallel
    energy_per_conversion : float   pJ
    offset : float             comparator offset drawn for this instance (LSB)
    cap_weights : numpy.ndarray     actual weight of each bit's capacitor (LSB), LSB first
    conversions, clipped : int      counters (samples converted, samples clipped)
    """

    def __init__(self, config, *, rng=None, range_mode="config"):
        if not isinstance(config, PantherConfig):
            raise TypeError(f"config must be a PantherConfig, not {config!r}")
        if range_mode not in _RANGE_MODES:
            raise ValueError(f"range_mode must be one of {_RANGE_MODES!r}, not {range_mode!r}")
        if rng is None:
            rng = np.random.default_rng(config.noise.seed)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, not {rng!r}")
        self.config = config
        self.rng = rng
        self.range_mode = range_mode
        self.bits = config.adc_code_bits
        if range_mode == "config":
            self.lsb_shift = config.adc_lsb_shift
        else:
            worst_log2 = (config.xbar_size.bit_length() - 1) + max(config.slice_bits) - 1
            self.lsb_shift = max(0, worst_log2 - (self.bits - 1))
        self.lsb = float(2 ** self.lsb_shift)
        self.code_min = -(1 << (self.bits - 1))
        self.code_max = (1 << (self.bits - 1)) - 1
        self.latency_cycles = config.adc_latency
        self.cycles_per_step = config.xbar_size // config.adcs_per_xbar * config.adc_latency
        self.energy_per_conversion = adc_energy_pj(self.bits)
        noise = config.noise
        self._noise_std = float(noise.adc_noise)
        self.offset = float(noise.adc_offset * rng.standard_normal()) if noise.adc_offset else 0.0
        nominal = 2.0 ** np.arange(self.bits)
        if noise.adc_cap_mismatch:
            rel = noise.adc_cap_mismatch / np.sqrt(nominal) * rng.standard_normal(self.bits)
            self.cap_weights = nominal * (1.0 + rel)
        else:
            self.cap_weights = nominal
        self._exact = not (noise.adc_noise or noise.adc_offset or noise.adc_cap_mismatch)
        self.conversions = 0
        self.clipped = 0

    def convert(self, samples):
        """Codes (int64, same shape) of held sums ``samples`` (digit units)."""
        x = np.asarray(samples, dtype=np.float64) / self.lsb
        self.conversions += x.size
        # Rounded once: floor(x + 1/2) > code_max iff x + 1/2 >= code_max + 1 (integer bounds).
        rounded = np.floor(x + 0.5)
        self.clipped += (int(np.count_nonzero(rounded > self.code_max))
                         + int(np.count_nonzero(rounded < self.code_min)))
        if self._exact:
            return np.clip(rounded, self.code_min, self.code_max).astype(np.int64)
        return self._successive_approximation(x)

    def convert_exact(self, samples):
        """``(codes, clipped)`` of samples ``(m, ...)`` as ``m`` calls of :meth:`convert` would
        give them, ``clipped`` int64 ``(m,)`` the clipped codes of each, WITHOUT counting the
        conversions (:meth:`count`); None when the converter is not exact (its noise draws
        belong to the calls)."""
        if not self._exact:
            return None
        x = np.asarray(samples, dtype=np.float64) / self.lsb
        rounded = np.floor(x + 0.5).reshape(len(x), -1)
        clipped = ((rounded > self.code_max).sum(axis=1)
                   + (rounded < self.code_min).sum(axis=1)).astype(np.int64)
        codes = np.clip(rounded, self.code_min, self.code_max).astype(np.int64)
        return codes.reshape(x.shape), clipped

    def count(self, conversions, clipped):
        """Count ``conversions`` samples, ``clipped`` of them clipped (see :meth:`convert_exact`)."""
        self.conversions += int(conversions)
        self.clipped += int(clipped)

    def _successive_approximation(self, x):
        # Offset-binary SAR: find the unsigned code u in [0, 2**B - 1] such that the capacitor
        # DAC voltage of u is the largest not above x + 2**(B-1) + 1/2 (round half up).
        target = x + (1 << (self.bits - 1)) + 0.5 + self.offset
        code = np.zeros(x.shape, dtype=np.int64)
        dac = np.zeros(x.shape, dtype=np.float64)
        for b in range(self.bits - 1, -1, -1):
            trial = dac + self.cap_weights[b]
            compare = target
            if self._noise_std:
                compare = target + self._noise_std * self.rng.standard_normal(x.shape)
            keep = compare >= trial
            dac = np.where(keep, trial, dac)
            code |= keep.astype(np.int64) << b
        return code + self.code_min
