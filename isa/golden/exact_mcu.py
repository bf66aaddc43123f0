"""The exact (golden) MCU: per-slice integer digits and exact integer MVM / MTVM / OPA / CRS.

This is the reference of docs/semantics.md §2-§3, written plainly: MVM and MTVM are exact
integer products with the weights ``sum_k d_k << (p*k)`` rounded once and saturated; OPA
loops over the input bit-steps and the slices and clips every slice's digits after every
step. Any object with the same methods (``program``, ``mvm``, ``mtvm``, ``opa``, ``crs``,
``commit``, ``digits``, ``weights``) can replace it in the golden tile (see
:mod:`isa.golden.tile`).

Copies (:mod:`isa.variants`): in exact arithmetic every copy an operation updates holds the
same digits, so one array stands for copies 0 and 1. Variant 3 has a second array for its
third copy, which ``opa`` and ``crs`` update (the core calls them eagerly there) and
``commit`` copies into the first two.
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import canonical_digits, round_shift, saturate, weights_from_digits

__all__ = ["ExactMCU", "opa_update"]


def _signed_bits(raw):
    """Sign-magnitude split of raw data words: (magnitude int64, sign int64 in {-1,0,1})."""
    raw = np.asarray(raw, dtype=np.int64)
    return np.abs(raw), np.sign(raw)


def opa_update(digits, x_raw, v_raw, config):
    """Return the digits after the per-step, per-slice clipped OPA ``G[i,j] += x_i v_j``.

    Parameters
    ----------
    digits : numpy.ndarray int64 (n_slices, rows, cols)
    x_raw : array_like int (rows,)
        Row input (XBarIn), streamed one magnitude bit per step as the pulse width.
    v_raw : array_like int (cols,)
        Column input (XBarOut), shifted left by the step number and cut into
        ``nominal_bits`` chunks, chunk ``k`` driving slice ``k``.
    config : panther.config.PantherConfig
    """
    p = config.nominal_bits
    digits = np.array(digits, dtype=np.int64, copy=True)
    x_mag, x_sign = _signed_bits(x_raw)
    v_mag, v_sign = _signed_bits(v_raw)
    chunk_mask = (1 << p) - 1
    # Every slice at once (each clips on its own range): shape (n_slices, 1, 1) bounds.
    ranges = np.array([config.digit_range(k) for k in range(config.n_slices)], dtype=np.int64)
    low, high = ranges[:, 0, None, None], ranges[:, 1, None, None]
    shifts = p * np.arange(config.n_slices, dtype=np.int64)[:, None]
    for n in range(config.input_steps):
        drive = ((x_mag >> n) & 1) * x_sign
        if not drive.any():
            continue
        chunks = v_sign * (((v_mag << n)[None, :] >> shifts) & chunk_mask)    # (slices, cols)
        digits += drive[None, :, None] * chunks[:, None, :]
        np.clip(digits, low, high, out=digits)
    return digits


class ExactMCU:
    """One MCU of the golden model (ideal, exact integer arithmetic).

    Parameters
    ----------
    config : panther.config.PantherConfig
    weights : array_like of int, optional
        Raw Q8.24 weights (xbar_size, xbar_size) programmed as canonical digits (default 0).

    Members
    -------
    config : panther.config.PantherConfig
    inexact_updates : int
        Cells whose OPA update was not exactly ``x_i v_j`` because a slice clipped.
    """

    def __init__(self, *, config, weights=None):
        self.config = config
        n = config.xbar_size
        self._digits = np.zeros((config.n_slices, n, n), dtype=np.int64)
        self._learning = self._digits.copy() if config.variant == 3 else None
        self.inexact_updates = 0
        if weights is not None:
            self.program(weights)

    def program(self, weights):
        """Write raw weights as canonical digits (docs/semantics.md §2)."""
        weights = np.asarray(weights, dtype=np.int64)
        n = self.config.xbar_size
        if weights.shape != (n, n):
            raise ValueError(f"weights must have shape {(n, n)}, not {weights.shape}")
        self._digits = canonical_digits(weights, self.config)
        self._reset_learning()

    def _reset_learning(self):
        if self._learning is not None:
            self._learning = self._digits.copy()

    def set_digits(self, digits):
        """Load per-slice digits directly (n_slices, rows, cols); each must be in its range."""
        c = self.config
        digits = np.array(digits, dtype=np.int64)
        shape = (c.n_slices, c.xbar_size, c.xbar_size)
        if digits.shape != shape:
            raise ValueError(f"digits must have shape {shape}, not {digits.shape}")
        for k in range(c.n_slices):
            low, high = c.digit_range(k)
            if digits[k].min() < low or digits[k].max() > high:
                raise ValueError(f"slice {k} digits must be in {low}..{high}, not "
                                 f"{digits[k].min()}..{digits[k].max()}")
        self._digits = digits
        self._reset_learning()

    def digits(self):
        """Per-slice digits, int64 (n_slices, rows, cols), LSB slice first (a copy)."""
        return self._digits.copy()

    def weights(self):
        """Raw weights ``sum_k d_k << (p*k)``, int64 (rows, cols)."""
        return weights_from_digits(self._digits, self.config)

    def _product(self, acc):
        c = self.config
        return saturate(round_shift(acc, c.weight_frac_bits), c.data_bits)

    def mvm(self, x_raw):
        """``y = W^T x`` (rows driven, columns sensed): returns (y int64 (cols,), overflow)."""
        x = np.asarray(x_raw, dtype=np.int64)
        return self._product(x @ self.weights())

    def mtvm(self, v_raw):
        """``z = W v`` (columns driven, rows sensed; a true transpose): (z (rows,), overflow)."""
        v = np.asarray(v_raw, dtype=np.int64)
        return self._product(self.weights() @ v)

    def _updated(self):
        return self._digits if self._learning is None else self._learning

    def _set_updated(self, digits):
        if self._learning is None:
            self._digits = digits
        else:
            self._learning = digits

    def opa(self, x_raw, v_raw):
        """Apply ``G[i,j] += x_i v_j`` with per-step, per-slice clipping to the copies OPA
        updates, now."""
        x = np.asarray(x_raw, dtype=np.int64)
        v = np.asarray(v_raw, dtype=np.int64)
        old = self._updated()
        new = opa_update(old, x, v, self.config)
        inexact = (weights_from_digits(new, self.config) - weights_from_digits(old, self.config)
                   != np.outer(x, v))
        self.inexact_updates += int(np.count_nonzero(inexact))
        self._set_updated(new)

    def crs(self):
        """Carry resolution of the copies OPA updates: canonical digits of every weight."""
        self._set_updated(canonical_digits(weights_from_digits(self._updated(), self.config),
                                           self.config))

    def commit(self):
        """Variant 3: copy the third crossbar into the first two (a no-op on variants 1-2)."""
        if self._learning is not None:
            self._digits = self._learning.copy()
