"""One bit-sliced ReRAM crossbar: all the slices that together hold a weight matrix.

Slice ``k`` (0 = least significant) is a ``xbar_size x xbar_size`` array of cells with
``b_k = config.slice_bits_lsb_first[k]`` bits: ``2**b_k`` conductance levels, level
``2**(b_k-1)`` being digit 0 (biased zero, paper §3.1 Fig. 3e), so a cell holds the signed digit
``level - 2**(b_k-1)``. Levels are kept as float64 so that programming noise, read noise and
non-ideal updates can leave a cell between levels; in ideal mode they stay integers and every
operation is exact (sums of at most ``xbar_size * 2**7`` fit a float64 mantissa many times
over). See ``docs/semantics.md`` §2-§3 and ``docs/analog_models.md``.
"""

from __future__ import annotations

import numpy as np

from panther.config import PantherConfig
from panther.fixed_point import canonical_digits, weights_from_digits

from . import nonidealities as ni

__all__ = ["Crossbar"]


def _check_config(config):
    if not isinstance(config, PantherConfig):
        raise TypeError(f"config must be a PantherConfig, not {config!r}")
    return config


def _make_rng(config, rng):
    if rng is None:
        return np.random.default_rng(config.noise.seed)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None, not {rng!r}")
    return rng


class Crossbar:
    """All the slices of one crossbar, with MVM, MTVM, OPA, serial access and CRS.

    Parameters
    ----------
    config : PantherConfig
        Size, slicing and non-idealities (``config.noise``).
    rng : numpy.random.Generator, optional
        Source of every random draw; default ``default_rng(config.noise.seed)``.

    Members
    -------
    config : PantherConfig
    n_slices, size : int
    bits : tuple of int
        Physical bits per slice, LSB slice first.
    events : dict[str, int]
        Counters: ``mvm_steps``, ``mtvm_steps``, ``opa_steps`` (calls, each covering every
        slice), ``opa_adds`` (functional OPAs, :meth:`opa_add`), ``serial_reads``,
        ``serial_writes`` (rows of one slice), ``programs``,
        ``crs``, ``saturations`` (cell updates clipped at a slice edge).
    version : int
        Incremented at every change of the levels (a cache of results is valid while it stays
        the same).
    saturation_events : numpy.ndarray
        int64 ``(n_slices,)``: clipped cell updates per slice since construction.
    """

    def __init__(self, config, *, rng=None):
        self.config = _check_config(config)
        self.rng = _make_rng(config, rng)
        self.noise = config.noise
        self.n_slices = config.n_slices
        self.size = config.xbar_size
        self.bits = config.slice_bits_lsb_first
        shape = (self.n_slices, self.size, self.size)
        self._bias = np.array([1 << (b - 1) for b in self.bits], dtype=np.float64)[:, None, None]
        self._lmax = np.array([(1 << b) - 1 for b in self.bits], dtype=np.float64)[:, None, None]
        self._low = np.array([config.digit_range(k)[0] for k in range(self.n_slices)], dtype=np.int64)
        self._high = np.array([config.digit_range(k)[1] for k in range(self.n_slices)], dtype=np.int64)
        # per slice as Python ints, for the row accesses' scalar arithmetic
        self._row_bias = [1 << (b - 1) for b in self.bits]
        self._row_range = [config.digit_range(k) for k in range(self.n_slices)]
        self._levels = np.broadcast_to(self._bias, shape).copy()
        stuck = ni.draw_stuck_masks(shape, self.noise, self.rng)
        if stuck is None:
            self._stuck = None
        else:
            on, off = stuck
            self._stuck = on | off
            self._stuck_levels = np.where(on, np.broadcast_to(self._lmax, shape), 0.0)[self._stuck]
        self._d2d = ni.draw_d2d_gain(shape, self.noise, self.rng)
        self._ideal_updates = ni.updates_ideal(self.noise)
        self._mvm_mat = None
        self._mtvm_mat = None
        self._step_mats = None
        self.version = 0
        self.events = {"mvm_steps": 0, "mtvm_steps": 0, "opa_steps": 0, "serial_reads": 0,
                       "serial_writes": 0, "programs": 0, "crs": 0, "saturations": 0, "opa_adds": 0}
        self.saturation_events = np.zeros(self.n_slices, dtype=np.int64)
        self._apply_stuck()

    # -- internal state ----------------------------------------------------------------------

    def _apply_stuck(self):
        if self._stuck is not None:
            self._levels[self._stuck] = self._stuck_levels
        self.version += 1
        self._mvm_mat = None
        self._mtvm_mat = None
        self._step_mats = None

    def _set_levels(self, levels):
        self._levels = np.clip(levels, 0.0, self._lmax)
        self._apply_stuck()

    def _matrices(self):
        if self._mvm_mat is None:
            d = self._levels - self._bias                    # (k, i, j) digit values
            n, s = self.n_slices, self.size
            self._mvm_mat = np.ascontiguousarray(d.transpose(1, 0, 2)).reshape(s, n * s)
            self._mtvm_mat = np.ascontiguousarray(d.transpose(2, 0, 1)).reshape(s, n * s)
        return self._mvm_mat, self._mtvm_mat

    def _step_matrices(self):
        """The matrices of one bit-step: float32 copies (half the memory to stream) when every
        digit value is an integer small enough that each product with a drive in {-1, 0, +1}
        and every partial sum is an integer below ``2**24``, exact in float32 in any order, so
        the float64 result equals the float64 product's (up to the sign of a zero sum, which
        no conversion sees); else the float64 matrices (noisy levels)."""
        if self._step_mats is None:
            mats = self._matrices()
            mvm = mats[0]
            exact = (float(np.abs(mvm).max(initial=0.0)) * self.size < 2.0 ** 24
                     and bool(np.all(mvm == np.rint(mvm))))
            self._step_mats = tuple(m.astype(np.float32) for m in mats) if exact else mats
        return self._step_mats

    def levels(self):
        """A copy of the conductance levels, float64 ``(n_slices, rows, cols)``."""
        return self._levels.copy()

    def _check_drive(self, drive, name):
        drive = np.asarray(drive)
        if drive.shape != (self.size,):
            raise ValueError(f"{name} must have shape ({self.size},), not {drive.shape!r}")
        if drive.dtype.kind in "iu":     # integers: two reductions (the co-simulation's case)
            bad = drive.min() < -1 or drive.max() > 1
        else:
            bad = np.any((drive != 0) & (drive != 1) & (drive != -1))
        if bad:
            raise ValueError(f"{name} values must be -1, 0 or +1, not {drive!r}")
        return drive

    # -- programming and views ---------------------------------------------------------------

    def program(self, weights):
        """Program raw weights (int ``(rows, cols)``) as canonical digits, through program-verify.

        Weights outside the representable range saturate (``canonical_digits``); programming
        noise and stuck cells apply if configured.
        """
        weights = np.asarray(weights)
        if weights.shape != (self.size, self.size):
            raise ValueError(f"weights must have shape ({self.size}, {self.size}), not {weights.shape!r}")
        if not np.issubdtype(weights.dtype, np.integer):
            raise ValueError(f"weights must be raw integers, not dtype {weights.dtype}")
        digits = canonical_digits(weights.astype(np.int64), self.config)
        self.program_digits(digits)
        self.events["programs"] += 1

    def program_digits(self, digits):
        """Program every slice with the given signed digits (int ``(n_slices, rows, cols)``)."""
        digits = np.asarray(digits)
        if digits.shape != self._levels.shape:
            raise ValueError(f"digits must have shape {self._levels.shape!r}, not {digits.shape!r}")
        self._check_digit_range(digits, self._low[:, None, None], self._high[:, None, None])
        target = digits.astype(np.float64) + self._bias
        self._set_levels(ni.apply_program_noise(target, self.noise, self.rng))

    @staticmethod
    def _check_digit_range(digits, low, high):
        if np.any(digits < low) or np.any(digits > high):
            raise ValueError(f"digits out of the slice range [{np.min(low)}..{np.max(high)}] "
                             f"(per slice {low.ravel().tolist()}..{high.ravel().tolist()}): "
                             f"min {int(np.min(digits))}, max {int(np.max(digits))}")

    def digits(self):
        """Nearest signed digits, int64 ``(n_slices, rows, cols)`` (ideal view, no read noise)."""
        nearest = np.floor(self._levels + 0.5).astype(np.int64)
        return np.clip(nearest - self._bias.astype(np.int64),
                       self._low[:, None, None], self._high[:, None, None])

    def weights(self):
        """Raw weights ``sum_k digits[k] << (p*k)``, int64 ``(rows, cols)``."""
        return weights_from_digits(self.digits(), self.config)

    def saturated_cells(self):
        """Cells currently at an edge of their slice range, int64 ``(n_slices,)``."""
        d = self.digits()
        at_edge = (d == self._low[:, None, None]) | (d == self._high[:, None, None])
        return at_edge.sum(axis=(1, 2)).astype(np.int64)

    # -- MVM / MTVM ----------------------------------------------------------------------------

    def mvm_step(self, drive):
        """One MVM bit-step: rows driven with ``drive`` (``(rows,)`` in {-1,0,1}).

        Returns the held column sums ``s[k, j] = sum_i drive[i] * d_k[i, j]``, float64
        ``(n_slices, cols)`` in digit units, with read noise if configured.
        """
        drive = self._check_drive(drive, "drive")
        mvm, _ = self._step_matrices()
        sums = (drive.astype(mvm.dtype) @ mvm).astype(np.float64).reshape(self.n_slices, self.size)
        self.events["mvm_steps"] += 1
        return self._add_read_noise(sums, drive)

    def mvm_steps(self, drives):
        """Many MVM bit-steps at once: ``drives`` ``(m, rows)`` in {-1,0,1}, one step per row.

        Returns the held column sums of each step, float64 ``(m, n_slices, cols)``, as ``m``
        calls of :meth:`mvm_step` would (read noise drawn for all steps in one go).
        """
        drives = np.asarray(drives)
        if drives.ndim != 2 or drives.shape[1] != self.size:
            raise ValueError(f"drives must have shape (m, {self.size}), not {drives.shape!r}")
        if np.any((drives != 0) & (drives != 1) & (drives != -1)):
            raise ValueError("drives values must be -1, 0 or +1")
        mvm, _ = self._matrices()
        sums = (drives.astype(np.float64) @ mvm).reshape(len(drives), self.n_slices, self.size)
        self.events["mvm_steps"] += len(drives)
        if self.noise.read_noise:
            active = np.count_nonzero(drives, axis=1).astype(np.float64)
            sums = sums + (self.noise.read_noise * np.sqrt(active)[:, None, None]
                           * self.rng.standard_normal(sums.shape))
        return sums

    def mtvm_step(self, drive):
        """One MTVM bit-step: columns driven (``(cols,)``), rows sensed (a true transpose).

        Returns ``s[k, i] = sum_j d_k[i, j] * drive[j]``, float64 ``(n_slices, rows)``.
        """
        drive = self._check_drive(drive, "drive")
        _, mtvm = self._step_matrices()
        sums = (drive.astype(mtvm.dtype) @ mtvm).astype(np.float64).reshape(self.n_slices, self.size)
        self.events["mtvm_steps"] += 1
        return self._add_read_noise(sums, drive)

    def exact_step_sums(self, op, drives):
        """The held sums of many MVM (``op="mvm"``) or MTVM bit-steps, float64 ``(m, n_slices,
        size)`` for ``drives`` ``(m, size)`` in {-1,0,1}, WITHOUT counting them
        (:meth:`count_steps` counts the steps used), or None with read noise (its draws
        belong to the steps). Each step is the same vector-matrix product on the same
        matrix as in :meth:`mvm_step` / :meth:`mtvm_step`, so the sums are theirs bit for
        bit; the steps run back to back while the matrix is in the cache."""
        if self.noise.read_noise:
            return None
        mvm, mtvm = self._step_matrices()
        mat = mvm if op == "mvm" else mtvm
        drives = np.asarray(drives)
        if drives.ndim != 2 or drives.shape[1] != self.size:
            raise ValueError(f"drives must have shape (m, {self.size}), not {drives.shape!r}")
        if drives.size and (drives.min() < -1 or drives.max() > 1):
            raise ValueError("drives values must be -1, 0 or +1")
        sums = np.empty((len(drives), mat.shape[1]), dtype=np.float64)
        for i, drive in enumerate(drives.astype(mat.dtype)):
            sums[i] = drive @ mat
        return sums.reshape(len(drives), self.n_slices, self.size)

    def count_steps(self, op, count=1):
        """Count ``count`` MVM or MTVM bit-steps (those of :meth:`exact_step_sums` used)."""
        self.events[f"{op}_steps"] += count

    def _add_read_noise(self, sums, drive):
        if self.noise.read_noise:
            noise = ni.column_read_noise(sums.shape, int(np.count_nonzero(drive)), self.noise, self.rng)
            if noise is not None:
                sums = sums + noise
        return sums

    # -- OPA -----------------------------------------------------------------------------------

    def opa_step(self, row_drive, col_chunks):
        """One OPA bit-step: ``d_k[i, j] += row_drive[i] * col_chunks[k, j]``, clipped per slice.

        ``row_drive``: ``(rows,)`` in {-1,0,1} (pulse width and polarity); ``col_chunks``:
        ``(n_slices, cols)`` signed chunk amplitudes in ``[-(2**p-1), 2**p-1]`` (integers, or
        floats from a non-ideal column DAC). Non-ideal updates apply if configured. Returns the
        number of cell updates clipped at a slice edge in this step, per slice (int64).
        """
        row_drive = self._check_drive(row_drive, "row_drive")
        col_chunks = np.asarray(col_chunks)
        if col_chunks.shape != (self.n_slices, self.size):
            raise ValueError(f"col_chunks must have shape ({self.n_slices}, {self.size}), "
                             f"not {col_chunks.shape!r}")
        limit = (1 << self.config.nominal_bits) - 1
        if np.issubdtype(col_chunks.dtype, np.integer) and col_chunks.size and np.abs(col_chunks).max() > limit:
            raise ValueError(f"col_chunks must lie in [-{limit}, {limit}], not {col_chunks!r}")
        self.events["opa_steps"] += 1
        rows = np.flatnonzero(row_drive)
        if rows.size == 0:
            return np.zeros(self.n_slices, dtype=np.int64)
        delta = row_drive[rows].astype(np.float64)[None, :, None] * col_chunks.astype(np.float64)[:, None, :]
        return self._update_rows(rows, delta)

    def opa_add(self, chunks):
        """One functional OPA (paper §6.2, :mod:`analog_models.functional_opa`): every cell of
        slice ``k`` gets ``chunks[k, i, j]`` in ONE update, clipped to the slice's range.

        ``chunks``: ``(n_slices, rows, cols)`` signed digit amplitudes (integers). Non-ideal
        updates apply if configured. Counted as one ``opa_adds`` event. Returns the number of
        cell updates clipped at a slice edge, per slice (int64).
        """
        chunks = np.asarray(chunks)
        if chunks.shape != self._levels.shape or not np.issubdtype(chunks.dtype, np.integer):
            raise ValueError(f"chunks must be integers of shape {self._levels.shape!r}, "
                             f"not {chunks.dtype} {chunks.shape!r}")
        self.events["opa_adds"] += 1
        rows = np.flatnonzero(chunks.any(axis=(0, 2)))
        if rows.size == 0:
            return np.zeros(self.n_slices, dtype=np.int64)
        return self._update_rows(rows, chunks[:, rows, :].astype(np.float64))

    def _update_rows(self, rows, delta):
        old = self._levels[:, rows, :]
        if not self._ideal_updates:
            gain = None if self._d2d is None else self._d2d[:, rows, :]
            delta = ni.update_scale(delta, old, self._lmax, self.noise, gain, self.rng)
        new = old + delta
        clipped = (new < 0.0) | (new > self._lmax)
        if self._stuck is not None:
            clipped &= ~self._stuck[:, rows, :]
        counts = clipped.sum(axis=(1, 2)).astype(np.int64)
        self._levels[:, rows, :] = np.clip(new, 0.0, self._lmax)
        self._apply_stuck()
        self.saturation_events += counts
        self.events["saturations"] += int(counts.sum())
        return counts

    # -- serial access and CRS -----------------------------------------------------------------

    def _check_slice_row(self, k, row):
        if not (isinstance(k, (int, np.integer)) and 0 <= k < self.n_slices):
            raise ValueError(f"slice must be an integer in [0, {self.n_slices - 1}], not {k!r}")
        if not (isinstance(row, (int, np.integer)) and 0 <= row < self.size):
            raise ValueError(f"row must be an integer in [0, {self.size - 1}], not {row!r}")

    def serial_read(self, k, row):
        """Serial read of row ``row`` of slice ``k``: its digits, int64 ``(cols,)``.

        Each cell is read once (with read noise if configured) and rounded to the nearest level.
        """
        self._check_slice_row(k, row)
        self.events["serial_reads"] += 1
        if self.noise.read_noise:
            levels = ni.cell_read_noise(self._levels[k, row], self.noise, self.rng)
            return self._levels_to_digits(levels, k)
        # Without read noise a level is in [0, 2**b - 1] (every update clips), so the nearest
        # level is in range (no clip) and truncation is the floor.
        return (self._levels[k, row] + 0.5).astype(np.int64) - self._row_bias[k]

    def _levels_to_digits(self, levels, k):
        d = np.floor(levels + 0.5).astype(np.int64) - (1 << (self.bits[k] - 1))
        return np.clip(d, self._low[k], self._high[k])

    def serial_write(self, k, row, digits):
        """Program-verify write of row ``row`` of slice ``k`` with signed ``digits`` (``(cols,)``,
        integers: an array or a list)."""
        self._check_slice_row(k, row)
        values = np.asarray(digits)
        if values.shape != (self.size,) or values.dtype.kind not in "iu":
            raise ValueError(f"digits must be integers of shape ({self.size},), not {digits!r}")
        low, high = self._row_range[k]
        # a list's bounds with Python's min/max: cheaper than numpy's on a row
        lo, hi = (min(digits), max(digits)) if isinstance(digits, list) else (values.min(), values.max())
        if lo < low or hi > high:
            self._check_digit_range(values, self._low[k], self._high[k])
        if self.noise.program_noise:
            target = values.astype(np.float64) + self._bias[k, 0, 0]
            levels = ni.apply_program_noise(target, self.noise, self.rng)
            self._levels[k, row] = np.clip(levels, 0.0, self._lmax[k, 0, 0])
        else:   # in range, so on a level in [0, 2**b - 1]: nothing to clip
            self._levels[k, row] = values + self._row_bias[k]
        self._apply_stuck()
        self.events["serial_writes"] += 1

    def crs(self):
        """Carry resolution step: read every row of every slice, recompute the weights and
        write back their canonical digits (``docs/semantics.md`` §3)."""
        read = ni.cell_read_noise(self._levels, self.noise, self.rng)
        digits = np.clip(np.floor(read + 0.5).astype(np.int64) - self._bias.astype(np.int64),
                         self._low[:, None, None], self._high[:, None, None])
        self.events["serial_reads"] += self.n_slices * self.size
        weights = weights_from_digits(digits, self.config)
        self.program_digits(canonical_digits(weights, self.config))
        self.events["serial_writes"] += self.n_slices * self.size
        self.events["crs"] += 1
