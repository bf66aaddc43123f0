"""AnalogMCU: copies per variant, bit-step sampling, serial copy, CRS."""

import numpy as np
import pytest

from panther.analog_models import AnalogMCU, Crossbar, SarAdc, mvm, row_drive
from panther.config import PRESETS

SMALL = PRESETS["small"]
N = SMALL.xbar_size


@pytest.mark.parametrize("variant", [1, 2, 3])
def test_one_crossbar_and_adc_per_copy(variant):
    mcu = AnalogMCU(SMALL.replace(variant=variant))
    assert mcu.copies == variant == len(mcu.xbars) == len(mcu.adcs) == len(mcu.dacs)
    with pytest.raises(ValueError, match="copy must be"):
        mcu.crs(variant)


def test_sample_gives_the_codes_of_one_step():
    rng = np.random.default_rng(1)
    W = rng.integers(-2 ** 26, 2 ** 26, (N, N))
    mcu = AnalogMCU(SMALL)
    mcu.program(W)
    x = rng.integers(-32768, 32768, N)
    codes = np.stack([mcu.sample(0, "mvm", row_drive(x, n, SMALL)) for n in range(16)])
    digits = mcu.xbars[0].digits()
    for n in range(16):
        d = row_drive(x, n, SMALL).astype(np.int64)
        assert np.array_equal(codes[n], np.einsum("i,kij->kj", d, digits))
    mt = mcu.sample(0, "mtvm", row_drive(x, 3, SMALL))
    assert np.array_equal(mt, np.einsum("kij,j->ki", digits, row_drive(x, 3, SMALL).astype(np.int64)))
    ref = Crossbar(SMALL)
    ref.program(W)
    assert np.array_equal(mcu.mvm(0, x)[0], mvm(ref, SarAdc(SMALL), x)[0])
    with pytest.raises(ValueError, match="op must be"):
        mcu.sample(0, "opa", row_drive(x, 0, SMALL))


def test_variant3_eager_opa_then_commit_by_serial_copy():
    cfg = SMALL.replace(variant=3)
    mcu = AnalogMCU(cfg)
    W = np.random.default_rng(2).integers(-2 ** 20, 2 ** 20, (N, N))
    mcu.program(W)
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, N)            # one step; canonical digit in [-8, 7] +- 7 fits 5 bits
    v = rng.integers(-7, 8, N)
    assert mcu.opa(2, x, v).sum() == 0
    expected = W + np.outer(x, v)
    assert np.array_equal(mcu.weights(2), expected)
    assert np.array_equal(mcu.weights(0), W)
    mcu.crs(2)
    for dst in (0, 1):
        mcu.copy_to(2, dst)
        assert np.array_equal(mcu.weights(dst), expected)
        assert np.array_equal(mcu.xbars[dst].digits(), mcu.xbars[2].digits())


def test_opa_step_and_serial_access_through_the_mcu():
    mcu = AnalogMCU(SMALL)
    chunks = np.zeros((8, N), dtype=np.int64)
    chunks[2] = 5
    drive = np.zeros(N, dtype=np.int8)
    drive[4] = -1
    mcu.opa_step(0, drive, chunks)
    assert mcu.serial_read(0, 2, 4).tolist() == [-5] * N
    mcu.serial_write(0, 2, 4, np.arange(N) - 8)
    assert mcu.serial_read(0, 2, 4).tolist() == list(range(-8, 8))
