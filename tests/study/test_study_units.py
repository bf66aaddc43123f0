"""Small pieces of the study: data set, run specification, crossbar sizing, slice energy."""

import numpy as np
import pytest

from panther.apps.study.sliced_layer import crossbar_size
from panther.apps.study.slicing_energy import mvm_mtvm_energy_pj, slice_adc_bits
from panther.apps.study.trainer import RunSpec
from panther.compiler.datasets import load_dataset
from panther.config import PRESETS


def test_dataset_split_is_stratified_scaled_and_seeded():
    a, b, c = load_dataset(seed=0), load_dataset(seed=0), load_dataset(seed=1)
    assert a.n_features == 61 and a.n_classes == 10
    assert len(a.x_train) + len(a.x_test) == 1797
    assert a.x_train.min() == 0.0 and a.x_train.max() == 1.0
    assert np.all(a.x_train.max(axis=0) > 0)              # no constant-zero pixel left
    counts = np.bincount(a.y_test, minlength=10)
    assert counts.min() >= 34 and counts.max() <= 37       # about 20% of each class (174..183)
    assert np.array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("kw, message", [
    (dict(mode="analog"), "mode must be one of"),
    (dict(mode="sliced"), "slice_bits must be given"),
    (dict(mode="float", slice_bits=(5,) * 8), "slice_bits must be given"),
    (dict(mode="float", steps=0), "steps must be a positive integer, not 0"),
    (dict(mode="float", crs_every=-1), "crs_every must be a non-negative integer, not -1"),
    (dict(mode="float", lr_halvings=(1.5,)), r"lr_halvings must be a tuple of fractions in \(0, 1\), not \(1.5,\)"),
])
def test_run_spec_rejects_bad_values(kw, message):
    with pytest.raises(ValueError, match=message):
        RunSpec(name="x", **kw)


def test_learning_rate_schedule_halves_after_each_fraction():
    spec = RunSpec(name="x", mode="float", steps=100, lr=0.08, lr_halvings=(0.5, 0.75))
    assert [spec.lr_at(t) for t in (1, 50, 51, 75, 76, 100)] == [0.08, 0.08, 0.04, 0.04, 0.02, 0.02]


def test_crossbar_size_is_the_next_power_of_two():
    assert [crossbar_size(62, 31), crossbar_size(32, 10), crossbar_size(65, 3), crossbar_size(1, 1)] == [64, 32, 128, 2]


def test_slice_adc_bits_follow_the_exact_conversion_width():
    paper = PRESETS["paper"]
    rows_bits = (paper.xbar_size - 1).bit_length()
    bits = (4, 4, 4, 6, 6, 5, 5, 5)
    assert slice_adc_bits(paper, bits) == tuple(rows_bits + b + 1 for b in bits)


def test_energy_grows_with_slice_bits_and_sums_over_slices():
    paper = PRESETS["paper"]
    uniform = [mvm_mtvm_energy_pj(paper, (b,) * 8) for b in (3, 4, 5, 6)]
    assert uniform == sorted(uniform) and len(set(uniform)) == 4
    # the energy is a per-slice sum: a mixed configuration is the mean of its uniform parts
    mixed = mvm_mtvm_energy_pj(paper, (4, 4, 4, 4, 6, 6, 6, 6))
    assert mixed == pytest.approx((uniform[1] + uniform[3]) / 2)
    with pytest.raises(ValueError, match="do not make 32-bit weights"):
        mvm_mtvm_energy_pj(paper, (5,) * 7)


def test_crs_changes_nothing_when_no_slice_has_spare_bits():
    """Justifies sharing the 3/4-bit runs across CRS periods in the sweep: measured, not assumed."""
    from panther.apps.study.sweep import crs_is_noop
    from panther.apps.study.trainer import train
    from panther.config import NoiseConfig

    config = PRESETS["small"]
    data = load_dataset(seed=0)
    runs = [train(RunSpec(name=f"4@{crs}", mode="sliced", slice_bits=(4,) * 8, crs_every=crs, steps=300,
                          eval_every=100, sample_every=20), data, config) for crs in (16, 0)]
    assert runs[0].train_acc == runs[1].train_acc and runs[0].saturation == runs[1].saturation
    assert runs[0].clipped_updates == runs[1].clipped_updates and sum(runs[0].clipped_updates) > 0
    five = [train(RunSpec(name=f"5@{crs}", mode="sliced", slice_bits=(5,) * 8, crs_every=crs, steps=300,
                          eval_every=100, sample_every=20), data, config) for crs in (16, 0)]
    assert five[0].saturation != five[1].saturation          # with spare bits a CRS does act
    spec4, spec5 = (RunSpec(name="x", mode="sliced", slice_bits=(b,) * 8) for b in (4, 5))
    assert crs_is_noop(spec4, config) and not crs_is_noop(spec5, config)
    assert not crs_is_noop(spec4, config.replace(noise=NoiseConfig(read_noise=0.1)))
