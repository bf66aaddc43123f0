"""The paper's functional OPA model (§6.2), beside the hardware's bit-streamed one.

Two models of the OPA ``W[i, j] += x_i * v_j`` on bit-sliced weights exist, and they differ
as soon as a slice saturates:

``"streamed"`` (the hardware, default; ``docs/semantics.md`` §3, paper Fig. 3d)
    the row input is streamed one magnitude bit per step; in step ``n`` the column input
    shifted left by ``n`` is cut into ``p``-bit chunks, chunk ``k`` goes to slice ``k``, and
    every slice is clipped to its digit range after every step. A slice can receive up to
    ``input_steps`` partial products in one OPA.
``"functional"`` (the paper's TensorFlow functional simulator, §6.2)
    the update is quantised to the weight LSB, ``g = round(x_i * v_j)``, sliced ONCE into
    ``p``-bit chunks in sign-magnitude, ``c_k = sign(g) * ((|g| >> p*k) & (2**p - 1))`` (the
    MSB slice takes every bit above, ``|g| >> p*(n_slices-1)``), and chunk ``k`` is added to
    slice ``k`` with one clip to its digit range. Each slice receives one chunk per OPA.

With the default formats (``weight_frac_bits == 2 * data_frac_bits``) ``x_i * v_j`` already
lands on the weight LSB, so the quantisation is exact. When no slice saturates both models
give ``W + x_i * v_j`` exactly. The RTL can only stream; the functional model exists to say
which of the study's results depend on the OPA model (``docs/opa_fidelity.md``).
"""

from __future__ import annotations

import numpy as np

from panther.fixed_point import round_shift

__all__ = ["OPA_MODELS", "check_opa_model", "update_words", "functional_chunks",
           "functional_opa_digits", "functional_opa"]

#: The OPA models accepted by every ``opa_model=`` keyword (the first is the default).
OPA_MODELS = ("streamed", "functional")


def check_opa_model(opa_model):
    """Return ``opa_model`` if it is one of :data:`OPA_MODELS`, else raise ``ValueError``."""
    if not (isinstance(opa_model, str) and opa_model in OPA_MODELS):
        raise ValueError(f"opa_model must be 'streamed' or 'functional', not {opa_model!r}")
    return opa_model


def _vector(raw, name):
    raw = np.asarray(raw)
    if raw.ndim != 1 or not np.issubdtype(raw.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array of raw data words, not {raw!r}")
    return raw.astype(np.int64)


def update_words(x_raw, v_raw, config):
    """The quantised update ``g[i, j] = round(x_i * v_j)`` on the weight LSB, int64 ``(rows, cols)``.

    Parameters
    ----------
    x_raw, v_raw : array_like of int
        Raw data words (row and column inputs).
    config : PantherConfig
        ``2 * data_frac_bits - weight_frac_bits`` bits are rounded off (round half up; 0 for
        the default formats).
    """
    x = _vector(x_raw, "x_raw")
    v = _vector(v_raw, "v_raw")
    shift = 2 * config.data_frac_bits - config.weight_frac_bits
    product = np.outer(x, v)
    return round_shift(product, shift) if shift > 0 else product << -shift


def functional_chunks(x_raw, v_raw, config):
    """Per-slice chunks of the quantised update, int64 ``(n_slices, rows, cols)``, LSB slice first.

    ``c_k = sign(g) * ((|g| >> p*k) & (2**p - 1))`` for ``k < n_slices - 1`` and
    ``sign(g) * (|g| >> p*(n_slices-1))`` for the MSB slice, so ``sum_k c_k << p*k == g``.

    Parameters
    ----------
    x_raw, v_raw : array_like of int
    config : PantherConfig
    """
    g = update_words(x_raw, v_raw, config)
    p, n = config.nominal_bits, config.n_slices
    mag, sign = np.abs(g), np.sign(g)
    shifts = (p * np.arange(n, dtype=np.int64))[:, None, None]
    chunks = mag[None] >> shifts
    chunks[:-1] &= (1 << p) - 1
    return sign[None] * chunks


def functional_opa_digits(digits, x_raw, v_raw, config):
    """Digits after one functional OPA: ``clip(d_k + c_k)`` per slice (exact integers).

    Parameters
    ----------
    digits : array_like of int
        ``(n_slices, rows, cols)``, LSB slice first, each in its slice's digit range.
    x_raw, v_raw : array_like of int
    config : PantherConfig

    Returns
    -------
    numpy.ndarray
        int64 digits of the same shape.
    """
    digits = np.asarray(digits, dtype=np.int64)
    chunks = functional_chunks(x_raw, v_raw, config)
    if digits.shape != chunks.shape:
        raise ValueError(f"digits must have shape {chunks.shape!r}, not {digits.shape!r}")
    low = np.array([config.digit_range(k)[0] for k in range(config.n_slices)])[:, None, None]
    high = np.array([config.digit_range(k)[1] for k in range(config.n_slices)])[:, None, None]
    return np.clip(digits + chunks, low, high)


def functional_opa(xbar, x_raw, v_raw):
    """One functional OPA on a :class:`~analog_models.Crossbar`: every cell of slice ``k``
    gets its chunk ``c_k`` (:func:`functional_chunks`) in one clipped update.

    Parameters
    ----------
    xbar : Crossbar
    x_raw, v_raw : array_like of int
        ``(xbar.size,)`` raw data words.

    Returns
    -------
    numpy.ndarray
        int64 ``(n_slices,)``: cell updates clipped at a slice edge, per slice.
    """
    x = _vector(x_raw, "x_raw")
    v = _vector(v_raw, "v_raw")
    if x.shape != (xbar.size,) or v.shape != (xbar.size,):
        raise ValueError(f"x_raw and v_raw must have shape ({xbar.size},), not {x.shape!r} and {v.shape!r}")
    return xbar.opa_add(functional_chunks(x, v, xbar.config))
