"""Row drive / OPA chunk encoding and the DACs' Eq. 5 energy, computed by hand."""

import numpy as np
import pytest

from panther.analog_models import ColumnDac, RowDriver, dac_power_w, opa_col_chunks, row_drive
from panther.analog_models.drivers import all_row_drives
from panther.config import PRESETS, NoiseConfig

SMALL = PRESETS["small"]


def test_row_drive_is_bit_n_of_the_magnitude_times_the_sign():
    x = np.array([0, 1, -1, 5, -5, 32767, -32768, -32767])
    for n in range(16):
        expected = []
        for value in x.tolist():
            bit = (abs(value) >> n) & 1
            expected.append(-bit if value < 0 else bit)
        got = row_drive(x, n, SMALL)
        assert got.dtype == np.int8 and got.tolist() == expected
        assert all_row_drives(x, SMALL)[n].tolist() == expected
    assert row_drive(np.array([-32768]), 15, SMALL).tolist() == [-1]   # magnitude 2**15


def test_opa_chunks_recombine_to_the_product():
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.integers(-32768, 32768, 30), [32767, -32768, 0, 1, -1]])
    x = rng.integers(-32768, 32768, 35)
    total = np.zeros(35, dtype=object)
    for n in range(16):
        c = opa_col_chunks(v, n, SMALL)
        assert c.shape == (8, 35) and np.abs(c).max() <= 15
        d = row_drive(x, n, SMALL).astype(object)
        for k in range(8):
            total += d * c[k].astype(object) * 16 ** k
    assert total.tolist() == (x.astype(object) * v.astype(object)).tolist()


def test_opa_chunk_formula_by_hand():
    v = np.array([0x1234, -0x1234])
    c = opa_col_chunks(v, 4, SMALL)            # 0x12340
    assert c[:, 0].tolist() == [0, 4, 3, 2, 1, 0, 0, 0]
    assert c[:, 1].tolist() == [0, -4, -3, -2, -1, 0, 0, 0]


def test_driver_input_validation():
    with pytest.raises(ValueError, match="step must be"):
        row_drive(np.array([1]), 16, SMALL)
    with pytest.raises(ValueError, match="input words must lie"):
        opa_col_chunks(np.array([40000]), 0, SMALL)
    with pytest.raises(ValueError, match="1-D integer"):
        row_drive(np.array([0.5]), 0, SMALL)


def test_dac_energy_is_equation_5_by_hand():
    # beta from PUMA's 1-bit DAC: 3.50625 uW at 1 GHz and 0.9 V: P = beta * (2/1 + 1) * V^2 * f
    beta = 3.50625e-6 / (3 * 0.81 * 1e9)
    for n in (1, 2, 4, 8):
        p = beta * (2 ** n / n + 1) * 0.81 * 1e9
        assert dac_power_w(n, f_hz=1e9) == pytest.approx(p, rel=1e-12)
    dac = ColumnDac(SMALL)
    assert dac.bits == 4
    assert dac.energy_per_conversion == pytest.approx(beta * (16 / 4 + 1) * 0.81 * 1e12, rel=1e-12)
    assert dac.power_w == pytest.approx(beta * 5 * 0.81 * 1e9, rel=1e-12)
    row = RowDriver(SMALL)
    assert row.energy_per_drive == pytest.approx(3.50625e-3, rel=1e-12)      # pJ
    assert row.power_w == pytest.approx(3.50625e-6, rel=1e-12)
    with pytest.raises(ValueError, match="positive integer"):
        dac_power_w(0, f_hz=1e9)


def test_ideal_column_dac_passes_codes_through():
    dac = ColumnDac(SMALL)
    c = opa_col_chunks(np.arange(-8, 8) * 1000, 3, SMALL)
    assert dac.ideal and np.array_equal(dac.convert(c), c)
    assert dac.conversions == c.size


def test_column_dac_gain_and_inl_errors():
    cfg = SMALL.replace(noise=NoiseConfig(dac_gain_error=0.05, dac_inl=0.2, seed=2))
    dac = ColumnDac(cfg)
    assert not dac.ideal
    assert np.all(dac.inl[..., 0] == 0) and np.all(dac.inl[..., 15] == 0)
    c = np.tile(np.arange(-15, 1), (8, 1))       # codes -15..0 in every slice
    out = dac.convert(c)
    mag = np.abs(c)
    expected = -(mag * dac.gain + np.take_along_axis(dac.inl, mag[..., None], axis=-1)[..., 0])
    assert np.allclose(out, expected)
    assert np.allclose(out[:, -1], 0.0)
    assert 0.01 < np.std(dac.gain) < 0.1
    assert np.array_equal(ColumnDac(cfg).gain, dac.gain)
