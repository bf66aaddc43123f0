"""VFU and alu_int arithmetic (isa.vfu_math) against independent plain-integer references."""

import numpy as np
import pytest

from panther.config import PRESETS
from panther.isa import table, vfu_math

from ._golden_refs import REF_INT, REF_VFU, SMALL, sat, words

UNSATURATING = {"min", "max", "relu", "relu_d", "eq"}


def test_every_table_function_is_implemented_and_nothing_else():
    assert set(vfu_math.VFU_FUNCTIONS) == {f.name for f in table.ALU_FUNCS}
    assert set(vfu_math.INT_FUNCTIONS) == {f.name for f in table.ALU_INT_FUNCS}
    assert set(REF_VFU) == set(vfu_math.VFU_FUNCTIONS)


def _pairs(name):
    a = words(48, seed=2)
    b = words(48, seed=3)
    if name == "sna":
        b = [3, -3, 0, 15, -16, 31, 1 << 12] * 10
    return [(x, y) for x in a for y in b[:12]]


@pytest.mark.parametrize("name", sorted(REF_VFU))
def test_vfu_function_matches_reference(name):
    pairs = _pairs(name)
    a = np.array([p[0] for p in pairs])
    dst = np.array([(i * 977) % 65536 - 32768 for i in range(len(pairs))])
    if name == "sna":
        for shift in sorted({p[1] for p in pairs}):
            got, overflow = vfu_math.vfu(name, a, shift, config=SMALL, dst=dst)
            for i, x in enumerate(a):
                expected, flag = sat(REF_VFU[name](int(x), shift, int(dst[i])))
                assert (int(got[i]), bool(overflow[i])) == (expected, flag), (x, shift, dst[i])
        return
    b = np.array([p[1] for p in pairs])
    got, overflow = vfu_math.vfu(name, a, b, config=SMALL, dst=dst)
    for i, (x, y) in enumerate(pairs):
        raw = REF_VFU[name](x, y, int(dst[i]))
        expected, flag = (raw, False) if name in UNSATURATING else sat(raw)
        assert int(got[i]) == expected, (name, x, y)
        assert bool(overflow[i]) == flag, (name, x, y)


@pytest.mark.parametrize("name, a, b, expected, overflow", [
    ("add", 32767, 1, 32767, True),
    ("sub", -32768, 1, -32768, True),
    ("mul", 4096, 4096, 4096, False),           # 1.0 * 1.0
    ("mul", 2048, 3, 2, False),                 # 0.5 * 3 LSB = 1.5 LSB -> 2 (half up)
    ("mul", -2048, 3, -1, False),               # -1.5 LSB -> -1 (half up)
    ("mul", 32767, 32767, 32767, True),
    ("neg", -32768, 0, 32767, True),
    ("abs", -32768, 0, 32767, True),
    ("relu_d", 1, 0, 4096, False),
    ("relu_d", 0, 0, 0, False),
    ("eq", -5, -5, 4096, False),
    ("eq", -5, 5, 0, False),
    ("eq", -32768, -32768, 4096, False),
    ("sigmoid", 0, 0, 2048, False),
    ("sigmoid", 32767, 0, 4096, False),
    ("sigmoid", -32768, 0, 0, False),
    ("tanh", 0, 0, 0, False),
    ("sigmoid_d", 2048, 0, 1024, False),        # 0.5 * 0.5
    ("tanh_d", 4096, 0, 0, False),
    ("tanh_d", -32768, 0, -32768, True),        # 1 - 64 saturates
])
def test_vfu_known_values(name, a, b, expected, overflow):
    got, flag = vfu_math.vfu(name, [a], b, config=SMALL)
    assert (int(got[0]), bool(flag[0])) == (expected, overflow)


@pytest.mark.parametrize("name, a, imm, expected, overflow", [
    ("min", 100, 300, 100, False),
    ("min", -100, -20000, -128, True),          # the immediate is no 8-bit word: saturate
    ("max", -100, 300, 127, True),
    ("max", 5, -32768, 5, False),
    ("max", -127, -2, -2, False),
])
def test_narrow_min_max_saturate_a_wide_immediate(name, a, imm, expected, overflow):
    config = SMALL.replace(data_bits=8, data_frac_bits=5, weight_frac_bits=10)
    got, flag = vfu_math.vfu(name, [a], imm, config=config)
    assert (int(got[0]), bool(flag[0])) == (expected, overflow)


def test_sna_shifts_and_accumulates_into_destination():
    a = np.array([100, -100, 7, 1000])
    got, _ = vfu_math.vfu("sna", a, 3, config=SMALL, dst=[1, 1, 1, 1])
    assert got.tolist() == [1 + 13, 1 - 12, 1 + 1, 1 + 125]   # rs(x, 3), half up
    got, _ = vfu_math.vfu("sna", a, -2 & 0xFFFF, config=SMALL, dst=[0, 0, 0, 0])
    assert got.tolist() == [400, -400, 28, 4000]               # s = -2: exact x * 4


ALL_WORDS = np.arange(-32768, 32768, dtype=np.int64)
REAL = ALL_WORDS / 4096.0

# Stated bounds of the PLAN approximation (documented in isa/vfu_math.py), rounding included.
SIGMOID_MAX_ABS_ERROR = 0.0191
TANH_MAX_ABS_ERROR = 0.0382


def test_sigmoid_error_bound_against_float():
    y, _ = vfu_math.vfu("sigmoid", ALL_WORDS, 0, config=SMALL)
    error = np.abs(y / 4096.0 - 1 / (1 + np.exp(-REAL)))
    assert error.max() <= SIGMOID_MAX_ABS_ERROR
    assert error.max() > 0.015          # the bound is tight, not vacuous
    # PLAN is monotonic except for its known step down at |x| = 2.375 (0.921875 -> 0.91796875).
    steps = np.diff(y)
    assert steps.min() == -16 and np.count_nonzero(steps < 0) == 2


def test_sigmoid_is_complementary():
    x = np.arange(-32767, 32768, dtype=np.int64)
    y, _ = vfu_math.vfu("sigmoid", x, 0, config=SMALL)
    y_neg, _ = vfu_math.vfu("sigmoid", -x, 0, config=SMALL)
    assert np.array_equal(y + y_neg, np.full_like(y, 4096))


def test_tanh_error_bound_and_oddness():
    y, _ = vfu_math.vfu("tanh", ALL_WORDS, 0, config=SMALL)
    error = np.abs(y / 4096.0 - np.tanh(REAL))
    assert error.max() <= TANH_MAX_ABS_ERROR
    assert error.max() > 0.03
    steps = np.diff(y)      # the sigmoid's step at 2.375 appears doubled at |x| = 1.1875
    assert steps.min() == -32 and np.count_nonzero(steps < 0) == 2
    x = ALL_WORDS[1:]
    assert np.array_equal(vfu_math.vfu("tanh", x, 0, config=SMALL)[0],
                          -vfu_math.vfu("tanh", -x, 0, config=SMALL)[0])


def test_derivatives_against_float_within_one_lsb():
    y = np.arange(0, 4097, dtype=np.int64)
    yf = y / 4096.0
    sd, _ = vfu_math.vfu("sigmoid_d", y, 0, config=SMALL)
    assert np.abs(sd / 4096.0 - yf * (1 - yf)).max() <= 0.5 / 4096
    t = np.arange(-4096, 4097, dtype=np.int64)
    td, _ = vfu_math.vfu("tanh_d", t, 0, config=SMALL)
    assert np.abs(td / 4096.0 - (1 - (t / 4096.0) ** 2)).max() <= 0.5 / 4096


def test_pwl_table_is_continuous_enough_and_ends_at_one():
    # The table is what the RTL implements; its segments must be ordered and reach 1.0.
    lowers = [s.lower for s in vfu_math.SIGMOID_PWL]
    assert lowers == sorted(lowers, reverse=True) and lowers[-1] == 0
    assert vfu_math.SIGMOID_PWL[0].shift is None and vfu_math.SIGMOID_PWL[0].offset == 1.0
    for upper, lower in zip(vfu_math.SIGMOID_PWL, vfu_math.SIGMOID_PWL[1:]):
        at = upper.lower
        left = lower.offset + at / 2 ** lower.shift
        right = upper.offset + (0 if upper.shift is None else at / 2 ** upper.shift)
        assert abs(left - right) < 0.005


@pytest.mark.parametrize("name", sorted(REF_INT))
def test_alu_int_matches_reference(name):
    values = words(24, seed=5)
    shifts = [0, 1, 3, 15, 16, 17, -1]
    for a in values:
        for b in (shifts if name in ("shl", "shr") else values[:16]):
            assert vfu_math.alu_int(name, a, b, config=SMALL) == REF_INT[name](a, b), (a, b)


def test_unknown_function_names_are_rejected():
    with pytest.raises(ValueError, match="unknown VFU function 'bogus'"):
        vfu_math.vfu("bogus", [0], 0, config=SMALL)
    with pytest.raises(ValueError, match="unknown alu_int function 'bogus'"):
        vfu_math.alu_int("bogus", 0, 0, config=SMALL)


def test_other_fraction_split_uses_config():
    config = PRESETS["small"].replace(data_frac_bits=10, weight_frac_bits=20)
    got, _ = vfu_math.vfu("mul", [1024], [1024], config=config)
    assert got.tolist() == [1024]
    got, _ = vfu_math.vfu("sigmoid", [0, 5 * 1024], 0, config=config)
    assert got.tolist() == [512, 1024]


def test_exp_error_bound_against_float():
    """exp: within 1.15e-4 relative (the cubic, coefficients rounded) plus half an LSB (the
    final rounding) of e**x
    wherever e**x fits the data word, monotonic, exact at 0; saturated above ln(8)."""
    y, overflow = vfu_math.vfu("exp", ALL_WORDS, 0, config=SMALL)
    exact = np.exp(REAL)
    fits = exact < 32767 / 4096
    error = np.abs(y / 4096.0 - exact)[fits]
    assert np.all(error <= 1.15e-4 * exact[fits] + 0.5 / 4096 + 1e-9)
    assert error.max() > 2 / 4096             # the bound is not vacuous: e**2 is 3.3 LSB off
    assert np.all(np.diff(y) >= 0)
    assert y[ALL_WORDS == 0][0] == 4096 and abs(y[ALL_WORDS == 4096][0] - np.e * 4096) < 1.8
    assert np.all(overflow == ~fits) and np.all(y[~fits] == 32767)


def test_recip_rounds_to_nearest_and_saturates():
    y, overflow = vfu_math.vfu("recip", ALL_WORDS, 0, config=SMALL)
    fits = (ALL_WORDS > 512) | (ALL_WORDS <= -512)          # 1/x in [-8, 8)
    x = ALL_WORDS[fits] / 4096.0
    assert np.abs(y[fits] / 4096.0 - 1 / x).max() <= 0.5 / 4096
    odd = fits & (ALL_WORDS > -32768) & (ALL_WORDS != -512)
    assert np.array_equal(y[odd], -vfu_math.vfu("recip", -ALL_WORDS[odd], 0, config=SMALL)[0])
    assert np.array_equal(overflow, ~fits)
    assert y[ALL_WORDS == 0][0] == 32767 and overflow[ALL_WORDS == 0][0]
