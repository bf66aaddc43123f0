"""SAR ADC: clipping and quantisation against integer math, SAR loop, non-idealities."""

import numpy as np
import pytest

from panther.analog_models import SarAdc
from panther.config import PRESETS, NoiseConfig

SMALL = PRESETS["small"]                     # 16x16, max 6-bit slices: ideal width 4+6+1 = 11


def int_convert(s, shift, bits):
    """Round half up of s / 2**shift, clipped to a signed bits-wide code (integer math)."""
    if shift:
        q = (s + (1 << (shift - 1))) >> shift
    else:
        q = s
    return np.clip(q, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def test_ideal_adc_converts_exactly():
    adc = SarAdc(SMALL)
    assert adc.bits == SMALL.adc_ideal_bits == 11 and adc.lsb_shift == 0
    s = np.arange(-16 * 32, 16 * 32 + 1)       # the whole worst-case range
    assert np.array_equal(adc.convert(s.astype(np.float64)), s)
    assert adc.clipped == 0


@pytest.mark.parametrize("bits", [8, 9, 10, 11])
def test_quantisation_and_clipping_match_integer_math(bits):
    cfg = SMALL.replace(adc_bits=bits)
    adc = SarAdc(cfg)
    shift = 11 - bits
    assert adc.lsb_shift == cfg.adc_lsb_shift == shift
    s = np.arange(-1100, 1100)
    codes = adc.convert(s.astype(np.float64))
    assert np.array_equal(codes, int_convert(s, shift, bits))
    over = (int_convert(s, shift, 40) > 2 ** (bits - 1) - 1) | (int_convert(s, shift, 40) < -2 ** (bits - 1))
    assert adc.clipped == int(over.sum())
    # the successive-approximation loop itself gives the same codes
    adc._exact = False
    assert np.array_equal(adc.convert(s.astype(np.float64)), int_convert(s, shift, bits))


def test_calibrated_range_uses_the_worst_case_column_current():
    cfg = SMALL.replace(adc_bits=8)
    adc = SarAdc(cfg, range_mode="calibrated")
    # worst case 16 * 32 = 2**9 -> 8 signed bits need an LSB of 2**(9-7) = 4
    assert adc.lsb_shift == 2
    s = np.array([-512, -511, -2, 2, 510, 511, 512])
    assert adc.convert(s.astype(np.float64)).tolist() == int_convert(s, 2, 8).tolist()
    assert adc.convert(np.array([512.0]))[0] == 127          # the single clipped extreme
    with pytest.raises(ValueError, match="range_mode"):
        SarAdc(cfg, range_mode="auto")


def test_offset_is_drawn_once_and_shifts_the_transfer():
    cfg = SMALL.replace(adc_bits=8, noise=NoiseConfig(adc_offset=0.7, seed=4))
    adc = SarAdc(cfg)
    assert adc.offset != 0.0
    assert adc.offset == SarAdc(cfg).offset                  # same seed, same instance draw
    x = np.linspace(-100, 100, 2001)
    codes = adc.convert(x * 8)                                # LSB = 8 digit units
    expected = np.clip(np.floor(x + 0.5 + adc.offset), -128, 127)
    assert np.array_equal(codes, expected)


def test_comparator_noise_is_random_per_conversion_and_seeded():
    cfg = SMALL.replace(adc_bits=8, noise=NoiseConfig(adc_noise=0.5, seed=9))
    a, b = SarAdc(cfg), SarAdc(cfg)
    x = np.full(20000, 10.3 * 8)
    ca, cb = a.convert(x), b.convert(x)
    assert np.array_equal(ca, cb)
    assert len(np.unique(ca)) > 1
    assert abs(ca.mean() - 10.3) < 0.1
    assert not np.array_equal(ca, a.convert(x))


def test_capacitor_mismatch_changes_the_transfer_deterministically():
    cfg = SMALL.replace(adc_bits=10, noise=NoiseConfig(adc_cap_mismatch=0.05, seed=1))
    adc = SarAdc(cfg)
    nominal = 2.0 ** np.arange(10)
    assert not np.allclose(adc.cap_weights, nominal)
    assert np.allclose(adc.cap_weights, nominal, rtol=0.3)
    s = np.arange(-1000, 1000, dtype=np.float64) * 2
    codes = adc.convert(s)
    ideal = int_convert(np.arange(-1000, 1000) * 2, 1, 10)
    assert not np.array_equal(codes, ideal)
    assert np.abs(codes - ideal).max() <= 8
    assert np.array_equal(codes, SarAdc(cfg).convert(s))


def test_latency_and_energy_per_conversion():
    for bits in (8, 12):
        cfg = PRESETS["paper"].replace(adc_bits=bits, adc_latency=3)
        adc = SarAdc(cfg)
        assert adc.latency_cycles == 3
        assert adc.cycles_per_step == 128 // cfg.adcs_per_xbar * 3
        # PUMA: 0.225 mW per bit for one 1 ns conversion
        assert adc.energy_per_conversion == pytest.approx(0.225 * bits)
