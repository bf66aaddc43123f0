"""Input drivers of the crossbar: the 1-bit row driver and the ``p``-bit column DAC.

Power of an ``N``-bit capacitive DAC follows the paper's Eq. 5 (§3.1):

    P = beta * (2**N / N + 1) * V**2 * f

so one conversion costs ``P / f = beta * (2**N / N + 1) * V**2`` (``beta`` and ``V`` in
:mod:`analog_models.energy`, with their sources). With ``m = 1`` input bit per step the row
DAC is an inverter (``N = 1``); the OPA column DAC has ``N = config.nominal_bits`` bits.

Column-DAC non-idealities (``config.noise``, 0 = off), drawn once per instance:

``dac_gain_error``  std of the relative gain error of each column DAC (one per slice and
                    column): output ``= code * (1 + e)``, ``e ~ N(0, dac_gain_error**2)``;
``dac_inl``         std of the integral non-linearity of each DAC, in LSB, per code
                    magnitude (0 at code 0 and at full scale, end-point definition).

The output of :meth:`ColumnDac.convert` is the pulse amplitude in digit units (a float when a
non-ideality is on, the integer chunk otherwise), ready for :meth:`Crossbar.opa_step`.
"""

from __future__ import annotations

import numpy as np

from panther.config import PantherConfig

from .energy import DAC_BETA_F, VDD, dac_energy_pj

__all__ = ["dac_power_w", "RowDriver", "ColumnDac"]


def dac_power_w(bits, *, f_hz, beta=DAC_BETA_F, vdd=VDD):
    """Eq. 5: power (W) of an ``bits``-bit DAC converting at ``f_hz``."""
    if not (isinstance(bits, int) and bits >= 1):
        raise ValueError(f"DAC bits must be a positive integer, not {bits!r}")
    if not f_hz > 0:
        raise ValueError(f"f_hz must be positive, not {f_hz!r}")
    return beta * (2 ** bits / bits + 1) * vdd ** 2 * f_hz


def _check(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    return config


class RowDriver:
    """The 1-bit row (or MTVM column) driver: an inverter pair giving -V, 0 or +V.

    Parameters
    ----------
    config : PantherConfig

    Members
    -------
    bits : int                  always 1
    energy_per_drive : float    pJ per driven line and step (Eq. 5, N = 1)
    power_w : float             Eq. 5 at ``config.clock_mhz``
    """

    bits = 1

    def __init__(self, config):
        self.config = _check(config)
        self.energy_per_drive = dac_energy_pj(1)
        self.power_w = dac_power_w(1, f_hz=config.clock_mhz * 1e6)

    def drive(self, drive):
        """Line voltages in units of V (the driver is ideal: the input itself, as float)."""
        return np.asarray(drive, dtype=np.float64)


class ColumnDac:
    """The ``p``-bit column DACs of one crossbar (one per slice and column) used by OPA.

    Parameters
    ----------
    config : PantherConfig
    rng : numpy.random.Generator, optional
        Source of the gain/INL draws; default ``default_rng(config.noise.seed)``.

    Members
    -------
    bits : int                      ``config.nominal_bits``
    energy_per_conversion : float   pJ (Eq. 5, N = bits)
    power_w : float                 Eq. 5 at ``config.clock_mhz``
    gain : numpy.ndarray or None    ``(n_slices, cols)`` relative gains
    inl : numpy.ndarray or None     ``(n_slices, cols, 2**bits)`` INL per code magnitude (LSB)
    ideal : bool
    conversions : int               counter
    """

    def __init__(self, config, *, rng=None):
        self.config = _check(config)
        if rng is None:
            rng = np.random.default_rng(config.noise.seed)
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator or None, not {rng!r}")
        self.bits = config.nominal_bits
        self.energy_per_conversion = dac_energy_pj(self.bits)
        self.power_w = dac_power_w(self.bits, f_hz=config.clock_mhz * 1e6)
        noise = config.noise
        shape = (config.n_slices, config.xbar_size)
        self.gain = (1.0 + noise.dac_gain_error * rng.standard_normal(shape)) if noise.dac_gain_error else None
        if noise.dac_inl:
            inl = noise.dac_inl * rng.standard_normal(shape + (1 << self.bits,))
            inl[..., 0] = 0.0
            inl[..., -1] = 0.0
            self.inl = inl
        else:
            self.inl = None
        self.ideal = self.gain is None and self.inl is None
        self.conversions = 0

    def convert(self, chunks):
        """Amplitudes (digit units) of signed chunk codes ``(n_slices, cols)``."""
        chunks = np.asarray(chunks)
        expected = (self.config.n_slices, self.config.xbar_size)
        if chunks.shape != expected:
            raise ValueError(f"chunks must have shape {expected!r}, not {chunks.shape!r}")
        limit = (1 << self.bits) - 1
        if chunks.size and np.abs(chunks).max() > limit:
            raise ValueError(f"chunks must lie in [-{limit}, {limit}], not {chunks!r}")
        self.conversions += chunks.size
        if self.ideal:
            return chunks
        mag = np.abs(chunks).astype(np.int64)
        out = mag.astype(np.float64)
        if self.gain is not None:
            out = out * self.gain
        if self.inl is not None:
            out = out + np.take_along_axis(self.inl, mag[..., None], axis=-1)[..., 0]
        return np.sign(chunks) * out
