"""Crossbar: biased levels, heterogeneous slices, steps, serial access, CRS, validation."""

import numpy as np
import pytest

from panther.analog_models import Crossbar
from panther.config import PRESETS, NoiseConfig, PantherConfig
from panther.fixed_point import canonical_digits

SMALL = PRESETS["small"]


def slice_ranges(cfg):
    return [(-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in reversed(cfg.slice_bits)]


def test_zero_weight_is_the_middle_level_of_each_slice():
    cfg = PantherConfig(xbar_size=4, slice_bits=(4, 4, 4, 6, 6, 5, 5, 3), weight_bits=32)
    xbar = Crossbar(cfg)
    levels = xbar.levels()
    for k, b in enumerate(reversed(cfg.slice_bits)):
        assert np.all(levels[k] == 2 ** (b - 1))
    assert np.all(xbar.digits() == 0)
    assert np.all(xbar.weights() == 0)


def test_program_uses_canonical_digits_and_levels_are_biased():
    rng = np.random.default_rng(3)
    W = rng.integers(-2 ** 30, 2 ** 30, (16, 16))
    xbar = Crossbar(SMALL)
    xbar.program(W)
    d = xbar.digits()
    # canonical: balanced radix-16 digits in [-8, 7] from the LSB up
    rest = W.copy()
    for k in range(SMALL.n_slices - 1):
        r = rest % 16
        dk = np.where(r >= 8, r - 16, r)
        assert np.array_equal(d[k], dk)
        rest = (rest - dk) // 16
    assert np.array_equal(d[-1], rest)
    bits = list(reversed(SMALL.slice_bits))
    for k in range(SMALL.n_slices):
        assert np.array_equal(xbar.levels()[k], d[k] + 2 ** (bits[k] - 1))
    assert np.array_equal(xbar.weights(), W)


def test_heterogeneous_slices_clip_to_their_own_ranges():
    cfg = PantherConfig(xbar_size=4, slice_bits=(4, 4, 4, 6, 6, 5, 5, 3))
    xbar = Crossbar(cfg)
    W = np.full((4, 4), 7 * 1 + 0, dtype=np.int64)   # LSB digit 7 needs 4 bits; slice 0 has 3
    xbar.program(W)
    assert np.all(xbar.digits()[0] == 3)              # clipped to [-4, 3]
    assert np.array_equal(xbar.digits(), canonical_digits(W, cfg))


def test_mvm_step_and_mtvm_step_are_column_and_row_sums():
    rng = np.random.default_rng(5)
    n = SMALL.xbar_size
    xbar = Crossbar(SMALL)
    digits = np.stack([rng.integers(lo, hi + 1, (n, n)) for lo, hi in slice_ranges(SMALL)])
    xbar.program_digits(digits)
    drive = rng.integers(-1, 2, n)
    s = xbar.mvm_step(drive)
    t = xbar.mtvm_step(drive)
    for k in range(SMALL.n_slices):
        for j in range(n):
            assert s[k, j] == sum(int(drive[i]) * int(digits[k, i, j]) for i in range(n))
            assert t[k, j] == sum(int(digits[k, j, c]) * int(drive[c]) for c in range(n))
    assert xbar.events["mvm_steps"] == 1 and xbar.events["mtvm_steps"] == 1


def test_opa_step_clips_each_slice_and_counts():
    cfg = PantherConfig(xbar_size=2, adcs_per_xbar=2)
    xbar = Crossbar(cfg)
    digits = np.zeros((cfg.n_slices, 2, 2), dtype=np.int64)
    digits[0, 0, 0] = 14                                # slice 0 has 5 bits: max 15
    xbar.program_digits(digits)
    chunks = np.zeros((cfg.n_slices, 2), dtype=np.int64)
    chunks[0] = [3, -3]
    chunks[7] = [15, 0]                                 # slice 7 has 4 bits: [-8, 7]
    counts = xbar.opa_step(np.array([1, 0]), chunks)
    d = xbar.digits()
    assert d[0, 0, 0] == 15 and d[0, 0, 1] == -3 and d[0, 1, 0] == 0
    assert d[7, 0, 0] == 7
    assert counts.tolist() == [1, 0, 0, 0, 0, 0, 0, 1]
    counts = xbar.opa_step(np.array([-1, -1]), chunks)
    d = xbar.digits()
    assert d[0, 0, 0] == 12 and d[0, 1, 1] == 3 and d[7, 0, 0] == -8 and d[7, 1, 0] == -8
    # slice 7: cell (0,0) goes 7 -> -8 exactly (no clip), cell (1,0) 0 -> -15 clips at -8
    assert counts.tolist() == [0] * 7 + [1]
    assert xbar.events["saturations"] == 3
    assert xbar.saturated_cells()[7] == 2 and xbar.saturated_cells()[0] == 0


def test_serial_read_write_one_row_of_one_slice():
    xbar = Crossbar(SMALL)
    row = np.arange(-8, 8)
    xbar.serial_write(3, 5, row)                        # slice 3 has 6 bits
    assert np.array_equal(xbar.serial_read(3, 5), row)
    assert np.count_nonzero(xbar.digits()) == np.count_nonzero(row)
    assert xbar.events["serial_writes"] == 1 and xbar.events["serial_reads"] == 1
    with pytest.raises(ValueError, match="out of the slice range"):
        xbar.serial_write(7, 0, np.full(16, 8))         # slice 7 has 4 bits: max 7
    with pytest.raises(ValueError, match="slice must be"):
        xbar.serial_read(8, 0)
    with pytest.raises(ValueError, match="row must be"):
        xbar.serial_read(0, 16)


@pytest.mark.parametrize("noise", [NoiseConfig(), NoiseConfig(seed=5, program_noise=0.4,
                                                              read_noise=0.3)])
def test_serial_rows_are_rounded_clipped_levels(noise):
    """Row reads and writes against the cell formulas (docs/semantics.md, analog_models.md),
    with the same random draws: a read is the nearest level of each cell (plus read noise)
    clipped to the slice's digits, a write the target level (plus programming noise) clipped
    to the slice's levels; a list of digits is an array of them."""
    config = SMALL.replace(noise=noise)
    xbar, rng = Crossbar(config, rng=np.random.default_rng(2)), np.random.default_rng(2)
    draws = np.random.default_rng(3)
    for step in range(30):
        k, row = int(draws.integers(8)), int(draws.integers(16))
        b = SMALL.slice_bits_lsb_first[k]
        low, high = -(1 << (b - 1)), (1 << (b - 1)) - 1
        digits = draws.integers(low, high + 1, 16)
        before = xbar.levels()
        xbar.serial_write(k, row, digits.tolist() if step % 2 else digits)
        target = digits + (1 << (b - 1)) + noise.program_noise * rng.standard_normal(16)
        before[k, row] = np.clip(target, 0, (1 << b) - 1)
        assert np.array_equal(xbar.levels(), before)
        read = before[k, row] + noise.read_noise * rng.standard_normal(16)
        expected = np.clip(np.floor(read + 0.5) - (1 << (b - 1)), low, high)
        assert xbar.serial_read(k, row).tolist() == expected.astype(int).tolist()
    assert xbar.events["serial_reads"] == xbar.events["serial_writes"] == 30
    with pytest.raises(ValueError, match="out of the slice range"):
        xbar.serial_write(7, 0, [8] * 16)
    with pytest.raises(ValueError, match="integers of shape"):
        xbar.serial_write(7, 0, [0.5] * 16)


def test_crs_renormalises_to_canonical_digits_keeping_the_weight():
    rng = np.random.default_rng(11)
    n = SMALL.xbar_size
    xbar = Crossbar(SMALL)
    digits = np.zeros((SMALL.n_slices, n, n), dtype=np.int64)
    digits[0] = rng.integers(-16, 16, (n, n))           # carries kept in slice 0
    digits[3] = rng.integers(-32, 32, (n, n))
    xbar.program_digits(digits)
    W = xbar.weights()
    before = xbar.saturated_cells().sum()
    xbar.crs()
    assert np.array_equal(xbar.weights(), W)
    assert np.array_equal(xbar.digits(), canonical_digits(W, SMALL))
    assert np.all(np.abs(xbar.digits()) <= 8)
    assert xbar.saturated_cells().sum() <= before
    assert xbar.events["crs"] == 1
    assert xbar.events["serial_reads"] == SMALL.n_slices * n
    assert xbar.events["serial_writes"] == SMALL.n_slices * n


def test_validation_messages_quote_the_bad_value():
    xbar = Crossbar(SMALL)
    with pytest.raises(ValueError, match=r"\(16,\)"):
        xbar.mvm_step(np.zeros(15))
    with pytest.raises(ValueError, match="-1, 0 or \\+1"):
        xbar.mvm_step(np.full(16, 2))
    with pytest.raises(ValueError, match="col_chunks must lie"):
        xbar.opa_step(np.ones(16, dtype=int), np.full((8, 16), 16))
    with pytest.raises(ValueError, match="raw integers"):
        xbar.program(np.zeros((16, 16)))
    with pytest.raises(TypeError, match="PantherConfig"):
        Crossbar("small")
    with pytest.raises(TypeError, match="Generator"):
        Crossbar(SMALL, rng=42)


@pytest.mark.parametrize("preset,noisy", [("small", False), ("paper", False), ("small", True)])
def test_steps_equal_the_exact_sums_bit_for_bit(preset, noisy):
    """Ideal levels take the float32 step path; noisy ones the float64 one. Either way each
    step's sums are the float64 value of the exact sum (integer math on the digits, or the
    float64 product of the noisy digit values)."""
    cfg = PRESETS[preset].replace(noise=NoiseConfig(program_noise=0.3, seed=5)) if noisy else PRESETS[preset]
    n = cfg.xbar_size
    rng = np.random.default_rng(11)
    xbar = Crossbar(cfg)
    lo, hi = -(1 << (cfg.weight_bits - 2)), 1 << (cfg.weight_bits - 2)
    xbar.program(rng.integers(lo, hi, (n, n)))
    digits = xbar.digits()
    exact = not noisy
    for _ in range(4):
        drive = rng.integers(-1, 2, n)
        mvm, mtvm = xbar.mvm_step(drive), xbar.mtvm_step(drive)
        if exact:
            want_mvm = np.einsum("i,kij->kj", drive, digits).astype(np.float64)
            want_mtvm = np.einsum("j,kij->ki", drive, digits).astype(np.float64)
        else:
            d = xbar._levels - xbar._bias
            want_mvm = (drive.astype(np.float64) @ np.ascontiguousarray(d.transpose(1, 0, 2)).reshape(n, -1)).reshape(-1, n)
            want_mtvm = (drive.astype(np.float64) @ np.ascontiguousarray(d.transpose(2, 0, 1)).reshape(n, -1)).reshape(-1, n)
        assert mvm.dtype == np.float64 and np.array_equal(mvm, want_mvm)
        assert np.array_equal(mtvm, want_mtvm)
    assert (xbar._step_mats[0].dtype == np.float32) == exact
