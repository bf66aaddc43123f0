"""Independent integer references for the MCU tests (plain numpy, no RTL, no analog models).

Used by tests/hdl/mcu (Amaranth simulator) and tests/cosim (cocotb), so the expected values
never come from the code under test.
"""

import numpy as np

from panther.fixed_point import canonical_digits, round_shift, saturate, weights_from_digits

__all__ = ["mvm_expected", "mtvm_expected", "opa_digits_expected", "crs_digits_expected",
           "random_operands"]


def mvm_expected(weights, x, config):
    """``sat(round(W^T x))`` with the sticky-flag bool: exact integer arithmetic."""
    acc = np.asarray(weights, dtype=np.int64).T @ np.asarray(x, dtype=np.int64)
    y, ovf = saturate(round_shift(acc, config.weight_frac_bits), config.data_bits)
    return y, bool(np.any(ovf))


def mtvm_expected(weights, v, config):
    """``sat(round(W v))`` (a true transpose) with the overflow flag."""
    acc = np.asarray(weights, dtype=np.int64) @ np.asarray(v, dtype=np.int64)
    z, ovf = saturate(round_shift(acc, config.weight_frac_bits), config.data_bits)
    return z, bool(np.any(ovf))


def opa_digits_expected(digits, x, v, config):
    """Per-slice integer OPA: for n = 0.., ``d_k += bit_n(|x_i|) sgn(x_i) * sgn(v_j) *
    chunk_k(|v_j| << n)``, clipped to each slice's range after every step."""
    digits = np.array(digits, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    p = config.nominal_bits
    for n in range(config.input_steps):
        drive = ((np.abs(x) >> n) & 1) * np.where(x < 0, -1, 1)
        shifted = np.abs(v) << n
        for k in range(config.n_slices):
            low, high = config.digit_range(k)
            chunk = ((shifted >> (p * k)) & ((1 << p) - 1)) * np.where(v < 0, -1, 1)
            digits[k] = np.clip(digits[k] + np.outer(drive, chunk), low, high)
    return digits


def crs_digits_expected(digits, config):
    """Canonical digits of the weights the digits represent."""
    return canonical_digits(weights_from_digits(digits, config), config)


def random_operands(config, rng, *, weight_bits=None, data_bits=None):
    """Random raw weights ``(rows, cols)`` and two data vectors."""
    n = config.xbar_size
    wb = weight_bits or config.weight_bits - 2
    db = data_bits or config.data_bits
    weights = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), (n, n))
    x = rng.integers(-(1 << (db - 1)), 1 << (db - 1), n)
    v = rng.integers(-(1 << (db - 1)), 1 << (db - 1), n)
    return weights, x, v
