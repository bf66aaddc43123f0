"""Bit-serial input encoding of MVM/MTVM/OPA operands (``docs/semantics.md`` §3).

Inputs are data words in sign-magnitude; the magnitude (``config.input_steps`` bits, so
``-2**15`` has magnitude ``2**15``) is streamed LSB first, one bit per step ``n``.

* :func:`row_drive` gives the drive of step ``n``: ``bit_n(|x|) * sign(x)`` in {-1, 0, +1}
  (rows for MVM and OPA, columns for MTVM).
* :func:`opa_col_chunks` gives the OPA column amplitudes of step ``n``: the magnitude shifted
  left by ``n`` and cut into ``p``-bit chunks, chunk ``k`` for slice ``k``, with the sign of
  ``v``: ``c[k, j] = sign(v_j) * (((|v_j| << n) >> (p*k)) & (2**p - 1))``.

The DAC classes that turn these codes into line voltages are in :mod:`analog_models.dac`
(re-exported here as ``RowDriver`` and ``ColumnDac``).
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import sign_magnitude, signed_range

from .dac import ColumnDac, RowDriver

__all__ = ["row_drive", "opa_col_chunks", "all_row_drives", "RowDriver", "ColumnDac"]


def _check_words(x_raw, config):
    x = np.asarray(x_raw)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"input must be a 1-D integer array of raw data words, not {x_raw!r}")
    low, high = signed_range(config.data_bits)
    if x.size and (x.min() < low or x.max() > high):
        raise ValueError(f"input words must lie in [{low}, {high}] (data_bits={config.data_bits}), "
                         f"not min {int(x.min())} max {int(x.max())}")
    return x.astype(np.int64)


def _check_step(n, config):
    if not (isinstance(n, (int, np.integer)) and 0 <= n < config.input_steps):
        raise ValueError(f"step must be an integer in [0, {config.input_steps - 1}], not {n!r}")


def row_drive(x_raw, n, config):
    """Drive of step ``n``: int8 ``(len,)`` in {-1, 0, 1}, ``bit_n(|x|) * sign(x)``."""
    x = _check_words(x_raw, config)
    _check_step(n, config)
    mag, neg = sign_magnitude(x)
    bit = ((mag >> n) & 1).astype(np.int8)
    return np.where(neg, -bit, bit).astype(np.int8)


def all_row_drives(x_raw, config):
    """Drives of every step at once: int8 ``(input_steps, len)`` (row ``n`` = ``row_drive(x, n)``)."""
    x = _check_words(x_raw, config)
    mag, neg = sign_magnitude(x)
    steps = np.arange(config.input_steps, dtype=np.int64)[:, None]
    bits = ((mag[None, :] >> steps) & 1).astype(np.int8)
    return np.where(neg[None, :], -bits, bits).astype(np.int8)


def opa_col_chunks(v_raw, n, config):
    """OPA column chunks of step ``n``: int64 ``(n_slices, len)`` signed chunk values."""
    v = _check_words(v_raw, config)
    _check_step(n, config)
    p = config.nominal_bits
    mag, neg = sign_magnitude(v)
    shifted = mag << n
    k = np.arange(config.n_slices, dtype=np.int64)[:, None]
    chunks = (shifted[None, :] >> (p * k)) & ((1 << p) - 1)
    return np.where(neg[None, :], -chunks, chunks)
