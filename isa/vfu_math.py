"""Integer semantics of the vector functional unit (VFU) and of the scalar integer ALU.

This module is the single source of the VFU arithmetic: the golden model calls it, and the
RTL VFU generator can read its table (:data:`SIGMOID_PWL`) to build the same shift-and-add
datapath. It implements, bit for bit, the summaries of ``isa.table.ALU_FUNCS`` and
``isa.table.ALU_INT_FUNCS`` (a test checks that every table function has an implementation
here and nothing more). Every function works on numpy ``int64`` arrays of raw data words
(``B = config.data_bits`` wide two's complement with ``F = config.data_frac_bits`` fraction
bits): results are computed at full width, rounded once (round half up) and saturated, and
an overflow mask says where saturation happened (the core ORs it into its sticky flag).

Activation functions
--------------------
``sigmoid`` is the piecewise-linear PLAN approximation (Amin, Curtis and Hayes-Gill, 1997):
for ``A = |a|`` the first segment of :data:`SIGMOID_PWL` with ``lower <= A`` gives
``S = offset + rs(A, shift)`` (slope 0 where ``shift`` is ``None``); thresholds and offsets
are the reals of the table rounded to raw words (round half up), and
``sigmoid(-a) = 2**F - sigmoid(a)``. ``tanh(a) = 2 S(2a) - 2**F`` with ``2a`` not
saturated, i.e. the same table evaluated at twice the magnitude, so the RTL needs one
comparator chain, one shifter and one adder for both.

The maximum errors against the real functions over every Q4.12 input, and the one known
non-monotonic step of PLAN, are in ``docs/golden_model.md``; ``tests/isa/golden/
test_vfu_math.py`` asserts them, rounding included.

The derivatives take the activation value ``y`` (what the forward pass stored), not ``x``:
``sigmoid_d = sat(rs(y (2**F - y), F))``, ``tanh_d = sat(2**F - rs(y*y, F))``,
``relu_d = ONE`` where the operand is ``> 0``, else 0 (``ONE = min(2**F, 2**(B-1)-1)``).
``sna`` (``alui`` only) is a shift-and-add into the destination:
``dst := sat(dst_old + rs(a, s))`` with ``s`` the low ``SNA_SHIFT_BITS`` bits of the
immediate, signed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from panther.fixed_point import fixed_one, round_shift, saturate, to_fixed, wrap

from .table import SNA_SHIFT_BITS

__all__ = [
    "PwlSegment", "SIGMOID_PWL", "VFU_FUNCTIONS", "INT_FUNCTIONS", "INT_SHIFT_MASK",
    "pwl_raw", "raw_constant", "vfu", "alu_int", "sigmoid_raw", "tanh_raw",
    "EXP_GUARD_BITS", "EXP_LOG2E", "EXP_POLY", "exp_constants", "exp_raw", "recip_raw",
]


@dataclass(frozen=True)
class PwlSegment:
    """One segment of a piecewise-linear odd/complementary activation.

    Members
    -------
    lower : float
        Smallest input magnitude ``|x|`` (real units) the segment applies to.
    shift : int or None
        The slope is ``2**-shift``; ``None`` means slope 0 (the saturated tail).
    offset : float
        Value of the segment at ``|x| = 0`` (real units).
    """

    lower: float
    shift: int | None
    offset: float


#: PLAN sigmoid, segments from the largest magnitude down (the first match wins).
SIGMOID_PWL = (
    PwlSegment(lower=5.0, shift=None, offset=1.0),
    PwlSegment(lower=2.375, shift=5, offset=0.84375),
    PwlSegment(lower=1.0, shift=3, offset=0.625),
    PwlSegment(lower=0.0, shift=2, offset=0.5),
)


def raw_constant(real, config):
    """Raw integer of a real table constant (a PWL threshold or offset) in units of
    ``2**-data_frac_bits``, rounded half up: what the RTL compares and adds."""
    return int(to_fixed(real, config.data_frac_bits, config.data_bits + 8)[0])


def pwl_raw(magnitude, table, config):
    """Evaluate a PWL table on raw non-negative magnitudes (int64 array); no sign handling."""
    a = np.asarray(magnitude, dtype=np.int64)
    out = np.zeros_like(a)
    done = np.zeros(a.shape, dtype=bool)
    for seg in table:
        hit = ~done & (a >= raw_constant(seg.lower, config))
        value = raw_constant(seg.offset, config)
        if seg.shift is not None:
            value = value + round_shift(a, seg.shift)
        out = np.where(hit, value, out)
        done |= hit
    return out


def sigmoid_raw(x, config):
    """PLAN sigmoid of raw data words (exact integer; never overflows)."""
    x = np.asarray(x, dtype=np.int64)
    y = pwl_raw(np.abs(x), SIGMOID_PWL, config)
    one = 1 << config.data_frac_bits
    return np.where(x < 0, one - y, y)


def tanh_raw(x, config):
    """``2 S(2x) - 2**F`` of raw data words (``2x`` not saturated); in ``[-2**F, 2**F]``."""
    x = np.asarray(x, dtype=np.int64)
    return 2 * sigmoid_raw(2 * x, config) - (1 << config.data_frac_bits)


#: exp: guard bits of its internal fixed point (G = F + EXP_GUARD_BITS), log2(e) and the
#: coefficients of the cubic 2**f ~ 1 + f (c1 + f (c2 + f c3)) on [0, 1): minimax relative
#: error with c1 + c2 + c3 = 1 (exact at both ends, so the result is continuous across the
#: powers of two), fitted with scipy.optimize (1.03e-4; 1.15e-4 with the coefficients rounded to G bits).
EXP_GUARD_BITS = 4
EXP_LOG2E = 1.4426950408889634
EXP_POLY = (0.6954244, 0.2263077, 0.0782680)


def exp_constants(config):
    """``(G, L, (C1, C2, C3))`` raw integers of :func:`exp_raw` (what the RTL multiplies by)."""
    g = config.data_frac_bits + EXP_GUARD_BITS
    rnd = lambda x: int(np.floor(x * 2 ** g + 0.5))          # noqa: E731
    return g, rnd(EXP_LOG2E), tuple(rnd(c) for c in EXP_POLY)


def exp_raw(a, config):
    """``E(a)`` of the ISA table (not saturated): ``e**a`` in raw data-word units."""
    a = np.asarray(a, dtype=np.int64)
    g, log2e, (c1, c2, c3) = exp_constants(config)
    u = round_shift(a * log2e, config.data_frac_bits)
    k = u >> g
    f = u - (k << g)
    h = c2 + round_shift(f * c3, g)
    h = c1 + round_shift(f * h, g)
    p = (1 << g) + round_shift(f * h, g)
    shift = g - config.data_frac_bits - k
    right = np.maximum(shift, 1)
    return np.where(shift > 0, (p + (np.int64(1) << (right - 1))) >> right,
                    p << np.maximum(-shift, 0))


def recip_raw(a, config):
    """``1/a`` of the ISA table (not saturated; ``a = 0`` gives ``2**(B-1)``, which saturates)."""
    a = np.asarray(a, dtype=np.int64)
    mag = np.abs(a)
    two_f = 2 * config.data_frac_bits
    q = ((np.int64(1) << (two_f + 1)) + mag) // np.maximum(2 * mag, 1)
    return np.where(a == 0, np.int64(1) << (config.data_bits - 1), np.where(a < 0, -q, q))


def _sat(value, config):
    return saturate(np.asarray(value, dtype=np.int64), config.data_bits)


def _no_overflow(value):
    value = np.asarray(value, dtype=np.int64)
    return value, np.zeros(value.shape, dtype=bool)


def _two_f(config):
    return 1 << config.data_frac_bits


def _one(config):
    """ONE: the data word closest to 1.0."""
    return fixed_one(config.data_frac_bits, config.data_bits)


def _sna(a, b, d, c):
    """dst := sat(dst_old + rs(a, s)), s = low SNA_SHIFT_BITS bits of the immediate, signed."""
    shifts = np.unique(wrap(np.asarray(b) & ((1 << SNA_SHIFT_BITS) - 1), SNA_SHIFT_BITS))
    if shifts.size > 1:
        raise ValueError("sna takes one shift (the alui immediate) for the whole vector")
    s = int(shifts[0]) if shifts.size else 0
    return _sat(d + round_shift(a, s), c)


#: name -> f(a, b, d, config) -> (raw result int64, overflow bool). ``a`` = src1 elements,
#: ``b`` = src2 elements or the alui immediate, ``d`` = the destination's old elements (read
#: only by ``sna``). Unary functions ignore ``b``.
VFU_FUNCTIONS = {
    "add": lambda a, b, d, c: _sat(a + b, c),
    "sub": lambda a, b, d, c: _sat(a - b, c),
    "mul": lambda a, b, d, c: _sat(round_shift(a * b, c.data_frac_bits), c),
    "sna": _sna,
    # The alui immediate is 16 bits, wider than a narrow data word: saturate like set.
    "min": lambda a, b, d, c: _sat(np.minimum(a, b), c),
    "max": lambda a, b, d, c: _sat(np.maximum(a, b), c),
    "relu": lambda a, b, d, c: _no_overflow(np.maximum(a, 0)),
    "relu_d": lambda a, b, d, c: _no_overflow(np.where(a > 0, _one(c), 0)),
    "sigmoid": lambda a, b, d, c: _sat(sigmoid_raw(a, c), c),
    "sigmoid_d": lambda a, b, d, c: _sat(round_shift(a * (_two_f(c) - a), c.data_frac_bits), c),
    "tanh": lambda a, b, d, c: _sat(tanh_raw(a, c), c),
    "tanh_d": lambda a, b, d, c: _sat(_two_f(c) - round_shift(a * a, c.data_frac_bits), c),
    "neg": lambda a, b, d, c: _sat(-a, c),
    "abs": lambda a, b, d, c: _sat(np.abs(a), c),
    "exp": lambda a, b, d, c: _sat(exp_raw(a, c), c),
    "recip": lambda a, b, d, c: _sat(recip_raw(a, c), c),
    "eq": lambda a, b, d, c: _no_overflow(np.where(a == b, _one(c), 0)),
}


def vfu(name, a, b, *, config, dst=None):
    """Apply VFU function ``name`` element-wise to raw data words.

    Parameters
    ----------
    name : str
        A VFU function name (a key of :data:`VFU_FUNCTIONS`).
    a, b : array_like of int
        Raw operand words (``b`` may be a scalar: the ``alui`` immediate).
    config : panther.config.PantherConfig
    dst : array_like of int, optional
        Old destination words (only ``sna`` reads them; default 0).

    Returns
    -------
    (result, overflow) : (numpy.ndarray int64, numpy.ndarray bool)
    """
    try:
        function = VFU_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown VFU function {name!r}; expected one of "
                         f"{sorted(VFU_FUNCTIONS)}") from None
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if name != "sna":
        b = np.broadcast_to(b, a.shape)
    d = np.zeros(a.shape, dtype=np.int64) if dst is None else np.asarray(dst, dtype=np.int64)
    result, overflow = function(a, b, d, config)
    result = np.broadcast_to(np.asarray(result, dtype=np.int64), a.shape).copy()
    overflow = np.broadcast_to(np.asarray(overflow, dtype=bool), a.shape).copy()
    return result, overflow


#: Mask of the shift amount of alu_int shl/shr (the low 4 bits of b, per isa.table).
INT_SHIFT_MASK = 15


#: name -> f(a, b, config) -> int, ``data_bits``-wide two's complement, wrapping.
INT_FUNCTIONS = {
    "add": lambda a, b, c: wrap(a + b, c.data_bits),
    "sub": lambda a, b, c: wrap(a - b, c.data_bits),
    "and": lambda a, b, c: a & b,
    "or": lambda a, b, c: a | b,
    "xor": lambda a, b, c: a ^ b,
    "shl": lambda a, b, c: wrap(a << (b & INT_SHIFT_MASK), c.data_bits),
    "shr": lambda a, b, c: a >> (b & INT_SHIFT_MASK),
    "mul": lambda a, b, c: wrap(a * b, c.data_bits),
}


def alu_int(name, a, b, *, config):
    """Scalar wrapping integer operation ``name`` on two signed words; returns an int."""
    try:
        function = INT_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown alu_int function {name!r}; expected one of "
                         f"{sorted(INT_FUNCTIONS)}") from None
    return int(function(int(a), int(b), config))
