"""Fixed-point helpers shared by the golden model, the analog models, the assembler and tests.

All functions work on Python ints and on numpy integer arrays (int64; keep magnitudes below
2**62). The rounding and saturation rules are those of ``docs/semantics.md`` §1.
"""

import numpy as np

__all__ = [
    "round_shift", "saturate", "to_fixed", "from_fixed", "sign_magnitude",
    "canonical_digits", "weights_from_digits", "wrap", "signed_range", "fixed_one",
]


def signed_range(bits):
    """``(low, high)``: the values a ``bits``-wide two's complement word holds."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def fixed_one(frac_bits, bits):
    """The ``bits``-wide raw word closest to 1.0 with ``frac_bits`` fraction bits (ONE).

    ``2**frac_bits``, or the largest word when 1.0 itself does not fit.
    """
    return min(1 << frac_bits, signed_range(bits)[1])


def round_shift(value, shift):
    """Arithmetic right shift by ``shift`` with round half up: ``(v + 2**(s-1)) >> s``."""
    if shift <= 0:
        return value << -shift if shift else value
    return (value + (1 << (shift - 1))) >> shift


def saturate(value, bits):
    """Clamp to a ``bits``-wide two's complement range.

    Returns ``(clamped, overflow)``; ``overflow`` is a bool (or bool array) that is true where
    the value did not fit.
    """
    low, high = signed_range(bits)
    if isinstance(value, np.ndarray):
        return np.clip(value, low, high), (value < low) | (value > high)
    return min(max(value, low), high), not low <= value <= high


def wrap(value, bits):
    """Two's complement wrap-around to ``bits`` bits (integer ALU semantics)."""
    mask = (1 << bits) - 1
    half = 1 << (bits - 1)
    return ((value + half) & mask) - half


def to_fixed(real, frac_bits, bits):
    """Round a real (or array) to the nearest fixed-point raw value, saturating.

    Returns ``(raw, overflow)``. Ties round half up, as everywhere else.
    """
    scaled = np.floor(np.asarray(real, dtype=np.float64) * (1 << frac_bits) + 0.5)
    low, high = signed_range(bits)
    overflow = (scaled < low) | (scaled > high)
    raw = np.clip(scaled, low, high).astype(np.int64)
    if np.ndim(real) == 0:
        return int(raw), bool(overflow)
    return raw, overflow


def from_fixed(raw, frac_bits):
    """Real value of a fixed-point raw value (or array)."""
    return np.asarray(raw, dtype=np.float64) / (1 << frac_bits)


def sign_magnitude(raw):
    """Split two's complement values into ``(magnitude, negative)``; ``-2**15`` has magnitude ``2**15``."""
    raw = np.asarray(raw, dtype=np.int64)
    return np.abs(raw), raw < 0


def canonical_digits(weights, config):
    """Canonical per-slice digits of raw weights (``docs/semantics.md`` §2).

    Returns an int64 array of shape ``(n_slices,) + weights.shape``, LSB slice first. Each
    digit is balanced radix ``2**nominal_bits``; the MSB slice takes the remainder; every
    digit is clipped to its slice's range.
    """
    p = config.nominal_bits
    rest = np.asarray(weights, dtype=np.int64).copy()
    digits = np.empty((config.n_slices,) + rest.shape, dtype=np.int64)
    half, radix = 1 << (p - 1), 1 << p
    for k in range(config.n_slices):
        if k == config.n_slices - 1:
            d = rest
        else:
            d = rest & (radix - 1)
            d = np.where(d >= half, d - radix, d)
            rest = (rest - d) >> p
        low, high = config.digit_range(k)
        digits[k] = np.clip(d, low, high)
    return digits


def weights_from_digits(digits, config):
    """Raw weights ``sum_k d_k << (nominal_bits * k)`` of per-slice digits (LSB slice first)."""
    digits = np.asarray(digits, dtype=np.int64)
    total = np.zeros(digits.shape[1:], dtype=np.int64)
    for k in range(digits.shape[0]):
        total += digits[k] << (config.nominal_bits * k)
    return total
