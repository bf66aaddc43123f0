"""The functional OPA model (paper §6.2) and the opa_model switch, against plain integer math.

Expected values are computed here from docs/semantics.md §3 and docs/opa_fidelity.md with
Python integers, not with the code under test.
"""

import numpy as np
import pytest

from panther.analog_models import AnalogMCU, Crossbar, functional_chunks, mcu_ops
from panther.config import PantherConfig
from panther.isa.golden.exact_mcu import opa_update

P = 4


def _cfg(slice_bits, size=4):
    return PantherConfig(xbar_size=size, slice_bits=tuple(slice_bits), weight_bits=32)


def _ranges(cfg):
    return [(-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in reversed(cfg.slice_bits)]


def _functional_reference(digits, x, v, cfg):
    """Per cell: g = x*v, sign-magnitude 4-bit chunks (MSB slice takes the rest), one clip."""
    n = cfg.n_slices
    out = [[[int(digits[k][i][j]) for j in range(len(v))] for i in range(len(x))] for k in range(n)]
    for i, xi in enumerate(x):
        for j, vj in enumerate(v):
            g = int(xi) * int(vj)
            mag, sign = abs(g), (g > 0) - (g < 0)
            for k, (low, high) in enumerate(_ranges(cfg)):
                chunk = mag >> (P * k) if k == n - 1 else (mag >> (P * k)) & 15
                out[k][i][j] = min(max(out[k][i][j] + sign * chunk, low), high)
    return np.array(out, dtype=np.int64)


def _weight(digits_cell):
    return sum(int(d) << (P * k) for k, d in enumerate(digits_cell))


def test_functional_chunks_sum_to_the_update():
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    x = np.array([32767, -32768, 5, 0])
    v = np.array([-32768, 32767, -1, 300])
    chunks = functional_chunks(x, v, cfg)
    for i in range(4):
        for j in range(4):
            assert _weight(chunks[:, i, j]) == int(x[i]) * int(v[j])
            assert all(abs(int(c)) <= 15 for c in chunks[:-1, i, j])


def test_functional_opa_is_exact_integer_update_when_no_slice_saturates():
    """66666666 from canonical digits (|d| <= 8) absorbs any chunk (<= 15): W + x*v exactly."""
    cfg = _cfg((6,) * 8)
    rng = np.random.default_rng(1)
    w = rng.integers(-(1 << 28), 1 << 28, (4, 4))
    x = rng.integers(-32768, 32768, 4)
    v = rng.integers(-32768, 32768, 4)
    xbar = Crossbar(cfg)
    xbar.program(w)
    clipped = mcu_ops.opa(xbar, x, v, opa_model="functional")
    expected = [[int(w[i][j]) + int(x[i]) * int(v[j]) for j in range(4)] for i in range(4)]
    assert xbar.weights().tolist() == expected
    assert clipped.tolist() == [0] * 8
    assert xbar.events["opa_adds"] == 1 and xbar.events["opa_steps"] == 0


def test_functional_opa_equals_reference_with_saturation():
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    rng = np.random.default_rng(2)
    xbar = Crossbar(cfg)
    digits = np.stack([rng.integers(lo, hi + 1, (4, 4)) for lo, hi in _ranges(cfg)])
    xbar.program_digits(digits)
    x = rng.integers(-32768, 32768, 4)
    v = rng.integers(-2000, 2000, 4)
    clipped = mcu_ops.opa(xbar, x, v, opa_model="functional")
    reference = _functional_reference(digits, x, v, cfg)
    assert np.array_equal(xbar.digits(), reference)
    assert clipped.sum() > 0


def test_hand_built_case_functional_vs_streamed():
    """x = 3, v = 15 from digit 0 on a 5-bit slice 0 ([-16, 15]):

    functional: g = 45 = 2*16 + 13 -> slice 0 += 13, slice 1 += 2: exact.
    streamed:   step 0 adds 15 to slice 0; step 1 (v << 1 = 30 = 16 + 14) adds 14 to slice 0
                and 1 to slice 1; slice 0 clips at 15, so the weight grows by 15 + 16 = 31.
                The negative cell (x = -3): -15 - 14 clips at -16, the weight falls by 32.
    """
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    x = np.array([3, 0, -3, 0])
    v = np.array([15, 0, 0, 0])
    expected = {"functional": (45, -45, [13, 2], [-13, -2]), "streamed": (31, -32, [15, 1], [-16, -1])}
    for model, (w0, w2, d0, d2) in expected.items():
        xbar = Crossbar(cfg)
        mcu_ops.opa(xbar, x, v, opa_model=model)
        assert xbar.weights()[0, 0] == w0 and xbar.weights()[2, 0] == w2, model
        assert xbar.digits()[:2, 0, 0].tolist() == d0 and xbar.digits()[:2, 2, 0].tolist() == d2, model


@pytest.mark.parametrize("bad", ["bitwise", "Streamed", None, 1])
def test_opa_model_switch_rejects_bad_values(bad):
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    xbar = Crossbar(cfg)
    zeros = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match=f"opa_model must be 'streamed' or 'functional', not {bad!r}"):
        mcu_ops.opa(xbar, zeros, zeros, opa_model=bad)
    with pytest.raises(ValueError, match="opa_model must be"):
        AnalogMCU(cfg).opa(0, zeros, zeros, opa_model=bad)


def test_functional_rejects_a_dac():
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    mcu = AnalogMCU(cfg)
    with pytest.raises(ValueError, match="dac must be None"):
        mcu_ops.opa(mcu.xbars[0], np.ones(4, dtype=np.int64), np.ones(4, dtype=np.int64),
                    dac=mcu.dacs[0], opa_model="functional")


def test_streamed_default_is_unchanged_and_equals_golden():
    cfg = _cfg((4, 4, 4, 6, 6, 5, 5, 5))
    rng = np.random.default_rng(5)
    w = rng.integers(-(1 << 26), 1 << 26, (4, 4))
    a, b = AnalogMCU(cfg), AnalogMCU(cfg)
    a.program(w)
    b.program(w)
    golden = a.xbars[0].digits()
    for _ in range(5):
        x = rng.integers(-32768, 32768, 4)
        v = rng.integers(-3000, 3000, 4)
        a.opa(0, x, v)
        b.opa(0, x, v, opa_model="streamed")
        golden = opa_update(golden, x, v, cfg)
    assert np.array_equal(a.xbars[0].digits(), golden)
    assert np.array_equal(b.xbars[0].digits(), golden)
    assert a.xbars[0].saturation_events.sum() > 0


def test_analog_mcu_functional_opa_matches_reference():
    cfg = _cfg((5,) * 8)
    rng = np.random.default_rng(6)
    mcu = AnalogMCU(cfg)
    x = rng.integers(-32768, 32768, 4)
    v = rng.integers(-32768, 32768, 4)
    start = mcu.xbars[0].digits()
    mcu.opa(0, x, v, opa_model="functional")
    assert np.array_equal(mcu.xbars[0].digits(), _functional_reference(start, x, v, cfg))
    assert mcu.dacs[0].conversions == 0


def test_opa_add_validates_its_chunks():
    xbar = Crossbar(_cfg((5,) * 8))
    with pytest.raises(ValueError, match="chunks must be integers of shape"):
        xbar.opa_add(np.zeros((8, 4, 4)))
