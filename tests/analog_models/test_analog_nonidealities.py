"""Each crossbar non-ideality, switched on alone, does what docs/analog_models.md says."""

import numpy as np
import pytest

from panther.analog_models import AnalogMCU, Crossbar, SarAdc, mvm, opa
from panther.config import PRESETS, NoiseConfig

SMALL = PRESETS["small"]
N = SMALL.xbar_size


def noisy(**kw):
    return SMALL.replace(noise=NoiseConfig(**kw))


def test_read_noise_has_the_documented_std():
    cfg = noisy(read_noise=0.5, seed=1)
    xbar = Crossbar(cfg)
    drive = np.ones(N, dtype=np.int8)
    drive[:4] = 0                                   # 12 driven rows
    sums = np.stack([xbar.mvm_step(drive) for _ in range(300)])
    assert sums.mean() == pytest.approx(0.0, abs=0.05)
    assert sums.std() == pytest.approx(0.5 * np.sqrt(12), rel=0.03)
    # the state itself is untouched by reads
    assert np.all(xbar.digits() == 0)
    reads = np.stack([xbar.serial_read(0, 0) for _ in range(2000)])
    # per-cell: P(|0.5 N(0,1)| >= 0.5) = 0.3173 of the reads round to another level
    assert np.mean(reads != 0) == pytest.approx(0.3173, abs=0.02)


def test_same_seed_same_results_other_seed_other_results():
    def run(seed):
        cfg = noisy(read_noise=0.3, program_noise=0.2, c2c_update_variation=0.1, seed=seed)
        mcu = AnalogMCU(cfg)
        rng = np.random.default_rng(0)
        mcu.program(rng.integers(-2 ** 20, 2 ** 20, (N, N)))
        mcu.opa(0, rng.integers(-300, 300, N), rng.integers(-300, 300, N))
        return mcu.mvm(0, rng.integers(-32768, 32768, N))[0], mcu.xbars[0].levels()
    y1, l1 = run(5)
    y2, l2 = run(5)
    y3, l3 = run(6)
    assert np.array_equal(y1, y2) and np.array_equal(l1, l2)
    assert not np.array_equal(l1, l3)


def test_program_noise_std_and_nearest_digits():
    cfg = noisy(program_noise=0.2, seed=3)
    xbar = Crossbar(cfg)
    W = np.random.default_rng(1).integers(-2 ** 20, 2 ** 20, (N, N))
    xbar.program(W)
    ideal = Crossbar(SMALL)
    ideal.program(W)
    err = xbar.levels() - ideal.levels()
    inner = (ideal.levels() > 0) & (ideal.levels() < 15)     # away from clipping
    assert err[inner].std() == pytest.approx(0.2, rel=0.1)
    # 0.2 std rarely moves a cell by half a level: nearest digits mostly exact
    assert np.mean(xbar.digits() == ideal.digits()) > 0.98


def test_stuck_cells_stay_stuck():
    cfg = noisy(stuck_on_rate=0.1, stuck_off_rate=0.05, seed=8)
    xbar = Crossbar(cfg)
    lmax = np.array([2 ** b - 1 for b in reversed(SMALL.slice_bits)])[:, None, None]
    lv = xbar.levels()
    on, off = lv == lmax, lv == 0                       # zero state is mid-level, so only stuck cells
    assert on.mean() == pytest.approx(0.1, abs=0.02)
    assert off.mean() == pytest.approx(0.05, abs=0.015)
    xbar.program(np.random.default_rng(2).integers(-2 ** 28, 2 ** 28, (N, N)))
    opa(xbar, np.full(N, -20000), np.full(N, 30000))
    for k in range(SMALL.n_slices):
        xbar.serial_write(k, 0, np.zeros(N, dtype=np.int64))
    xbar.crs()
    lv = xbar.levels()
    assert np.all(lv[on] == np.broadcast_to(lmax, lv.shape)[on])
    assert np.all(lv[off] == 0)


def test_soft_bounds_shrink_steps_near_the_edge():
    cfg = noisy(update_nonlinearity=1.0)
    xbar = Crossbar(cfg)
    top = 2 ** 5 - 1                                    # slice 0 has 5 bits: levels 0..31
    digits = np.zeros((SMALL.n_slices, N, N), dtype=np.int64)
    digits[0, 0] = np.arange(-16, 16) [:N]              # levels 0..15 along row 0
    digits[0, 1] = np.arange(0, 16)                     # levels 16..31 along row 1
    xbar.program_digits(digits)
    before = xbar.levels()[0, :2].copy()
    chunks = np.zeros((SMALL.n_slices, N), dtype=np.int64)
    chunks[0] = 1
    drive = np.zeros(N, dtype=np.int8)
    drive[:2] = 1
    xbar.opa_step(drive, chunks)
    step_up = xbar.levels()[0, :2] - before
    assert np.allclose(step_up, 1 - before / top)       # up: scale 1 - g/L
    assert step_up[1, -1] == 0.0 and step_up[0, 0] == 1.0
    assert np.all(np.diff(step_up.ravel()) <= 0)        # shrinks towards the top edge
    xbar.program_digits(digits)
    xbar.opa_step(-drive, chunks)
    step_down = xbar.levels()[0, :2] - before
    assert np.allclose(step_down, -(1 - (top - before) / top))
    assert step_down[0, 0] == 0.0


def test_update_asymmetry_scales_up_and_down_steps():
    cfg = noisy(update_asymmetry=0.4)
    xbar = Crossbar(cfg)
    chunks = np.zeros((SMALL.n_slices, N), dtype=np.int64)
    chunks[3] = 5
    drive = np.zeros(N, dtype=np.int8)
    drive[0], drive[1] = 1, -1
    xbar.opa_step(drive, chunks)
    lv = xbar.levels()[3]
    assert np.allclose(lv[0] - 32, 5 * 1.2) and np.allclose(lv[1] - 32, -5 * 0.8)


def test_d2d_variation_is_fixed_per_cell_and_c2c_varies_per_pulse():
    chunks = np.zeros((SMALL.n_slices, N), dtype=np.int64)
    chunks[3] = 4
    drive = np.ones(N, dtype=np.int8)

    xbar = Crossbar(noisy(d2d_update_variation=0.2, seed=1))
    l0 = xbar.levels()[3]
    xbar.opa_step(drive, chunks)
    l1 = xbar.levels()[3]
    xbar.opa_step(drive, chunks)
    l2 = xbar.levels()[3]
    assert np.allclose(l2 - l1, l1 - l0)                         # same gain every pulse
    assert (l1 - l0).std() / 4 == pytest.approx(0.2, rel=0.25)   # spread across cells

    xbar = Crossbar(noisy(c2c_update_variation=0.2, seed=1))
    l0 = xbar.levels()[3]
    xbar.opa_step(drive, chunks)
    l1 = xbar.levels()[3]
    xbar.opa_step(-drive, chunks)
    l2 = xbar.levels()[3]
    assert not np.allclose(l1 - l0, l1 - l2)
    assert ((l1 - l0) / 4).mean() == pytest.approx(1.0, abs=0.05)
    assert ((l1 - l0) / 4).std() == pytest.approx(0.2, rel=0.25)


def test_noise_off_is_exact_and_noise_on_moves_mvm_results():
    rng = np.random.default_rng(4)
    W = rng.integers(-2 ** 24, 2 ** 24, (N, N))
    x = rng.integers(-32768, 32768, N)
    results = []
    for cfg in (SMALL, noisy(read_noise=1.0, seed=2)):
        xbar = Crossbar(cfg)
        xbar.program(W)
        results.append(mvm(xbar, SarAdc(cfg), x)[0])
    exact = [(int(sum(int(x[i]) * int(W[i, j]) for i in range(N))) + 2 ** 23) >> 24 for j in range(N)]
    assert results[0].tolist() == [min(max(e, -32768), 32767) for e in exact]
    assert not np.array_equal(results[0], results[1])
    # (no bound on the size: one level of read noise on the MSB slice is 2**28 weight LSBs)
