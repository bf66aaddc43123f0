"""Ideal-mode exactness of MVM, MTVM and OPA against independent integer models.

The references here are plain Python integer arithmetic written from docs/semantics.md, not
the code under test: MVM/MTVM = round-half-up of the exact dot product by weight_frac_bits,
saturated to a data word; OPA = a deliberately simple per-slice, per-step loop model.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panther.analog_models import Crossbar, SarAdc, mtvm, mvm, opa, shift_and_add
from panther.config import PRESETS, PantherConfig

SMALL = PRESETS["small"]
TINY = PantherConfig(xbar_size=4)          # for the slow pure-Python OPA loop model
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DATA_EXTREMES = [-32768, 32767, -32767, 0, 1, -1, 16384, -16384]


def words(n):
    element = st.one_of(st.sampled_from(DATA_EXTREMES), st.integers(-32768, 32767))
    return st.lists(element, min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64))


def slice_ranges(cfg):
    bits = list(reversed(cfg.slice_bits))          # LSB slice first
    return [(-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in bits]


@st.composite
def digit_arrays(draw, cfg):
    """Per-slice digits anywhere in each slice's physical range (extremes favoured)."""
    n = cfg.xbar_size
    out = np.empty((cfg.n_slices, n, n), dtype=np.int64)
    mode = draw(st.sampled_from(["random", "max", "min", "mixed_extremes"]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    for k, (lo, hi) in enumerate(slice_ranges(cfg)):
        if mode == "random":
            out[k] = rng.integers(lo, hi + 1, (n, n))
        elif mode == "max":
            out[k] = hi
        elif mode == "min":
            out[k] = lo
        else:
            out[k] = rng.choice([lo, hi], (n, n))
    return out


def py_weights(digits, cfg):
    p = cfg.nominal_bits
    n = digits.shape[1]
    return [[sum(int(digits[k, i, j]) << (p * k) for k in range(cfg.n_slices)) for j in range(n)]
            for i in range(n)]


def rhu_sat(total, cfg):
    y = (total + (1 << (cfg.weight_frac_bits - 1))) >> cfg.weight_frac_bits
    lo, hi = -(1 << (cfg.data_bits - 1)), (1 << (cfg.data_bits - 1)) - 1
    return min(max(y, lo), hi), not lo <= y <= hi


def ref_mvm(x, W, cfg):
    n = len(W)
    out = [rhu_sat(sum(int(x[i]) * W[i][j] for i in range(n)), cfg) for j in range(n)]
    return [o[0] for o in out], [o[1] for o in out]


def ref_mtvm(v, W, cfg):
    n = len(W)
    out = [rhu_sat(sum(W[i][j] * int(v[j]) for j in range(n)), cfg) for i in range(n)]
    return [o[0] for o in out], [o[1] for o in out]


def ref_opa(digits, x, v, cfg):
    """Per-slice integer OPA: every step, every slice, every cell, clipped after each step."""
    p = cfg.nominal_bits
    d = digits.tolist()
    ranges = slice_ranges(cfg)
    clipped = [0] * cfg.n_slices
    n = len(x)
    for step in range(cfg.data_bits):
        for i in range(n):
            if (abs(int(x[i])) >> step) & 1 == 0:
                continue
            sx = -1 if x[i] < 0 else 1
            for k in range(cfg.n_slices):
                lo, hi = ranges[k]
                for j in range(n):
                    chunk = ((abs(int(v[j])) << step) >> (p * k)) & ((1 << p) - 1)
                    sv = -1 if v[j] < 0 else 1
                    new = d[k][i][j] + sx * sv * chunk
                    if new < lo or new > hi:
                        clipped[k] += 1
                    d[k][i][j] = min(max(new, lo), hi)
    return np.array(d, dtype=np.int64), clipped


@SETTINGS
@given(data=st.data())
def test_mvm_is_exact_integer_arithmetic(data):
    digits = data.draw(digit_arrays(SMALL))
    x = data.draw(words(SMALL.xbar_size))
    xbar = Crossbar(SMALL)
    xbar.program_digits(digits)
    y, overflow = mvm(xbar, SarAdc(SMALL), x)
    ref_y, ref_o = ref_mvm(x, py_weights(digits, SMALL), SMALL)
    assert y.tolist() == ref_y
    assert overflow.tolist() == ref_o


@SETTINGS
@given(data=st.data())
def test_mtvm_is_exact_true_transpose(data):
    digits = data.draw(digit_arrays(SMALL))
    v = data.draw(words(SMALL.xbar_size))
    xbar = Crossbar(SMALL)
    xbar.program_digits(digits)
    z, overflow = mtvm(xbar, SarAdc(SMALL), v)
    ref_z, ref_o = ref_mtvm(v, py_weights(digits, SMALL), SMALL)
    assert z.tolist() == ref_z
    assert overflow.tolist() == ref_o


@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1), scale=st.sampled_from([1, 2 ** 8, 2 ** 16, 2 ** 24]))
def test_mvm_of_programmed_weights_moderate_range(seed, scale):
    """Weights programmed through canonical digits; outputs mostly inside the data range."""
    rng = np.random.default_rng(seed)
    n = SMALL.xbar_size
    W = rng.integers(-scale, scale, (n, n))
    x = rng.integers(-32768, 32768, n)
    xbar = Crossbar(SMALL)
    xbar.program(W)
    assert xbar.weights().tolist() == W.tolist()
    y, overflow = mvm(xbar, SarAdc(SMALL), x)
    ref_y, ref_o = ref_mvm(x, W.tolist(), SMALL)
    assert y.tolist() == ref_y and overflow.tolist() == ref_o
    z, overflow = mtvm(xbar, SarAdc(SMALL), x)
    ref_z, ref_o = ref_mtvm(x, W.tolist(), SMALL)
    assert z.tolist() == ref_z and overflow.tolist() == ref_o


def test_mtvm_differs_from_mvm_on_a_non_symmetric_matrix():
    n = SMALL.xbar_size
    W = np.zeros((n, n), dtype=np.int64)
    W[0, 1] = 1 << 24                 # 1.0 in Q8.24 at row 0, column 1
    xbar = Crossbar(SMALL)
    xbar.program(W)
    x = np.zeros(n, dtype=np.int64)
    x[0] = 4096                       # 1.0 in Q4.12
    y, _ = mvm(xbar, SarAdc(SMALL), x)
    z, _ = mtvm(xbar, SarAdc(SMALL), x)
    assert y[1] == 4096 and np.count_nonzero(y) == 1      # row 0 drives column 1
    assert np.count_nonzero(z) == 0                       # column 0 holds nothing
    v = np.zeros(n, dtype=np.int64)
    v[1] = 4096
    z, _ = mtvm(xbar, SarAdc(SMALL), v)
    assert z[0] == 4096 and np.count_nonzero(z) == 1


@SETTINGS
@given(data=st.data())
def test_opa_matches_per_slice_loop_model_including_saturation(data):
    digits = data.draw(digit_arrays(TINY))
    x = data.draw(words(TINY.xbar_size))
    v = data.draw(words(TINY.xbar_size))
    xbar = Crossbar(TINY)
    xbar.program_digits(digits)
    clipped = opa(xbar, x, v)
    ref_digits, ref_clipped = ref_opa(digits, x, v, TINY)
    assert xbar.digits().tolist() == ref_digits.tolist()
    assert clipped.tolist() == ref_clipped
    assert xbar.events["saturations"] == sum(ref_clipped)
    assert xbar.saturation_events.tolist() == ref_clipped
    if sum(ref_clipped) == 0:
        W = np.array(py_weights(digits, TINY), dtype=object)
        expected = W + np.outer(x.astype(object), v.astype(object))
        assert xbar.weights().tolist() == expected.tolist()


def test_opa_saturating_case_is_actually_saturating():
    """A case known to saturate: largest inputs on a slice already at its top."""
    digits = np.zeros((TINY.n_slices, 4, 4), dtype=np.int64)
    digits[0] = slice_ranges(TINY)[0][1]
    x = np.full(4, 32767, dtype=np.int64)
    v = np.full(4, 32767, dtype=np.int64)
    xbar = Crossbar(TINY)
    xbar.program_digits(digits)
    clipped = opa(xbar, x, v)
    ref_digits, ref_clipped = ref_opa(digits, x, v, TINY)
    assert sum(ref_clipped) > 0
    assert clipped.tolist() == ref_clipped
    assert xbar.digits().tolist() == ref_digits.tolist()


@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1), xmax=st.sampled_from([2, 4]), vmax=st.sampled_from([2, 4]))
def test_opa_exact_product_when_nothing_saturates(seed, xmax, vmax):
    rng = np.random.default_rng(seed)
    n = SMALL.xbar_size
    # digits within 5 of zero everywhere; |x|,|v| < 4 add at most 3*3 to slice 0 over 2 steps
    digits = rng.integers(-5, 6, (SMALL.n_slices, n, n))
    digits[-3:] = rng.integers(-4, 4, (3, n, n))            # 4-bit slices
    x = rng.integers(-xmax + 1, xmax, n)
    v = rng.integers(-vmax + 1, vmax, n)
    xbar = Crossbar(SMALL)
    xbar.program_digits(digits)
    W = np.array(py_weights(digits, SMALL), dtype=object)
    clipped = opa(xbar, x, v)
    assert clipped.sum() == 0
    assert xbar.weights().tolist() == (W + np.outer(x.astype(object), v.astype(object))).tolist()


def test_opa_from_zero_single_bit_rows_full_width_columns():
    rng = np.random.default_rng(7)
    n = SMALL.xbar_size
    xbar = Crossbar(SMALL)
    xbar.program(np.zeros((n, n), dtype=np.int64))
    x = rng.choice([-1, 1], n) * (1 << rng.integers(0, 5, n))
    v = rng.integers(-32768, 32768, n)
    clipped = opa(xbar, x, v)
    # one active step n <= 4 per row: |v| << n < 2**20 lands in slices 0-4 (5 and 6 bits,
    # range at least [-16, 15]); each receives one chunk <= 15 from 0 -> never clips
    assert clipped.sum() == 0
    assert xbar.weights().tolist() == np.outer(x.astype(object), v.astype(object)).tolist()


def test_shift_and_add_rounds_once_and_saturates():
    cfg = SMALL
    codes = np.zeros((cfg.input_steps, cfg.n_slices, 3), dtype=np.int64)
    # column 0: a single code at n=0,k=0 worth 2**23 + ... exactly half an output LSB
    codes[0, 0, 0] = 1 << 23          # too big for an ADC but fine for the arithmetic
    codes[1, 0, 1] = -(1 << 22)       # -2**23: round half up -> 0
    codes[15, 7, 2] = 1               # 2**(15+28) >> 24 = 2**19: saturates
    y, overflow = shift_and_add(codes, cfg)
    assert y.tolist() == [1, 0, 32767]
    assert overflow.tolist() == [False, False, True]
    with pytest.raises(ValueError, match="shape"):
        shift_and_add(np.zeros((16, 3, 4), dtype=np.int64), cfg)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), adc_bits=st.integers(4, 10))
def test_mvm_with_a_narrow_adc_matches_per_step_integer_quantisation(data, adc_bits):
    """Finite ADC: each step's column sum is rounded (half up) to the ADC LSB and clipped."""
    cfg = SMALL.replace(adc_bits=adc_bits)
    shift = cfg.adc_ideal_bits - adc_bits
    lo, hi = -(1 << (adc_bits - 1)), (1 << (adc_bits - 1)) - 1
    digits = data.draw(digit_arrays(cfg))
    x = data.draw(words(cfg.xbar_size))
    xbar = Crossbar(cfg)
    xbar.program_digits(digits)
    y, overflow = mvm(xbar, SarAdc(cfg), x)
    n = cfg.xbar_size
    ref_y, ref_o = [], []
    for j in range(n):
        total = 0
        for step in range(cfg.data_bits):
            for k in range(cfg.n_slices):
                s = 0
                for i in range(n):
                    bit = (abs(int(x[i])) >> step) & 1
                    s += (-bit if x[i] < 0 else bit) * int(digits[k, i, j])
                code = (s + (1 << (shift - 1))) >> shift if shift else s
                code = min(max(code, lo), hi)
                total += code << (step + cfg.nominal_bits * k + shift)
        r = rhu_sat(total, cfg)
        ref_y.append(r[0])
        ref_o.append(r[1])
    assert y.tolist() == ref_y
    assert overflow.tolist() == ref_o
