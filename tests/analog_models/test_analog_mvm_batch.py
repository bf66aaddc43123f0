"""Batched MVM (host-side inference through the devices): the per-sample MVM, many at once."""

import numpy as np
import pytest

from panther.analog_models import Crossbar
from panther.analog_models.adc import SarAdc
from panther.analog_models.mcu_ops import mvm, mvm_batch
from panther.config import PRESETS, NoiseConfig

CONFIG = PRESETS["small"]


def _device(config, seed=0):
    rng = np.random.default_rng(seed)
    xbar = Crossbar(config, rng=np.random.default_rng(seed + 1))
    xbar.program(rng.integers(-(1 << 26), 1 << 26, size=(16, 16)))
    return xbar, SarAdc(config, rng=np.random.default_rng(seed + 2))


@pytest.mark.parametrize("adc_bits", [0, 7])
def test_batch_equals_one_mvm_per_sample_without_noise(adc_bits):
    config = CONFIG.replace(adc_bits=adc_bits)
    xbar, adc = _device(config)
    x = np.random.default_rng(5).integers(-(1 << 15), 1 << 15, size=(9, 16))
    x[0] = 0
    x[1, :] = -(1 << 15)                         # magnitude 2**15: every step of the top bit
    y, overflow = mvm_batch(xbar, adc, x)
    for row, got, flags in zip(x, y, overflow):
        want, want_flags = mvm(xbar, adc, row)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(flags, want_flags)
    assert xbar.events["mvm_steps"] == 2 * 9 * config.input_steps


def test_batch_read_noise_has_the_per_sample_spread():
    noisy = CONFIG.replace(noise=NoiseConfig(read_noise=0.6))
    x = np.random.default_rng(6).integers(-(1 << 12), 1 << 12, size=(200, 16))
    ideal_xbar, ideal_adc = _device(CONFIG)
    ideal = mvm_batch(ideal_xbar, ideal_adc, x)[0]
    xbar, adc = _device(noisy)
    batch = mvm_batch(xbar, adc, x)[0] - ideal
    single = np.stack([mvm(xbar, adc, row)[0] for row in x]) - ideal
    assert batch.std() > 0 and single.std() > 0
    assert 0.8 < batch.std() / single.std() < 1.25


def test_batch_shape_is_checked():
    xbar, adc = _device(CONFIG)
    with pytest.raises(ValueError, match=r"x_batch must have shape \(N, 16\)"):
        mvm_batch(xbar, adc, np.zeros(16, dtype=np.int64))
    assert mvm_batch(xbar, adc, np.zeros((0, 16), dtype=np.int64))[0].shape == (0, 16)
