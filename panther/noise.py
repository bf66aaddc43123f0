"""Analog non-idealities of a configuration (:class:`NoiseConfig`, the ``noise`` field of
:class:`panther.config.PantherConfig`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .checks import check as _check
from .checks import is_int as _is_int
from .checks import short as _short

__all__ = ["NoiseConfig"]


@dataclass(frozen=True, kw_only=True)
class NoiseConfig:
    """Analog non-idealities. Every parameter defaults to 0 (ideal, switched off).

    The behavioural models in ``analog_models/`` document the exact meaning of each
    parameter; all random draws come from ``numpy.random.default_rng(seed)``.

    Members
    -------
    seed : int
        Seed of every random generator of the analog models.
    program_noise : float
        Standard deviation of the programming (write) error, in cell levels.
    read_noise : float
        Standard deviation of the read noise per cell and read, in cell levels.
    d2d_update_variation : float
        Device-to-device spread of the update step, relative (drawn once per cell).
    c2c_update_variation : float
        Cycle-to-cycle spread of the update step, relative (drawn per pulse).
    stuck_on_rate, stuck_off_rate : float
        Fraction of cells stuck at the highest / lowest conductance level.
    update_nonlinearity : float
        Soft-bounds strength: the update step shrinks towards the edge of the range it moves to.
    update_asymmetry : float
        Relative difference between potentiation and depression step sizes.
    adc_offset, adc_noise : float
        Standard deviation of the comparator offset (per instance) and noise (per
        conversion), in ADC LSB.
    adc_cap_mismatch : float
        Relative standard deviation of the SAR capacitor array.
    dac_gain_error, dac_inl : float
        Relative gain error and integral non-linearity of the column DAC.
    """

    seed: int = 0
    program_noise: float = 0.0
    read_noise: float = 0.0
    d2d_update_variation: float = 0.0
    c2c_update_variation: float = 0.0
    stuck_on_rate: float = 0.0
    stuck_off_rate: float = 0.0
    update_nonlinearity: float = 0.0
    update_asymmetry: float = 0.0
    adc_offset: float = 0.0
    adc_noise: float = 0.0
    adc_cap_mismatch: float = 0.0
    dac_gain_error: float = 0.0
    dac_inl: float = 0.0

    def __post_init__(self):
        largest = 1e3       # of every parameter but the seed (far beyond any physical value)
        _check(_is_int(self.seed) and 0 <= self.seed < 2 ** 64,
               f"noise.seed must be an integer from 0 to 2**64 - 1, not {_short(self.seed)}")
        for f in dataclasses.fields(self):
            if f.name == "seed":
                continue
            value = getattr(self, f.name)
            _check(isinstance(value, (int, float)) and not isinstance(value, bool)
                   and math.isfinite(value) and 0 <= value <= largest,
                   f"noise.{f.name} must be a number from 0 to {largest:g}, not {_short(value)}")
        for name in ("stuck_on_rate", "stuck_off_rate"):
            _check(getattr(self, name) <= 1, f"noise.{name} must be <= 1, not {getattr(self, name)!r}")
        _check(self.stuck_on_rate + self.stuck_off_rate <= 1,
               "noise.stuck_on_rate + noise.stuck_off_rate must be <= 1, not "
               f"{self.stuck_on_rate + self.stuck_off_rate!r}")

    @property
    def ideal(self):
        """True when every non-ideality is switched off."""
        return all(getattr(self, f.name) == 0 for f in dataclasses.fields(self) if f.name != "seed")
