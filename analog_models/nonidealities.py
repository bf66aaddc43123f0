"""Device non-idealities of the ReRAM cells, each switched by a ``NoiseConfig`` field.

All parameters are read from :class:`panther.config.NoiseConfig` (every one 0 = off). A cell
of a ``b``-bit slice holds a conductance *level* ``g`` in ``[0, L]`` with ``L = 2**b - 1``;
digit 0 is the middle level ``2**(b-1)`` (the biased representation, paper §3.1 Fig. 3e). All
magnitudes below are in **levels** (one level = one digit unit). All draws come from the
``numpy.random.Generator`` of the crossbar that owns the cells.

=========================  ================================================================
``program_noise``          std of a Gaussian error added to the target level at every
                           program / serial write (program-verify residue); the result is
                           clipped to ``[0, L]``. Drawn per cell per write.
``read_noise``             std of a Gaussian error on each cell's level at every read. In an
                           MVM/MTVM bit-step the errors of the driven cells of one column add
                           up, so the column sum gets one Gaussian of std
                           ``read_noise * sqrt(number of driven rows)`` (the same
                           distribution, drawn in one go). Serial reads see it per cell and
                           round to the nearest level.
``d2d_update_variation``   device-to-device spread of the OPA update step: each cell's step is
                           multiplied by ``max(0, 1 + d2d * N(0,1))``, drawn once per cell when
                           the crossbar is built.
``c2c_update_variation``   cycle-to-cycle spread: each pulse (OPA bit-step) multiplies each
                           cell's step by ``max(0, 1 + c2c * N(0,1))``, drawn per step.
``stuck_on_rate``          fraction of cells stuck at level ``L`` (digit ``2**(b-1) - 1``),
``stuck_off_rate``         and at level 0 (digit ``-2**(b-1)``); drawn once per cell at build
                           time, disjoint; writes and updates leave them where they are.
``update_nonlinearity``    soft-bounds strength ``s``: a potentiating step is scaled by
                           ``max(0, 1 - s * g / L)``, a depressing step by
                           ``max(0, 1 - s * (L - g) / L)``, so steps shrink towards the edge
                           they move to (``s = 1`` stops them at the edge).
``update_asymmetry``       relative difference ``a`` between potentiation and depression
                           step sizes: up steps are scaled by ``1 + a/2``, down by
                           ``max(0, 1 - a/2)``.
=========================  ================================================================

The ADC (``adc_offset``, ``adc_noise``, ``adc_cap_mismatch``) and DAC (``dac_gain_error``,
``dac_inl``) parameters are documented in :mod:`analog_models.adc` and
:mod:`analog_models.dac`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "draw_stuck_masks", "draw_d2d_gain", "apply_program_noise", "column_read_noise",
    "cell_read_noise", "update_scale", "updates_ideal",
]


def draw_stuck_masks(shape, noise, rng):
    """Boolean masks ``(stuck_on, stuck_off)`` of ``shape``, disjoint; ``None`` when both rates are 0."""
    if noise.stuck_on_rate == 0 and noise.stuck_off_rate == 0:
        return None
    u = rng.random(shape)
    stuck_on = u < noise.stuck_on_rate
    stuck_off = (u >= noise.stuck_on_rate) & (u < noise.stuck_on_rate + noise.stuck_off_rate)
    return stuck_on, stuck_off


def draw_d2d_gain(shape, noise, rng):
    """Per-cell update gain ``max(0, 1 + d2d * N(0,1))``, or ``None`` when switched off."""
    if noise.d2d_update_variation == 0:
        return None
    return np.maximum(0.0, 1.0 + noise.d2d_update_variation * rng.standard_normal(shape))


def apply_program_noise(levels, noise, rng):
    """Target ``levels`` (float array) plus programming noise (a new array; same if off)."""
    if noise.program_noise == 0:
        return levels
    return levels + noise.program_noise * rng.standard_normal(levels.shape)


def column_read_noise(shape, active_rows, noise, rng):
    """Noise of held column sums: ``N(0, read_noise**2 * active_rows)`` of ``shape``, or ``None``."""
    if noise.read_noise == 0 or active_rows == 0:
        return None
    return noise.read_noise * np.sqrt(active_rows) * rng.standard_normal(shape)


def cell_read_noise(levels, noise, rng):
    """``levels`` as read once, cell by cell (a new array; same if off)."""
    if noise.read_noise == 0:
        return levels
    return levels + noise.read_noise * rng.standard_normal(levels.shape)


def updates_ideal(noise):
    """True when every update non-ideality (d2d, c2c, soft bounds, asymmetry) is off."""
    return (noise.d2d_update_variation == 0 and noise.c2c_update_variation == 0
            and noise.update_nonlinearity == 0 and noise.update_asymmetry == 0)


def update_scale(delta, levels, lmax, noise, d2d_gain, rng):
    """The non-ideal step ``delta * scale`` (same shape as ``delta``).

    ``delta`` is the nominal update in levels, ``levels`` the current levels, ``lmax`` the top
    level (broadcastable), ``d2d_gain`` the per-cell gain or ``None``.
    """
    step = np.asarray(delta, dtype=np.float64)
    up = step > 0
    a = noise.update_asymmetry
    if a:
        step = step * np.where(up, 1.0 + a / 2, max(0.0, 1.0 - a / 2))
    s = noise.update_nonlinearity
    if s:
        frac = levels / lmax
        step = step * np.maximum(0.0, 1.0 - s * np.where(up, frac, 1.0 - frac))
    if d2d_gain is not None:
        step = step * d2d_gain
    if noise.c2c_update_variation:
        step = step * np.maximum(0.0, 1.0 + noise.c2c_update_variation * rng.standard_normal(step.shape))
    return step
